"""The sentences agreement and the report compare by are cut once and kept in the project's cache (units_cache.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import IPL_CODEBOOK, ROOT, SAMPLES, run_cli
from ipl_coder.coding.doc_cache import CACHE_FOLDER, UNITS_FOLDER, UNITS_SUFFIX
from ipl_coder.coding.units import UnitSplitter
from ipl_coder.files import with_checksum, without_checksum
from ipl_coder.store import TranscriptRow, TurnRow


def agreement(project: Path) -> dict[str, object]:
    exit_code, stdout, stderr = run_cli("agreement", "-p", project, "--coders", "ana,ola", "--json")
    assert exit_code == 0, stderr
    result: dict[str, object] = json.loads(stdout)
    return result


def unit_entries(project: Path) -> list[Path]:
    return sorted((project / CACHE_FOLDER / UNITS_FOLDER).glob(f"*{UNITS_SUFFIX}"))


def test_agreement_cuts_the_sentences_once_and_a_damaged_or_deleted_cut_changes_nothing(reviewed: Path) -> None:
    first = agreement(reviewed)
    entries = unit_entries(reviewed)
    assert entries  # one per transcript compared
    # The next run reads them and never loads spaCy.
    probe = ("import json, sys; from pathlib import Path; from ipl_coder.review.agreement import compute_agreement; "
             f"compute_agreement(Path({str(reviewed)!r}), ('ana', 'ola')); print('spacy' in sys.modules)")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False", done.stderr
    assert agreement(reviewed) == first
    written = entries[0].read_bytes()
    cuts = json.loads(without_checksum(written, bound_to=entries[0].name) or b"")
    moved = [[index, start, end - 1 if number == 0 else end] for number, (index, start, end) in enumerate(cuts)]
    for damage in (b"not JSON", json.dumps(moved).encode(), with_checksum(json.dumps([[0, 10**6, 10**6 + 5]]).encode(), bound_to=entries[0].name)):
        entries[0].write_bytes(damage)  # not this program's, a sentence's end moved (it still fits), out of the text
        assert agreement(reviewed) == first  # cut afresh, and replaced
        assert entries[0].read_bytes() == written
    assert run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", reviewed, "-q", "--participants", SAMPLES / "participants.csv")[0] == 0
    assert unit_entries(reviewed) == entries  # a run of every transcript prunes only what coding uses
    shutil.rmtree(reviewed / CACHE_FOLDER)
    assert agreement(reviewed) == first


def test_another_text_with_the_same_turns_is_cut_afresh(tmp_path: Path) -> None:
    turns = [TurnRow(1, "I", "interviewer", 0, 6), TurnRow(2, "P1", "participant", 7, 43)]
    before = "I: Hi?\nOne sentence. And a second one here."
    after = "I: Hi?\nOne sentence and no second one here."
    splitter = UnitSplitter("sentence", tmp_path)
    row = TranscriptRow(1, "t", "hash-before", before, "en", {}, {})
    assert [before[unit.start_char : unit.end_char] for unit in splitter.split(row, turns).units] == [
        "One sentence.", "And a second one here."]  # fmt: skip
    row = TranscriptRow(1, "t", "hash-after", after, "en", {}, {})
    assert [after[unit.start_char : unit.end_char] for unit in UnitSplitter("sentence", tmp_path).split(row, turns).units] == [
        "One sentence and no second one here."]  # fmt: skip
    assert len(unit_entries(tmp_path)) == 2


def test_another_texts_cuts_in_an_entrys_place_are_not_trusted(tmp_path: Path) -> None:
    """Whole and this program's, and they fit the text: but they are another text's sentences."""
    turns = [TurnRow(1, "I", "interviewer", 0, 6), TurnRow(2, "P1", "participant", 7, 43)]
    two = "I: Hi?\nOne sentence. And a second one here."
    one = "I: Hi?\nOne sentence and no second one here."
    rows = {text: TranscriptRow(1, "t", f"hash-{number}", text, "en", {}, {}) for number, text in enumerate((two, one))}
    for row in rows.values():
        UnitSplitter("sentence", tmp_path).split(row, turns)
    entry_two = next(entry for entry in unit_entries(tmp_path) if entry.read_bytes().count(b"],") == 1)
    [entry_one] = [entry for entry in unit_entries(tmp_path) if entry != entry_two]
    shutil.copy(entry_two, entry_one)  # a sync conflict, a folder merged by hand
    units = UnitSplitter("sentence", tmp_path).split(rows[one], turns).units
    assert [one[unit.start_char : unit.end_char] for unit in units] == ["One sentence and no second one here."]

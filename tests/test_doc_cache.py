"""The cache of processed transcripts: a cached run codes exactly what a fresh one does, and stale entries never count."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.coding.doc_cache import CACHE_FOLDER, DOCS_FOLDER, KEEP_UNUSED_DAYS, SEGMENTS_SUFFIX, SUFFIX
from ipl_coder.files import with_checksum, without_checksum
from ipl_coder.store import ProjectStore
from ipl_coder.transcripts.reader import find_transcripts

SAMPLE_FILES = [found.path for found in find_transcripts([SAMPLES])]
SAMPLE_COUNT = len(SAMPLE_FILES)


def code(corpus: Path, project: Path, *options: str | Path, codebook: Path = IPL_CODEBOOK) -> dict[str, Any]:
    exit_code, stdout, stderr = run_cli("code", corpus, "-c", codebook, "-p", project, "--json", "--jobs", "1", *options)
    assert exit_code == 0, stderr
    result: dict[str, Any] = json.loads(stdout)
    return result


def segments(project: Path, transcript: str | None = None) -> list[tuple[object, ...]]:
    """Every field the rules decide, per segment."""
    with ProjectStore.open(project) as store:
        return [(row.segment_id, row.transcript, row.code_id, row.start_char, row.end_char, row.speaker, row.turn_number,
                 row.unit, row.text, row.matched, row.rules, row.status)
                for row in store.segments(transcript=transcript)]  # fmt: skip


def entries(project: Path, suffix: str = SUFFIX) -> list[Path]:
    """The cache's Doc entries, or with SEGMENTS_SUFFIX its segment entries (segment_cache.py)."""
    return sorted((project / CACHE_FOLDER / DOCS_FOLDER).glob(f"*{suffix}"))


def forget_segments(project: Path) -> None:
    """Only the Docs stay cached: a run must match every code on them."""
    for entry in entries(project, SEGMENTS_SUFFIX):
        entry.unlink()


def test_a_second_run_reuses_every_transcript_and_codes_the_same(tmp_path: Path) -> None:
    project = tmp_path / "project"
    first = code(SAMPLES, project)
    assert first["cache"]["reused"] == 0 and len(entries(project)) == SAMPLE_COUNT
    csv, stored = (project / "segments.csv").read_bytes(), segments(project)
    second = code(SAMPLES, project)
    assert second["cache"]["reused"] == SAMPLE_COUNT == second["transcripts_coded"]
    cached = [*entries(project), *entries(project, SEGMENTS_SUFFIX)]
    assert second["cache"]["bytes"] == sum(entry.stat().st_size for entry in cached) > 0 and len(cached) == 2 * SAMPLE_COUNT
    assert (project / "segments.csv").read_bytes() == csv
    assert segments(project) == stored and len(stored) > 100


def test_after_a_codebook_edit_the_warm_cache_codes_what_a_fresh_run_does(tmp_path: Path, fresh_project: Path) -> None:
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    exit_code, _, stderr = run_cli("codebook", "add-term", edited, "broker", "colleague", "the team")
    assert exit_code == 0, stderr
    warm, fresh = fresh_project, tmp_path / "fresh"  # warm: the samples coded with ipl.yaml (conftest's coded_samples)
    before = segments(warm)
    result = code(SAMPLES, warm, codebook=edited)
    assert result["cache"]["reused"] == SAMPLE_COUNT
    code(SAMPLES, fresh, "--no-cache", codebook=edited)
    after = segments(warm)
    assert after == segments(fresh)
    assert len(after) > len(before)  # the new terms found something: the rules really ran on cached Docs
    assert any("colleague" in [word.lower() for word in row[9]] for row in after)  # type: ignore[union-attr]


def test_an_edited_transcript_is_coded_afresh_and_its_old_entry_removed(tmp_path: Path) -> None:
    corpus = Path(shutil.copytree(SAMPLES, tmp_path / "corpus"))
    project, fresh = tmp_path / "project", tmp_path / "fresh"
    code(corpus, project)
    old_entries = entries(project)
    path = corpus / "CA-PSW-01.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nP1: As a broker between the team and the patients I crossed boundaries.\n",
                    encoding="utf-8")  # fmt: skip
    result = code(corpus, project)
    assert result["cache"]["reused"] == SAMPLE_COUNT - 1
    new_entries = entries(project)
    assert len(new_entries) == SAMPLE_COUNT and len(set(old_entries) - set(new_entries)) == 1  # the stale one is gone
    code(corpus, fresh, "--no-cache")
    assert segments(project, "CA-PSW-01") == segments(fresh, "CA-PSW-01")
    assert segments(project) == segments(fresh)


def test_a_run_of_some_transcripts_keeps_the_others_entries_until_they_are_long_unused(tmp_path: Path) -> None:
    # Testing a codebook edit on one interview, then running them all, must not tokenise the others again.
    project = tmp_path / "project"
    first, second = SAMPLES / "CA-PSW-01.txt", SAMPLES / "NO-PSW-09.txt"
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in (first, second):
        shutil.copy(path, corpus / path.name)
    code(corpus, project)
    both = entries(project) + entries(project, SEGMENTS_SUFFIX)
    assert len(both) == 4
    code(corpus / first.name, project)
    assert entries(project) + entries(project, SEGMENTS_SUFFIX) == both  # the second's are kept
    assert code(corpus, project)["cache"]["reused"] == 2
    month_ago = time.time() - (KEEP_UNUSED_DAYS + 1) * 24 * 3600
    for entry in both:
        os.utime(entry, (month_ago, month_ago))
    code(corpus / first.name, project)
    assert len(entries(project)) == 1 and len(entries(project, SEGMENTS_SUFFIX)) == 1  # the second's went: long unused


def test_a_corrupt_cache_file_is_coded_afresh_and_replaced(fresh_project: Path) -> None:
    project = fresh_project  # the samples coded with ipl.yaml, its cache warm
    stored = segments(project)
    damaged = entries(project)
    damaged[0].write_bytes(b"not a DocBin at all")
    damaged[1].write_bytes(damaged[1].read_bytes()[:100])  # a half file, as a crash before atomic writes would leave
    damaged[2].write_bytes(b"")
    forget_segments(project)  # else each code's segments come from their own entries, and the Docs are not read
    result = code(SAMPLES, project)
    assert result["cache"]["reused"] == SAMPLE_COUNT - 3
    assert segments(project) == stored
    assert code(SAMPLES, project)["cache"]["reused"] == SAMPLE_COUNT  # replaced with good entries


def test_no_cache_writes_none_and_leaves_an_existing_one_alone(tmp_path: Path) -> None:
    project = tmp_path / "project"
    result = code(SAMPLES, project, "--no-cache")
    assert result["cache"] is None and not (project / CACHE_FOLDER).exists()
    code(SAMPLES, project)
    kept = {entry: entry.stat().st_mtime_ns for entry in entries(project)}
    code(SAMPLES, project, "--no-cache")
    assert {entry: entry.stat().st_mtime_ns for entry in entries(project)} == kept


def test_deleting_the_cache_is_safe(fresh_project: Path) -> None:
    project = fresh_project  # the samples coded with ipl.yaml, its cache warm
    stored = segments(project)
    shutil.rmtree(project / CACHE_FOLDER)
    assert code(SAMPLES, project)["cache"]["reused"] == 0
    assert segments(project) == stored


def test_another_pipeline_does_not_reuse_the_default_pipelines_entries(tmp_path: Path) -> None:
    import spacy

    pipeline = tmp_path / "my_pipeline"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(pipeline)
    project, transcript = tmp_path / "project", SAMPLES / "CA-PSW-01.txt"
    code(transcript, project)
    assert code(transcript, project, "--model", pipeline)["cache"]["reused"] == 0
    assert code(transcript, project, "--model", pipeline)["cache"]["reused"] == 1
    assert len(entries(project)) == 1  # the default pipeline's entry went: this run did not use it


def test_a_pipeline_folder_changed_in_place_does_not_reuse_its_old_entries(tmp_path: Path) -> None:
    """Same name, version and components, other sentences: the entries of the old pipeline must not count."""
    import spacy

    pipeline, transcript = tmp_path / "my_pipeline", SAMPLES / "CA-PSW-01.txt"
    for punct_chars in (None, ["?"]):  # spaCy's sentence ends, then only "?"
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer", config={"punct_chars": punct_chars})
        nlp.to_disk(pipeline)
        code(transcript, tmp_path / "warm", "--model", pipeline)
    code(transcript, tmp_path / "fresh", "--model", pipeline, "--no-cache")
    assert segments(tmp_path / "warm") == segments(tmp_path / "fresh")


def test_the_cache_works_in_worker_processes(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for copy in range(2):  # 18 transcripts: enough for two workers
        for sample in SAMPLE_FILES:
            text = sample.read_text(encoding="utf-8")
            (corpus / f"{sample.stem}-{copy}{sample.suffix}").write_text(text + ("\n" * copy), encoding="utf-8")
    parallel, single = tmp_path / "parallel", tmp_path / "single"
    cold = code(corpus, parallel, "--jobs", "2")
    assert cold["cache"]["reused"] == 0 and len(entries(parallel)) == 2 * SAMPLE_COUNT
    warm = code(corpus, parallel, "--jobs", "2")
    assert warm["cache"]["reused"] == 2 * SAMPLE_COUNT
    code(corpus, single, "--no-cache")
    assert segments(parallel) == segments(single)


def test_the_summary_reports_the_cache(fresh_project: Path) -> None:
    project = fresh_project  # coded as `code SAMPLES -c ipl.yaml -q --jobs 1` left it
    exit_code, stdout, stderr = run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1")
    assert exit_code == 0, stderr
    assert f"Cache: {SAMPLE_COUNT} of {SAMPLE_COUNT} transcripts reused, " in stdout
    assert f"in {project / CACHE_FOLDER} (safe to delete)" in stdout
    exit_code, stdout, _ = run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1", "--no-cache")
    assert "Cache:" not in stdout


def test_an_entry_from_before_the_short_form_lemmas_is_not_reused(tmp_path: Path, write_file: Callable[..., Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """An entry of format 1 holds "n't" with the lemma "n't": the new format misses it, so `not` finds "didn't"."""
    from spacy.tokens import DocBin

    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding import doc_cache
    from ipl_coder.coding.pipeline import build_pipeline

    codebook = write_file("negation.yaml", "name: negation\ncodes:\n  - id: negation\n    terms: [not]\n")
    corpus = write_file("corpus/P1.txt", "Interviewer: And then?\nP1: I didn't know what to say.\n")
    project = tmp_path / "project"
    monkeypatch.setattr(doc_cache, "CACHE_FORMAT", 1)
    code(corpus, project, codebook=codebook)
    # What the lemmatizer of format 1 wrote in its entry: "n't" its own lemma.
    [old] = entries(project)
    nlp, _ = build_pipeline(load_codebook(codebook))
    docs = list(DocBin().from_bytes(without_checksum(old.read_bytes(), bound_to=old.name) or b"").get_docs(nlp.vocab))
    for token in (token for doc in docs for token in doc if token.lower_ == "n't"):
        token.lemma_ = "n't"
    old.write_bytes(with_checksum(DocBin(docs=docs).to_bytes(), bound_to=old.name))  # as this program writes them now
    forget_segments(project)  # format 1 had only Docs
    stale = code(corpus, project, codebook=codebook)
    assert stale["cache"]["reused"] == 1 and stale["segments"] == 0  # had the format stayed 1: the old lemmas, no match
    monkeypatch.undo()
    fresh = code(corpus, project, codebook=codebook)
    assert fresh["cache"]["reused"] == 0 and fresh["segments"] == 1
    assert old not in entries(project) and len(entries(project)) == 1  # the old entry is pruned


def _edit(codebook: Path, old: str, new: str) -> None:
    text = codebook.read_text(encoding="utf-8")
    assert old in text
    codebook.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_label_edit_reuses_every_codes_segments_without_reading_a_doc(tmp_path: Path) -> None:
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    project = tmp_path / "project"
    code(SAMPLES, project, codebook=edited)
    stored = segments(project)
    for entry in entries(project):
        entry.unlink()  # the Docs: were any needed, they would be made and kept again
    _edit(edited, "      What a member of the team does", "      Edited: what a member of the team does")
    result = code(SAMPLES, project, codebook=edited)
    assert result["cache"]["reused"] == SAMPLE_COUNT and segments(project) == stored
    assert entries(project) == []  # no transcript was tokenised


@pytest.mark.parametrize("old, new", [
    ("  - id: role\n", "  - id: role\n    unit: paragraph\n"),  # a code's unit
    ("  - id: role\n", "  - id: role\n    speakers: [everyone]\n"),  # who a code listens to
    ("exclude_terms: [role play, role-play]", "exclude_terms: [role play, role-play, team]"),  # a veto
    ("          within: 4\n", "          within: 9\n"),  # a near window
    ("language: en\n", "language: en\ndefaults:\n  unit: paragraph\n"),  # every code's unit
    ('OP: "{,4}"}', 'OP: "{,6}"}'),  # a token pattern: only its code's patterns run again
], ids=["unit", "speakers", "exclude", "near", "defaults", "pattern"])  # fmt: skip
def test_after_any_rule_edit_the_cached_codes_and_the_recoded_ones_make_a_fresh_runs_segments(
        tmp_path: Path, old: str, new: str) -> None:  # fmt: skip
    edited = Path(shutil.copy(IPL_CODEBOOK, tmp_path / "edited.yaml"))
    warm, fresh = tmp_path / "warm", tmp_path / "fresh"
    code(SAMPLES, warm, codebook=edited)
    before = segments(warm)
    _edit(edited, old, new)
    code(SAMPLES, warm, codebook=edited)
    code(SAMPLES, fresh, "--no-cache", codebook=edited)
    assert segments(warm) == segments(fresh) != before


def test_a_damaged_segments_entry_is_coded_afresh_and_replaced(fresh_project: Path) -> None:
    project = fresh_project  # the samples coded with ipl.yaml, its cache warm
    stored = segments(project)
    damaged = entries(project, SEGMENTS_SUFFIX)
    damaged[0].write_text("not JSON", encoding="utf-8")
    damaged[1].write_bytes(damaged[1].read_bytes()[:50])
    text = damaged[2].read_text(encoding="utf-8")
    numbers_as_text = re.sub(r"\[\[(\d+),", r'[["\1",', text, count=1)  # one code's first segment starts at "12"
    assert numbers_as_text != text
    damaged[2].write_text(numbers_as_text, encoding="utf-8")
    assert code(SAMPLES, project)["cache"]["reused"] == SAMPLE_COUNT  # their Docs were cached
    assert segments(project) == stored
    assert all(entry.read_text(encoding="utf-8").startswith('{"codes"') for entry in entries(project, SEGMENTS_SUFFIX))


def test_a_segments_entry_edited_but_still_well_formed_is_not_trusted(tmp_path: Path) -> None:
    """A changed digit parses as well as the right one: only what this program wrote counts."""
    project, transcript = tmp_path / "project", SAMPLES / "CA-PSW-01.txt"
    code(transcript, project)
    stored = segments(project)
    [entry] = entries(project, SEGMENTS_SUFFIX)
    text = entry.read_text(encoding="utf-8")
    shorter = re.sub(r"\[\[(\d+), (\d+),", lambda found: f"[[{found[1]}, {int(found[2]) - 1},", text, count=1)
    assert shorter != text
    entry.write_text(shorter, encoding="utf-8")
    code(transcript, project)
    assert segments(project) == stored


def test_the_docs_key_changes_with_this_programs_own_token_code(monkeypatch: pytest.MonkeyPatch) -> None:
    # A release that changes the lemmatizer or the sentence rules must not read Docs an older one made.
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding import doc_cache
    from ipl_coder.coding.pipeline import build_pipeline, token_components

    nlp, info = build_pipeline(load_codebook(IPL_CODEBOOK).in_language("en"))
    key = doc_cache.pipeline_key(info, token_components(nlp))
    assert doc_cache.pipeline_key(info, token_components(nlp)) == key
    monkeypatch.setattr(doc_cache, "_token_hash", lambda: "sentences.py as another release has it")
    assert doc_cache.pipeline_key(info, token_components(nlp)) != key


def test_a_docs_entry_changed_but_still_read_by_docbin_is_not_trusted(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    """Lemmas changed inside the arrays read as well as the right ones: only the entry this program wrote counts."""
    from spacy.tokens import DocBin

    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding.docbin import DEFAULT_ATTRS
    from ipl_coder.coding.pipeline import build_pipeline

    codebook = write_file("team.yaml", "name: team\ncodes:\n  - id: team\n    terms: [colleague]\n")
    corpus = write_file("corpus/P1.txt", "Interviewer: And then?\nP1: My colleagues helped me.\n")
    project, fresh = tmp_path / "project", tmp_path / "fresh"
    assert code(corpus, project, codebook=codebook)["segments"] == 1
    [entry] = entries(project)
    nlp, _ = build_pipeline(load_codebook(codebook))
    docs = list(DocBin().from_bytes(entry.read_bytes()).get_docs(nlp.vocab))  # DocBin reads past the checksum line
    for token in (token for doc in docs for token in doc):
        token.lemma_ = "damaged"
    entry.write_bytes(DocBin(attrs=DEFAULT_ATTRS, docs=docs).to_bytes())
    forget_segments(project)
    result = code(corpus, project, codebook=codebook)
    code(corpus, fresh, "--no-cache", codebook=codebook)
    assert segments(project) == segments(fresh) and len(segments(fresh)) == 1
    assert result["cache"]["reused"] == 0  # coded afresh, as if the entry were missing
    assert code(corpus, project, codebook=codebook)["cache"]["reused"] == 1  # replaced with a good entry


def test_another_transcripts_docs_entry_in_an_entrys_place_is_not_trusted(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    """An entry copied over another (a sync conflict, a folder merged by hand) is whole, but of other words."""
    codebook = write_file("team.yaml", "name: team\ncodes:\n  - id: team\n    terms: [colleague]\n")
    write_file("corpus/P1.txt", "Interviewer: And then?\nP1: My colleagues helped me.\n")
    write_file("corpus/P2.txt", "Interviewer: And then?\nP1: My neighbours helped me.\n")
    corpus, project, fresh = tmp_path / "corpus", tmp_path / "project", tmp_path / "fresh"
    code(corpus, project, codebook=codebook)
    first, second = entries(project)
    shutil.copy(second, first)  # one transcript's entry in the other's place
    forget_segments(project)
    result = code(corpus, project, codebook=codebook)
    code(corpus, fresh, "--no-cache", codebook=codebook)
    assert segments(project) == segments(fresh) and len(segments(fresh)) == 1
    assert result["cache"]["reused"] == 1  # the other transcript's own entry is still good


def test_another_transcripts_segments_entry_in_an_entrys_place_is_not_trusted(tmp_path: Path,
                                                                                write_file: Callable[..., Path]) -> None:  # fmt: skip
    """Its offsets fit this transcript as well: they would put the other one's segment on this one's words."""
    codebook = write_file("team.yaml", "name: team\ncodes:\n  - id: team\n    terms: [colleague]\n")
    write_file("corpus/P1.txt", "Interviewer: And then?\nP1: My colleagues helped me.\n")
    write_file("corpus/P2.txt", "Interviewer: And then?\nP1: My neighbours helped me.\n")
    corpus, project, fresh = tmp_path / "corpus", tmp_path / "project", tmp_path / "fresh"
    code(corpus, project, codebook=codebook)
    with_segment, without = sorted(entries(project, SEGMENTS_SUFFIX), key=lambda entry: b"[[" not in entry.read_bytes())
    shutil.copy(with_segment, without)  # P1's segments in P2's entry's place
    code(corpus, project, codebook=codebook)
    code(corpus, fresh, "--no-cache", codebook=codebook)
    assert segments(project) == segments(fresh) and len(segments(fresh)) == 1

"""Random cycles of what a team does to a project, and after each: no decision ever made is out of sight.

Edits to transcripts and to the codebook, code renames, re-coding, and review
sheets from several coders come in a random order. After every cycle, every
decision still standing is on a segment that is either in segments.csv and in
its coder's next sheet, or was reported by 'code' as no longer in its edited
transcript; and no decision row is ever lost. ``make test`` runs a few cycles;
``make fuzz`` runs 200 (IPL_CODER_CYCLES), each from a seed (IPL_CODER_SEED)
that replays it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.codebook.schema import load_codebook
from test_review_sheet import read_sheet, write_sheet

CYCLES = int(os.environ.get("IPL_CODER_CYCLES", "6"))
SEED = int(os.environ.get("IPL_CODER_SEED", "20261130"))
CODERS = ("ana", "ola", "kim")
ALL_STATUSES = ("pending", "accepted", "rejected", "recoded")
TERMS = ("meeting", "colleague", "trust", "nurse", "recovery", "the ward", "lived experience")
NEW_SENTENCES = ("We talked about the team and the nurses.", "It took time to build trust.", "Nothing changed for a while.")
LABEL_LINE = re.compile(r"^(\S[^:\n]{0,30}: )(.+)$")


@dataclass
class Project:
    folder: Path
    codebook: Path
    path: Path
    rng: random.Random
    renames: int = 0
    decision_ids: set[int] = field(default_factory=set)
    reported_unplaced: dict[str, int] = field(default_factory=dict)  # transcript -> decided passages reported gone


def _code(project: Project) -> None:
    before = _unplaced(project)
    statuses = [option for status in ALL_STATUSES for option in ("--status", status)]
    exit_code, stdout, stderr = run_cli("code", project.folder, "-c", project.codebook, "-p", project.path, "--jobs", "1",
                                        "--json", *statuses)  # fmt: skip
    assert exit_code == 0, stderr
    warned = {item["name"] for item in json.loads(stdout)["coded"]
              if any("decided passage" in warning and "no longer in it" in warning for warning in item["warnings"])}  # fmt: skip
    for name, count in _unplaced(project).items():
        if count > before.get(name, 0):
            assert name in warned, f"{name}: {count} decided passages left its edited text, and 'code' did not say so"
            project.reported_unplaced[name] = count


def _edit_transcript(project: Project) -> None:
    path = project.rng.choice(sorted(project.folder.glob("*.txt")))
    lines = path.read_text(encoding="utf-8").split("\n")
    labelled = [index for index, line in enumerate(lines) if LABEL_LINE.match(line)]
    index = project.rng.choice(labelled)
    label, body = LABEL_LINE.match(lines[index]).groups()  # type: ignore[union-attr]
    sentences = re.split(r"(?<=[.?!]) ", body)
    where = project.rng.randrange(len(sentences))
    if len(sentences) > 1 and project.rng.random() < 0.4:
        del sentences[where]  # may take a decided passage away
    else:
        sentences.insert(where, project.rng.choice(NEW_SENTENCES))
    lines[index] = label + " ".join(sentences)
    path.write_text("\n".join(lines), encoding="utf-8")


def _edit_codebook(project: Project) -> None:
    code_id = project.rng.choice(_code_ids(project))
    exit_code, _, stderr = run_cli("codebook", "add-term", project.codebook, code_id, project.rng.choice(TERMS))
    assert exit_code == 0, stderr


def _rename(project: Project) -> None:
    if project.renames >= 4:
        return  # ids grow with every rename; a few are enough to mix them in
    code_id = project.rng.choice(_code_ids(project))
    project.renames += 1
    exit_code, _, stderr = run_cli("codebook", "rename", project.codebook, code_id, f"{code_id}-r{project.renames}",
                                   "--project", project.path)  # fmt: skip
    assert exit_code == 0, stderr


def _review_by_sheet(project: Project, sheet: Path) -> None:
    coder = project.rng.choice(CODERS)
    assert run_cli("review", "export", "-p", project.path, "-o", sheet, "--coder", coder)[0] == 0
    rows = read_sheet(sheet)
    codes = _code_ids(project)
    for row in project.rng.sample(rows, min(5, len(rows))):
        choice = project.rng.choice(("accept", "reject", "recode", "note"))
        if choice == "recode":
            row.update(decision="recode", new_code=project.rng.choice([code for code in codes if code != row["code"]]))
        elif choice == "note":
            row["note"] = f"{coder} thinks again ({project.rng.randrange(1000)})"
        else:
            row.update(decision=choice, new_code="")
    if rows and project.rng.random() < 0.3:
        base = project.rng.choice(rows)
        rows.append(dict.fromkeys(base, "") | {"transcript": base["transcript"], "code": project.rng.choice(codes),
                                               "start": base["start"], "end": base["end"]})  # fmt: skip
    write_sheet(sheet, rows)
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", project.path, "--coder", coder)
    assert exit_code == 0, stderr


def _code_ids(project: Project) -> list[str]:
    return [code.code_id for code in load_codebook(project.codebook).codes]


def _unplaced(project: Project) -> dict[str, int]:
    if not (project.path / "project.sqlite").exists():
        return {}
    with sqlite3.connect(project.path / "project.sqlite") as connection:
        rows = connection.execute(
            "SELECT t.name, COUNT(DISTINCT d.segment_id) FROM standing_decisions d JOIN segments s USING (segment_id)"
            " JOIN transcripts t USING (transcript_id) WHERE t.is_current = 0 GROUP BY t.name"
        ).fetchall()  # fmt: skip
    return dict(rows)


def _check(project: Project, sheet: Path) -> None:
    connection = sqlite3.connect(project.path / "project.sqlite")
    connection.row_factory = sqlite3.Row
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not connection.execute("PRAGMA foreign_key_check").fetchall()
        ids = {row[0] for row in connection.execute("SELECT decision_id FROM decisions")}
        assert project.decision_ids <= ids, "a decision row was lost"
        project.decision_ids = ids
        standing = connection.execute(
            "SELECT d.coder, d.segment_id, s.status, t.name, t.is_current FROM standing_decisions d"
            " JOIN segments s USING (segment_id) JOIN transcripts t USING (transcript_id)"
        ).fetchall()  # fmt: skip
    finally:
        connection.close()
    exported = {row["segment_id"]: row for row in csv.DictReader(
        io.StringIO((project.path / "segments.csv").read_text(encoding="utf-8-sig")))}  # fmt: skip
    sheets: dict[str, dict[str, dict[str, str]]] = {}
    for decision in standing:
        if not decision["is_current"]:
            assert decision["name"] in project.reported_unplaced, f"{decision['segment_id']} is out of sight, unreported"
            continue
        if decision["status"] == "withdrawn":
            continue
        assert decision["segment_id"] in exported, f"{decision['segment_id']} ({decision['coder']}) is not in segments.csv"
        assert exported[decision["segment_id"]]["status"] == decision["status"]
        coder = decision["coder"]
        if coder not in sheets:
            assert run_cli("review", "export", "-p", project.path, "-o", sheet, "--coder", coder)[0] == 0
            sheets[coder] = {row["segment_id"]: row for row in read_sheet(sheet)}
        row = sheets[coder].get(decision["segment_id"])
        assert row is not None and (row["decision"] or row["note"]), f"{coder}'s next sheet lacks {decision['segment_id']}"


@pytest.mark.parametrize("seed", [SEED])
def test_random_cycles_keep_every_decision_in_sight(tmp_path: Path, seed: int) -> None:
    folder = tmp_path / "interviews"
    folder.mkdir()
    for name in ("CA-PSW-01.txt", "NO-PSW-02.txt", "CA-POL-08.txt"):
        shutil.copy(SAMPLES / name, folder / name)
    codebook = tmp_path / "codebook.yaml"
    shutil.copy(IPL_CODEBOOK, codebook)
    project = Project(folder, codebook, tmp_path / "project", random.Random(seed))
    sheet = tmp_path / "sheet.csv"
    _code(project)
    steps = (_edit_transcript, _edit_codebook, _rename, _code, _code, _review_by_sheet, _review_by_sheet, _review_by_sheet)
    for cycle in range(CYCLES):
        step = project.rng.choice(steps)
        if step is _review_by_sheet:
            _review_by_sheet(project, sheet)
        else:
            step(project)
        if step in (_edit_transcript, _edit_codebook):
            _code(project)
        _check(project, tmp_path / f"check-{cycle}.csv")

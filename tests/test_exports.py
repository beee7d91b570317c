"""What segments.csv and segments.jsonl hold: every person's notes, every attribute, and the same values in both."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

from conftest import IPL_CODEBOOK, ROOT, SAMPLES, run_cli
from ipl_coder.coding.exports import write_project_exports
from ipl_coder.files import unguarded
from ipl_coder.store import NewDecision, Passage, ProjectStore


def read_segments(project: Path) -> tuple[list[dict[str, str]], list[dict[str, object]]]:
    """segments.csv as Excel reads it (with its BOM), and segments.jsonl, row by row."""
    raw = (project / "segments.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    records = [json.loads(line) for line in (project / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    return rows, records


def test_every_coders_standing_note_is_exported(fresh_project: Path) -> None:
    with ProjectStore.open(fresh_project) as store:
        first, second, third = list(store.segments(None, origin="machine"))[:3]
        store.record_decision(first.segment_id, "ana", "accept", note="fits, æøå")
        store.record_decision(second.segment_id, "ana", "note", note="first thought")
        store.record_decision(second.segment_id, "ana", "note", note="second thought")  # replaces the first
        store.record_decision(third.segment_id, "ana", "reject", note="wrong")
        store.undo_last_decision("ana")  # takes the note with the decision
    # ola writes a note on the first segment in the terminal; quitting rewrites the exports.
    exit_code, stdout, stderr = run_cli("review", "-p", fresh_project, "--coder", "ola", keys="n- not sure\nq")
    assert exit_code == 0 and "Note saved." in stdout, stderr
    rows, records = read_segments(fresh_project)
    notes = {row["segment_id"]: row["note"] for row in rows}
    assert notes[first.segment_id] == "ana: fits, æøå | ola: - not sure"
    assert notes[second.segment_id] == "ana: second thought"
    assert notes[third.segment_id] == ""
    assert sum(1 for note in notes.values() if note) == 2
    by_id = {record["segment_id"]: record for record in records}
    assert by_id[first.segment_id]["note"] == {"ana": "fits, æøå", "ola": "- not sure"}
    assert by_id[third.segment_id]["note"] == {}


def test_attributes_named_like_a_column_are_kept_and_renamed_with_a_note(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("t1.txt", "I: Well?\nP1: I was the bridge between the teams.\n")
    people = write_file("people.csv", "transcript,code,Status,note,role\nt1,X-7,retired,shy,nurse\n")
    exit_code, _, stderr = run_cli("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--participants", people)
    assert exit_code == 0, stderr
    rows, records = read_segments(tmp_path / "p")
    assert list(rows[0])[-4:] == ["participant_code", "participant_Status", "participant_note", "role"]
    assert (rows[0]["code"], rows[0]["status"], rows[0]["note"]) == ("broker", "pending", "")
    assert (rows[0]["participant_code"], rows[0]["participant_Status"], rows[0]["participant_note"]) == ("X-7", "retired", "shy")
    assert records[0]["attributes"] == {"code": "X-7", "Status": "retired", "note": "shy", "role": "nurse"}
    flat = " ".join(stderr.split())
    assert ("the participant attribute 'Status' is the column 'participant_Status' in segments.csv, which has a column "
            "'status' of its own; segments.jsonl keeps the name, under 'attributes'") in flat  # fmt: skip
    exit_code, stdout, _ = run_cli("freq", "-p", tmp_path / "p", "--by", "status")
    assert exit_code == 0 and "retired" in stdout
    # The tidy freq table renames the same way: its own 'code' column stays the code.
    assert run_cli("freq", "-p", tmp_path / "p", "--by", "code", "--out", tmp_path / "f.csv")[0] == 0
    table = list(csv.DictReader(io.StringIO((tmp_path / "f.csv").read_text(encoding="utf-8-sig"))))
    assert list(table[0])[:5] == ["code", "parent", "level", "participant_code", "segments"]
    assert {(row["code"], row["participant_code"]) for row in table if row["segments"] != "0"} == {("broker", "X-7")}


def documented_schema() -> dict[str, str]:
    """segments.jsonl's keys and JSON types, as docs/exports.md lists them."""
    text = (ROOT / "docs" / "exports.md").read_text(encoding="utf-8")
    table = text.split("<!-- segments-schema")[1].split("\n\n")[0]
    rows = [re.split(r"(?<!\\)\|", line)[1:3] for line in table.splitlines() if line.startswith("| `")]
    return {key.strip().strip("`"): kind.strip() for key, kind in rows}


JSON_TYPES: dict[str, Callable[[object], bool]] = {
    "string": lambda value: isinstance(value, str),
    "integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "integer or null": lambda value: value is None or (isinstance(value, int) and not isinstance(value, bool)),
    "number or null": lambda value: value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)),
    "boolean": lambda value: isinstance(value, bool),
    "array of strings": lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
    "object of strings": lambda value: isinstance(value, dict) and all(isinstance(item, str) for item in (*value, *value.values())),
}


def as_csv_cell(key: str, value: object) -> str:
    """What docs/exports.md says the CSV holds for a JSON value."""
    if key == "note":
        assert isinstance(value, dict)
        return " | ".join(f"{coder}: {note}" for coder, note in value.items())
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def test_segments_jsonl_is_the_documented_schema_and_the_csv_the_same_values(tmp_path: Path) -> None:
    project = tmp_path / "p"
    transcripts = (SAMPLES / "CA-PSW-01.txt", SAMPLES / "NO-PSW-09.txt")
    exit_code, _, stderr = run_cli("code", *transcripts, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1",
                                   "--participants", SAMPLES / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        first = next(store.segments())
        store.record_decision(first.segment_id, "ana", "accept", note="=fits")
        store.record_decisions([NewDecision("ola", "add", new_code_id="broker", passage=Passage(first.transcript, 0, 12))])
        write_project_exports(store, project, ("pending", "accepted"))
    schema = documented_schema()
    assert set(schema.values()) <= set(JSON_TYPES) and list(schema)[-2:] == ["note", "attributes"]
    rows, records = read_segments(project)
    assert len(rows) == len(records) > 10
    assert {record["origin"] for record in records} == {"machine", "human"} and any(record["note"] for record in records)
    attribute_columns = list(rows[0])[len(schema) - 1 :]
    assert list(rows[0])[: len(schema) - 1] == list(schema)[:-1] and attribute_columns == ["role", "country", "site", "language"]
    for row, record in zip(rows, records, strict=True):
        assert list(record) == list(schema)
        for key, kind in schema.items():
            assert JSON_TYPES[kind](record[key]), f"{key} is {record[key]!r}, not {kind}"
        for key in list(schema)[:-1]:
            assert unguarded(row[key]) == as_csv_cell(key, record[key]), key
        assert record["attributes"] == {column: row[column] for column in attribute_columns}


def test_each_record_says_what_the_store_says_of_its_segment_and_the_counts_are_its_passages(reviewed: Path) -> None:
    """The exports read the store's segments as plain rows: every field lands in its own key, and the counts add up."""
    with ProjectStore.open(reviewed) as store:
        write_project_exports(store, reviewed, ("pending", "accepted", "rejected"))
        segments = list(store.segments(("pending", "accepted", "rejected")))
        parents = {code.code_id: code.parent_id for code in store.latest_codes()}
        assert store.segment(segments[-1].segment_id) == segments[-1]
    rows, records = read_segments(reviewed)
    assert [record["segment_id"] for record in records] == [segment.segment_id for segment in segments]
    assert {record["decided_by"] for record in records} == {"", "ana", "ola"} and any(record["coder"] for record in records)
    for record, segment in zip(records, segments, strict=True):
        assert (record["transcript"], record["speaker"], record["turn"], record["start"], record["end"], record["code"],
                record["unit"], record["matched"], record["rules"], record["text"], record["status"], record["origin"],
                record["score"], record["suggested"], record["coder"], record["decided_by"], record["decided_at"]) == (
            segment.transcript, segment.speaker, segment.turn_number, segment.start_char, segment.end_char, segment.code_id,
            segment.unit, list(segment.matched), list(segment.rules), segment.text, segment.status, segment.origin,
            segment.score, segment.suggested, segment.coder or "", segment.decided_by or "", segment.decided_at or "")  # fmt: skip
    # A code counts each passage of its own and of its sub-codes once, however many coders gave it.
    passages: dict[str, set[tuple[object, ...]]] = {}
    for record in records:
        code: str | None = str(record["code"])
        while code is not None:
            passages.setdefault(code, set()).add((record["transcript"], record["code"], record["start"], record["end"]))
            code = parents.get(code)
    counted = {row["code"]: int(row["segments"]) for row in csv.DictReader(io.StringIO(
        (reviewed / "frequencies.csv").read_text(encoding="utf-8-sig"), newline=""))}  # fmt: skip
    assert counted == {code: len(passages.get(code, ())) for code in counted} and sum(counted.values()) > len(records)

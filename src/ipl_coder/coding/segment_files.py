"""segments.csv (for Excel, æøå included) and segments.jsonl (for scripts).

Each row carries the participant behind the segment and their attributes
(role, country, ...) as the last columns, so the file filters and pivots by
group in a spreadsheet without a lookup. An attribute whose name is already a
column (``code``, ``status``, ...) gets the column ``participant_code``,
``participant_status``, ...; in segments.jsonl the attributes keep their names,
under ``attributes``. The notes people wrote on a segment are in its ``note``
column, each coder's named: ``ana: text | ola: text``.

Both files hold the same keys and values; segments.jsonl keeps their JSON
types (docs/exports.md lists them), where the CSV has text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import IO

from ipl_coder.files import spreadsheet_row, spreadsheet_safe
from ipl_coder.store import SegmentNote, SegmentRow
from ipl_coder.transcripts.participants import PeopleIndex, attribute_columns

SEGMENT_COLUMNS = (
    "segment_id", "transcript", "participant", "speaker", "turn", "time", "start", "end", "code", "label",
    "unit", "matched", "rules", "text", "status", "origin", "score", "why", "suggested", "coder", "decided_by", "decided_at", "note",
)  # fmt: skip
NOTE_SEPARATOR = " | "  # between coders' notes in one cell
Notes = Mapping[str, Sequence[SegmentNote]]  # segment id -> each coder's standing note


class SegmentRecords:
    """What segments.csv and segments.jsonl say about a segment, computed once for both."""

    def __init__(self, labels: Mapping[str, str], people: PeopleIndex, notes: Notes) -> None:
        self.labels = labels
        self.people = people
        self.notes = notes
        # Attribute name -> its CSV column: an attribute never hides a standard column, nor vanishes behind one.
        self.attribute_columns = attribute_columns(people.attribute_names, SEGMENT_COLUMNS)

    def record(self, segment: SegmentRow) -> dict[str, object]:
        """The segment's standard keys (SEGMENT_COLUMNS, in order) with JSON types, then ``attributes``.

        ``attributes`` holds every attribute of the project, by its own name: the participant's value, or "".
        """
        person = self.people.person_for(segment.transcript, segment.speaker)
        values = person.attributes if person else self.people.transcript_attributes.get(segment.transcript, {})
        return {
            "segment_id": segment.segment_id,
            "transcript": segment.transcript,
            "participant": person.participant_id if person else "",
            "speaker": segment.speaker,
            "turn": segment.turn_number,
            "time": segment.timestamp or "",
            "start": segment.start_char,
            "end": segment.end_char,
            "code": segment.code_id,
            "label": self.labels.get(segment.code_id, segment.code_id),
            "unit": segment.unit,
            "matched": list(segment.matched),
            "rules": list(segment.rules),
            "text": segment.text,
            "status": segment.status,
            "origin": segment.origin,
            "score": segment.score,  # the learned model's, for origin 'model'
            "why": segment.why if segment.origin == "model" else "",  # its reason: the rules say theirs in matched and rules
            "suggested": segment.suggested,
            "coder": segment.coder or "",  # who added it, for a code a person added
            "decided_by": segment.decided_by or "",
            "decided_at": segment.decided_at or "",
            "note": {note.coder: note.note for note in self.notes.get(segment.segment_id, ())},
            "attributes": {name: values.get(name, "") for name in self.people.attribute_names},
        }


class SegmentsCsvWriter:
    """One spreadsheet-safe row per segment; open the handle with utf-8-sig so Excel reads UTF-8."""

    def __init__(self, handle: IO[str], attribute_columns: Mapping[str, str]) -> None:
        self.writer = csv.writer(handle)
        self.writer.writerow(spreadsheet_safe(column) for column in (*SEGMENT_COLUMNS, *attribute_columns.values()))

    def write(self, record: Mapping[str, object]) -> None:
        """A row of :meth:`SegmentRecords.record`: its attributes' values in the last columns."""
        cells = [*record.values()]
        cells[_ATTRIBUTES:] = record["attributes"].values()  # type: ignore[attr-defined]
        # As text: lists joined with "; ", yes/no, each coder's note named; None is written empty.
        cells[_MATCHED], cells[_RULES] = "; ".join(record["matched"]), "; ".join(record["rules"])  # type: ignore[arg-type]
        cells[_SUGGESTED] = "yes" if record["suggested"] else "no"
        cells[_NOTE] = NOTE_SEPARATOR.join(f"{coder}: {note}" for coder, note in record["note"].items())  # type: ignore[attr-defined]
        self.writer.writerow(spreadsheet_row(cells))


_MATCHED, _RULES, _SUGGESTED, _NOTE = map(SEGMENT_COLUMNS.index, ("matched", "rules", "suggested", "note"))
_ATTRIBUTES = len(SEGMENT_COLUMNS)  # where a record's attributes begin
# json.dumps(..., ensure_ascii=False) without building an encoder per call: a big export writes tens of thousands of lines.
_json_text = json.JSONEncoder(ensure_ascii=False).encode


class SegmentsJsonlWriter:
    """One JSON object per line: the CSV's keys, with JSON types, and the attributes under ``attributes``."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def write(self, record: Mapping[str, object]) -> None:
        self.handle.write(_json_text(record) + "\n")

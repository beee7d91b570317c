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
        self._last: tuple[SegmentRow, dict[str, object]] | None = None

    def record(self, segment: SegmentRow) -> dict[str, object]:
        """The segment's standard keys, with JSON types; its participant's attributes are :meth:`attributes`.

        Both files ask for each segment in turn: the last record is kept for the second.
        """
        if self._last is not None and self._last[0] is segment:
            return self._last[1]
        record = self._record(segment)
        self._last = (segment, record)
        return record

    def _record(self, segment: SegmentRow) -> dict[str, object]:
        person = self.people.person_for(segment.transcript, segment.speaker)
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
        }

    def attributes(self, segment: SegmentRow) -> dict[str, str]:
        """Every attribute of the project, by its own name: the participant's value, or ""."""
        person = self.people.person_for(segment.transcript, segment.speaker)
        values = person.attributes if person else self.people.transcript_attributes.get(segment.transcript, {})
        return {name: values.get(name, "") for name in self.people.attribute_names}


class SegmentsCsvWriter:
    """One spreadsheet-safe row per segment; open the handle with utf-8-sig so Excel reads UTF-8."""

    def __init__(self, handle: IO[str], records: SegmentRecords) -> None:
        self.writer = csv.writer(handle)
        self.records = records
        self.writer.writerow(spreadsheet_safe(column) for column in (*SEGMENT_COLUMNS, *records.attribute_columns.values()))

    def write(self, segment: SegmentRow) -> None:
        record = self.records.record(segment)
        cells = [*record.values(), *self.records.attributes(segment).values()]  # the record's keys are SEGMENT_COLUMNS, in order
        # As text: lists joined with "; ", yes/no, each coder's note named; None is written empty.
        cells[_MATCHED], cells[_RULES] = "; ".join(record["matched"]), "; ".join(record["rules"])  # type: ignore[arg-type]
        cells[_SUGGESTED] = "yes" if record["suggested"] else "no"
        cells[_NOTE] = NOTE_SEPARATOR.join(f"{coder}: {note}" for coder, note in record["note"].items())  # type: ignore[attr-defined]
        self.writer.writerow(spreadsheet_row(cells))


_MATCHED, _RULES, _SUGGESTED, _NOTE = map(SEGMENT_COLUMNS.index, ("matched", "rules", "suggested", "note"))


class SegmentsJsonlWriter:
    """One JSON object per line: the CSV's keys, with JSON types, and the attributes under ``attributes``."""

    def __init__(self, handle: IO[str], records: SegmentRecords) -> None:
        self.handle = handle
        self.records = records

    def write(self, segment: SegmentRow) -> None:
        record = {**self.records.record(segment), "attributes": self.records.attributes(segment)}
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")

"""segments.csv (for Excel, æøå included) and segments.jsonl (for scripts).

Each row carries the participant behind the segment and their attributes
(role, country, ...) as the last columns, so the file filters and pivots by
group in a spreadsheet without a lookup.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import IO

from ipl_coder.files import spreadsheet_safe
from ipl_coder.store import SegmentRow
from ipl_coder.transcripts.participants import PeopleIndex

SEGMENT_COLUMNS = (
    "segment_id", "transcript", "participant", "speaker", "turn", "time", "start", "end", "code", "label",
    "unit", "matched", "rules", "text", "status", "origin", "suggested", "coder", "decided_by", "decided_at",
)  # fmt: skip


def segment_record(segment: SegmentRow, labels: Mapping[str, str], people: PeopleIndex) -> dict[str, object]:
    person = people.person_for(segment.transcript, segment.speaker)
    record: dict[str, object] = {
        "segment_id": segment.segment_id,
        "transcript": segment.transcript,
        "participant": person.participant_id if person else "",
        "speaker": segment.speaker,
        "turn": segment.turn_number,
        "time": segment.timestamp or "",
        "start": segment.start_char,
        "end": segment.end_char,
        "code": segment.code_id,
        "label": labels.get(segment.code_id, segment.code_id),
        "unit": segment.unit,
        "matched": list(segment.matched),
        "rules": list(segment.rules),
        "text": segment.text,
        "status": segment.status,
        "origin": segment.origin,
        "suggested": segment.suggested,
        "coder": segment.coder or "",  # who added it, for a code a person added
        "decided_by": segment.decided_by or "",
        "decided_at": segment.decided_at or "",
    }
    attributes = person.attributes if person else people.transcript_attributes.get(segment.transcript, {})
    for name in people.attribute_names:
        record.setdefault(name, attributes.get(name, ""))  # an attribute never hides a standard column
    return record


def columns(people: PeopleIndex) -> Sequence[str]:
    return (*SEGMENT_COLUMNS, *(name for name in people.attribute_names if name not in SEGMENT_COLUMNS))


class SegmentsCsvWriter:
    """One spreadsheet-safe row per segment; open the handle with utf-8-sig so Excel reads UTF-8."""

    def __init__(self, handle: IO[str], labels: Mapping[str, str], people: PeopleIndex) -> None:
        self.writer = csv.writer(handle)
        self.labels = labels
        self.people = people
        self.columns = columns(people)
        self.writer.writerow(spreadsheet_safe(column) for column in self.columns)

    def write(self, segment: SegmentRow) -> None:
        record = segment_record(segment, self.labels, self.people)
        record["matched"] = "; ".join(segment.matched)
        record["rules"] = "; ".join(segment.rules)
        record["suggested"] = "yes" if segment.suggested else "no"
        self.writer.writerow(spreadsheet_safe(record[column]) for column in self.columns)


class SegmentsJsonlWriter:
    def __init__(self, handle: IO[str], labels: Mapping[str, str], people: PeopleIndex) -> None:
        self.handle = handle
        self.labels = labels
        self.people = people
        self.attribute_columns = columns(people)[len(SEGMENT_COLUMNS) :]

    def write(self, segment: SegmentRow) -> None:
        record = segment_record(segment, self.labels, self.people)
        attributes = {name: record.pop(name) for name in self.attribute_columns}
        self.handle.write(json.dumps({**record, "attributes": attributes}, ensure_ascii=False) + "\n")

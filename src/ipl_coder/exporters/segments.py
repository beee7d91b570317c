"""segments.csv (for Excel, æøå included) and segments.jsonl (for scripts)."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from typing import IO

from ipl_coder.exporters.files import spreadsheet_safe
from ipl_coder.store import SegmentRow

SEGMENT_COLUMNS = (
    "segment_id", "transcript", "speaker", "turn", "start", "end", "code", "label",
    "unit", "matched", "rules", "text", "status", "origin", "suggested",
)  # fmt: skip


def segment_record(segment: SegmentRow, labels: Mapping[str, str]) -> dict[str, object]:
    return {
        "segment_id": segment.segment_id,
        "transcript": segment.transcript,
        "speaker": segment.speaker,
        "turn": segment.turn_number,
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
    }


class SegmentsCsvWriter:
    """One spreadsheet-safe row per segment; open the handle with utf-8-sig so Excel reads UTF-8."""

    def __init__(self, handle: IO[str], labels: Mapping[str, str]) -> None:
        self.writer = csv.writer(handle)
        self.labels = labels
        self.writer.writerow(SEGMENT_COLUMNS)

    def write(self, segment: SegmentRow) -> None:
        record = segment_record(segment, self.labels)
        record["matched"] = "; ".join(segment.matched)
        record["rules"] = "; ".join(segment.rules)
        record["suggested"] = "yes" if segment.suggested else "no"
        self.writer.writerow(spreadsheet_safe(record[column]) for column in SEGMENT_COLUMNS)


class SegmentsJsonlWriter:
    def __init__(self, handle: IO[str], labels: Mapping[str, str]) -> None:
        self.handle = handle
        self.labels = labels

    def write(self, segment: SegmentRow) -> None:
        self.handle.write(json.dumps(segment_record(segment, self.labels), ensure_ascii=False) + "\n")

"""segments.csv (for Excel, æøå included) and segments.jsonl (for scripts)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from ipl_coder.exporters.files import spreadsheet_safe, write_atomically
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


def write_segments_csv(path: Path, segments: Iterable[SegmentRow], labels: Mapping[str, str]) -> None:
    def write(handle: IO[str]) -> None:
        writer = csv.writer(handle)
        writer.writerow(SEGMENT_COLUMNS)
        for segment in segments:
            record = segment_record(segment, labels)
            record["matched"] = "; ".join(segment.matched)
            record["rules"] = "; ".join(segment.rules)
            record["suggested"] = "yes" if segment.suggested else "no"
            writer.writerow(spreadsheet_safe(record[column]) for column in SEGMENT_COLUMNS)

    # utf-8-sig writes the BOM Excel needs to read UTF-8 rather than the local code page.
    write_atomically(path, write, encoding="utf-8-sig")


def write_segments_jsonl(path: Path, segments: Iterable[SegmentRow], labels: Mapping[str, str]) -> None:
    def write(handle: IO[str]) -> None:
        for segment in segments:
            handle.write(json.dumps(segment_record(segment, labels), ensure_ascii=False) + "\n")

    write_atomically(path, write)

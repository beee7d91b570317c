"""Files generated from the project store; none of them is ever read back as a record."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.coding.frequencies import (
    CodeFrequency,
    code_frequencies,
    write_frequencies_csv,
)
from ipl_coder.coding.segment_files import SegmentRecords, SegmentsCsvWriter, SegmentsJsonlWriter
from ipl_coder.files import atomic_file, remove_leftovers
from ipl_coder.store import COUNTED_STATUSES, ProjectStore, SegmentRow
from ipl_coder.transcripts.participants import build_people_index, register_from_store

SEGMENTS_CSV = "segments.csv"
SEGMENTS_JSONL = "segments.jsonl"
FREQUENCIES_CSV = "frequencies.csv"


@dataclass(frozen=True)
class ExportResult:
    paths: list[Path]
    frequencies: list[CodeFrequency]
    notes: tuple[str, ...] = ()  # what the files do differently from what one would expect, such as renamed columns


def write_project_exports(store: ProjectStore, project_dir: Path, statuses: Sequence[str] = COUNTED_STATUSES) -> ExportResult:
    """Rewrite the project's standard exports from the store, reading the segments once."""
    remove_leftovers(project_dir, (SEGMENTS_CSV, SEGMENTS_JSONL, FREQUENCIES_CSV))
    codes = store.latest_codes()
    labels = {code.code_id: code.label for code in codes}
    transcripts = store.transcript_infos()  # their names and attributes: not their texts
    people = build_people_index(transcripts, store.speakers(), register_from_store(store.participants()))
    csv_path, jsonl_path = project_dir / SEGMENTS_CSV, project_dir / SEGMENTS_JSONL
    with atomic_file(csv_path, encoding="utf-8-sig") as csv_handle, atomic_file(jsonl_path) as jsonl_handle:
        records = SegmentRecords(labels, people, store.standing_notes())
        csv_writer = SegmentsCsvWriter(csv_handle, records.attribute_columns)
        jsonl_writer = SegmentsJsonlWriter(jsonl_handle)

        def written(segments: Iterator[SegmentRow]) -> Iterator[SegmentRow]:
            for segment in segments:
                record = records.record(segment)
                csv_writer.write(record)
                jsonl_writer.write(record)
                yield segment

        frequencies = code_frequencies(codes, written(store.segments(statuses)))
    frequencies_path = project_dir / FREQUENCIES_CSV
    write_frequencies_csv(frequencies_path, frequencies, [transcript.name for transcript in transcripts])
    return ExportResult([csv_path, jsonl_path, frequencies_path], frequencies, tuple(renamed_columns(records.attribute_columns)))


def renamed_columns(attribute_columns: Mapping[str, str]) -> list[str]:
    """A note per attribute whose column in segments.csv is not its name, so nobody looks for it in vain."""
    return [
        f"the participant attribute '{name}' is the column '{column}' in {SEGMENTS_CSV}, which has a column "
        f"'{name.casefold()}' of its own; {SEGMENTS_JSONL} keeps the name, under 'attributes'"
        for name, column in attribute_columns.items()
        if column != name
    ]

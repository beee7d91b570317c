"""Files generated from the project store; none of them is ever read back as a record."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ipl_coder.exporters.frequencies import code_frequencies, write_frequencies_csv
from ipl_coder.exporters.segments import write_segments_csv, write_segments_jsonl
from ipl_coder.store import COUNTED_STATUSES, ProjectStore

SEGMENTS_CSV = "segments.csv"
SEGMENTS_JSONL = "segments.jsonl"
FREQUENCIES_CSV = "frequencies.csv"


def write_project_exports(store: ProjectStore, project_dir: Path, statuses: Sequence[str] = COUNTED_STATUSES) -> list[Path]:
    """Rewrite the project's standard exports from the store; returns their paths."""
    paths = [project_dir / SEGMENTS_CSV, project_dir / SEGMENTS_JSONL, project_dir / FREQUENCIES_CSV]
    labels = {code.code_id: code.label for code in store.latest_codes()}
    write_segments_csv(paths[0], store.segments(statuses), labels)
    write_segments_jsonl(paths[1], store.segments(statuses), labels)
    frequencies = code_frequencies(store.latest_codes(), store.segments(statuses))
    write_frequencies_csv(paths[2], frequencies, [transcript.name for transcript in store.transcripts()])
    return paths


__all__ = ["code_frequencies", "write_project_exports"]

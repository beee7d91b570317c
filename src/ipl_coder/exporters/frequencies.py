"""How often each code occurs, per transcript, with parents counting their sub-codes."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.exporters.files import atomic_file, spreadsheet_safe
from ipl_coder.store import CodeRow, SegmentRow

if TYPE_CHECKING:
    from ipl_coder.groups import GroupFrequency


@dataclass(frozen=True)
class CodeFrequency:
    code_id: str
    label: str
    depth: int  # 0 for a top-level code
    segments: int
    per_transcript: Counter[str] = field(default_factory=Counter)

    @property
    def transcripts(self) -> int:
        return sum(1 for count in self.per_transcript.values() if count)


def code_frequencies(codes: Sequence[CodeRow], segments: Iterable[SegmentRow]) -> list[CodeFrequency]:
    """One row per code, in codebook order; codes only found in segments come last."""
    parents = {code.code_id: code.parent_id for code in codes}
    counts: dict[str, Counter[str]] = {code.code_id: Counter() for code in codes}
    for segment in segments:
        code_id: str | None = segment.code_id
        while code_id is not None:  # the segment counts for its code and every ancestor
            counts.setdefault(code_id, Counter())[segment.transcript] += 1
            code_id = parents.get(code_id)
    labels = {code.code_id: code.label for code in codes}

    def depth(code_id: str) -> int:
        parent = parents.get(code_id)
        return 0 if parent is None else 1 + depth(parent)

    return [
        CodeFrequency(code_id, labels.get(code_id, code_id), depth(code_id), sum(counter.values()), counter)
        for code_id, counter in counts.items()
    ]


def write_frequencies_csv(path: Path, frequencies: Sequence[CodeFrequency], transcript_names: Sequence[str]) -> None:
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(spreadsheet_safe(cell) for cell in ("code", "label", "segments", "transcripts", *transcript_names))
        for row in frequencies:
            cells = [row.code_id, row.label, row.segments, row.transcripts]
            cells += [row.per_transcript.get(name, 0) for name in transcript_names]
            writer.writerow(spreadsheet_safe(cell) for cell in cells)


def write_group_frequencies_csv(path: Path, by: Sequence[str], rows: Sequence[GroupFrequency]) -> None:
    """The tidy (long) table: one row per code and group, ready for R or pandas."""
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        header = ("code", *by, "segments", "participants", "participants_with_code", "share", "per_1000_words")
        writer.writerow(spreadsheet_safe(cell) for cell in header)
        for row in rows:
            cells = (row.code_id, *row.group, row.segments, row.participants, row.participants_with_code,
                     f"{row.share:.3f}", f"{row.per_1000_words:.2f}")  # fmt: skip
            writer.writerow(spreadsheet_safe(cell) for cell in cells)

"""How often each code occurs, per transcript, with parents counting their sub-codes."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.store import CodeRow, SegmentRow


@dataclass(frozen=True)
class CodeFrequency:
    code_id: str
    label: str
    depth: int  # 0 for a top-level code
    segments: int  # the code's own and its sub-codes'
    per_transcript: Counter[str] = field(default_factory=Counter)
    parent_id: str | None = None

    @property
    def transcripts(self) -> int:
        return sum(1 for count in self.per_transcript.values() if count)


class CodeTree:
    """The parent links of a codebook's codes, for rolling sub-codes up into their parents."""

    def __init__(self, codes: Sequence[CodeRow]) -> None:
        self.parents = {code.code_id: code.parent_id for code in codes}

    def with_ancestors(self, code_id: str) -> Iterator[str]:
        """The code and every code above it: a segment counts for each."""
        current: str | None = code_id
        while current is not None:
            yield current
            current = self.parents.get(current)

    def depth(self, code_id: str) -> int:
        return sum(1 for _ in self.with_ancestors(code_id)) - 1


def one_per_passage(segments: Iterable[SegmentRow]) -> Iterator[SegmentRow]:
    """Segments in store order, a passage two coders each gave the same code counted once."""
    last: tuple[str, str, int, int] | None = None
    for segment in segments:
        key = (segment.transcript, segment.code_id, segment.start_char, segment.end_char)
        if key != last:
            yield segment
        last = key


def code_frequencies(codes: Sequence[CodeRow], segments: Iterable[SegmentRow]) -> list[CodeFrequency]:
    """One row per code, in codebook order; codes only found in segments come last."""
    tree = CodeTree(codes)
    counts: dict[str, Counter[str]] = {code.code_id: Counter() for code in codes}
    counted_in: dict[str, list[Counter[str]]] = {}  # a segment's code -> the counters it adds to: its own and its parents'
    for segment in one_per_passage(segments):
        counters = counted_in.get(segment.code_id)
        if counters is None:
            counters = counted_in[segment.code_id] = [
                counts.setdefault(code_id, Counter()) for code_id in tree.with_ancestors(segment.code_id)
            ]
        for counter in counters:
            counter[segment.transcript] += 1
    labels = {code.code_id: code.label for code in codes}
    return [
        CodeFrequency(code_id, labels.get(code_id, code_id), tree.depth(code_id), sum(counter.values()), counter,
                      tree.parents.get(code_id))
        for code_id, counter in counts.items()
    ]  # fmt: skip


def write_frequencies_csv(path: Path, frequencies: Sequence[CodeFrequency], transcript_names: Sequence[str]) -> None:
    """One row per code; a parent's counts include its sub-codes', so a total sums the rows of level 0."""
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        header = ("code", "label", "parent", "level", "segments", "transcripts", *transcript_names)
        writer.writerow(spreadsheet_safe(cell) for cell in header)
        for row in frequencies:
            cells = [row.code_id, row.label, row.parent_id or "", row.depth, row.segments, row.transcripts]
            cells += [row.per_transcript.get(name, 0) for name in transcript_names]
            writer.writerow(spreadsheet_safe(cell) for cell in cells)

"""Which codes occur together on the same passage: the plain function behind ``ipl-coder cooccur``.

A passage is one unit (sentence, paragraph or turn) of a participant's turn,
cut as the agreement figures cut them (:mod:`ipl_coder.coding.units`). A unit
has a code when a counted segment of that code, or of one of its sub-codes,
overlaps it: a parent counts its sub-codes, as in ``ipl-coder freq``. Two codes
co-occur on every unit that has both; Jaccard's index is that count over the
units that have either.

A code and a code above it are never a pair: every passage of ``role-peer``
is one of ``role`` too, so that pair would only repeat the sub-code's count.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from ipl_coder.coding.frequencies import CodeTree
from ipl_coder.coding.units import TranscriptUnits, UnitSplitter
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.store import COUNTED_STATUSES, ProjectStore, SegmentRow


@dataclass(frozen=True)
class CodePair:
    code_a: str  # before code_b in codebook order
    code_b: str
    passages: int  # units with both codes
    jaccard: float  # passages / units with either code


@dataclass(frozen=True)
class CooccurrenceResult:
    project_dir: Path
    unit: str
    statuses: tuple[str, ...]
    codes: list[str]  # codebook order; codes only found in segments come last
    passages_by_code: dict[str, int]  # units with the code (or a sub-code of it), for every code
    pairs: list[CodePair]  # every two codes sharing a passage, in codebook order of code_a, then code_b
    units: int  # in all the transcripts' participant turns
    transcripts: int


def code_cooccurrence(project_dir: Path, unit: str = "sentence",
                      statuses: Sequence[str] = COUNTED_STATUSES) -> CooccurrenceResult:  # fmt: skip
    """Count, for every two codes, the units of participants' speech that have both."""
    splitter = UnitSplitter(unit, project_dir)  # an unknown unit fails before the store is opened
    by_code: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()  # the two codes in name order until the codebook's is known
    units = transcripts = 0
    with ProjectStore.open(project_dir) as store:
        tree = CodeTree(store.latest_codes())
        # One transcript at a time, text and segments alike: a project of long interviews need not fit in memory.
        for name in store.transcript_languages():
            row = store.transcript(name)
            if row is None:
                continue
            cut = splitter.split(row, store.turns(row.transcript_id))
            for held in _codes_per_unit(cut, store.segments(statuses, transcript=name), tree):
                by_code.update(held)
                together.update(pair for pair in combinations(sorted(held), 2) if not _related(tree, *pair))
            units += len(cut.units)
            transcripts += 1
    codes = list(tree.parents) + sorted(set(by_code) - set(tree.parents))
    return CooccurrenceResult(project_dir, unit, tuple(statuses), codes, {code: by_code[code] for code in codes},
                              _pairs(codes, by_code, together), units, transcripts)  # fmt: skip


def _codes_per_unit(cut: TranscriptUnits, segments: Iterable[SegmentRow], tree: CodeTree) -> Iterable[set[str]]:
    """The codes each unit with any has, its segments' codes and every code above them."""
    found: dict[int, set[str]] = {}
    for segment in segments:
        for index in cut.overlapping(segment.start_char, segment.end_char):
            found.setdefault(index, set()).update(tree.with_ancestors(segment.code_id))
    return found.values()


def _related(tree: CodeTree, first: str, second: str) -> bool:
    """Whether one code is above the other, which makes them co-occur wherever the lower one is."""
    return first in tree.with_ancestors(second) or second in tree.with_ancestors(first)


def _pairs(codes: list[str], by_code: Counter[str], together: Counter[tuple[str, str]]) -> list[CodePair]:
    position = {code: index for index, code in enumerate(codes)}
    pairs = []
    for (first, second), both in together.items():
        code_a, code_b = sorted((first, second), key=position.__getitem__)
        pairs.append(CodePair(code_a, code_b, both, both / (by_code[code_a] + by_code[code_b] - both)))
    return sorted(pairs, key=lambda pair: (position[pair.code_a], position[pair.code_b]))


CSV_COLUMNS = ("code_a", "code_b", "passages", "jaccard", "unit")


def write_cooccurrence_csv(path: Path, result: CooccurrenceResult) -> None:
    """The tidy table: one row per pair of codes sharing a passage, ready for R or pandas."""
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(spreadsheet_safe(cell) for cell in CSV_COLUMNS)
        for pair in result.pairs:
            cells = (pair.code_a, pair.code_b, pair.passages, f"{pair.jaccard:.3f}", result.unit)
            writer.writerow(spreadsheet_safe(cell) for cell in cells)

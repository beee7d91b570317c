"""The machine scored against one coder's coding: ``ipl-coder agreement --against CODER``.

Every unit (sentence or paragraph of a participant's turn) × code is a cell.
The coder's cell is coded when a passage they coded (an accepted suggestion, a
code they added, the right code of a recode, a code imported from a sheet or
another tool) with that code, or one of its sub-codes, overlaps the unit. The
machine's cell is coded when any of its suggestions does, whatever its review
status: this measures the rules, not the review. Only the transcripts the
coder worked in are counted. The learned model's suggestions (``code
--learned``) are scored apart, as a "rule" named ``model`` under each code and
over all codes, alone and together with the rules; the rules' own figures
leave them out.

A code the coder never used, though one of its parents they did, is compared
at that parent: rules of ``role-peer`` are scored against ``role`` when the
coder coded only the six top-level codes. "All codes" sums the top-level
codes' cells (micro averaging).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ipl_coder.errors import InputError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.review.agreement import harmonic_mean
from ipl_coder.review.units import COMPARISON_UNITS, TranscriptUnits, participant_units
from ipl_coder.store import WITHDRAWN, CodeRow, ProjectStore, SegmentRow

Cell = tuple[str, int, str]  # transcript, unit index, code
MODEL_RULE = "model"  # the learned model's suggestions (origin 'model'), scored beside the rules like one more rule
RULES_AND_MODEL = "rules+model"


@dataclass(frozen=True)
class CellFigures:
    code_id: str  # "" for all top-level codes together
    rule_id: str  # "" for the code as a whole
    both: int  # cells the coder coded and the machine suggested
    machine_only: int
    coder_only: int

    @property
    def precision(self) -> float | None:
        suggested = self.both + self.machine_only
        return self.both / suggested if suggested else None

    @property
    def recall(self) -> float | None:
        coded = self.both + self.coder_only
        return self.both / coded if coded else None

    @property
    def f1(self) -> float | None:
        return harmonic_mean(self.precision, self.recall)


@dataclass(frozen=True)
class Disagreement:
    kind: str  # "missed": the coder coded it, no rule suggested it; "extra": suggested, not coded
    transcript: str
    start_char: int
    end_char: int
    speaker: str
    code_id: str  # the top-level code the cell is about
    codes: tuple[str, ...]  # the codes as the coder or the machine gave them
    rules: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    text: str = ""


@dataclass(frozen=True)
class AgainstResult:
    coder: str
    unit: str
    figures: list[CellFigures]  # per code, each followed by its rules; then all codes
    disagreements: list[Disagreement]
    transcripts: int
    units: int
    notes: list[str] = field(default_factory=list)


@dataclass
class _Marks:
    """Which cells each side coded, and for the machine which rules and words did it."""

    coder: dict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))  # cell -> codes as given
    machine: dict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))
    rules: dict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))
    words: dict[Cell, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))


def compare_with_coder(project_dir: Path, coder: str, unit: str = "sentence") -> AgainstResult:
    """Score every machine suggestion against ``coder``'s coding, cell by cell."""
    if unit not in COMPARISON_UNITS:
        raise InputError(f"--against compares {' or '.join(COMPARISON_UNITS)} cells, not '{unit}'")
    with ProjectStore.open(project_dir) as store:
        known = [summary.coder for summary in store.coders()]
        if coder not in known:
            said = f"the coders are {', '.join(known)}" if known else "nobody has coded or reviewed anything yet"
            raise InputError(f"no coding by '{coder}' in {project_dir}; {said}")
        segments = [segment for segment in store.segments(None) if segment.status != WITHDRAWN]
        views = store.coder_views(coder)
        worked = sorted({s.transcript for s in segments if (view := views.get(s.segment_id)) and view.decision})
        units = participant_units(store, worked, unit)
        tree = _Tree(store.latest_codes())
    coded = [s for s in segments if (view := views.get(s.segment_id)) is not None and view.status == "accepted"]
    machine = [s for s in segments if s.origin == "machine" and s.transcript in units]
    model = [s for s in segments if s.origin == "model" and s.transcript in units]
    marks = _mark(units, coded, machine, tree)
    used = {code for _, _, code in marks.coder}  # with the parents of every code the coder gave
    figures = _figures(marks, machine, units, tree, used, model)
    notes = []
    outside = sum(1 for s in segments if s.transcript not in units and (view := views.get(s.segment_id)) and view.decision)
    if outside:
        notes.append(f"{outside} of {coder}'s passages are in transcripts no longer in the project and are not counted")
    return AgainstResult(coder, unit, figures, _disagreements(marks, units, tree), len(units),
                         sum(len(item.units) for item in units.values()), notes)  # fmt: skip


class _Tree:
    def __init__(self, codes: Sequence[CodeRow]) -> None:
        self.parent = {code.code_id: code.parent_id for code in codes}
        self.order = {code.code_id: index for index, code in enumerate(codes)}

    def chain(self, code_id: str) -> list[str]:
        """The code, its parent, and so on up to its top-level code."""
        chain = [code_id]
        while (parent := self.parent.get(chain[-1])) and parent not in chain:
            chain.append(parent)
        return chain

    def root(self, code_id: str) -> str:
        return self.chain(code_id)[-1]

    def sort_key(self, code_id: str) -> tuple[int, str]:
        return self.order.get(code_id, len(self.order)), code_id


def _mark(units: dict[str, TranscriptUnits], coded: Sequence[SegmentRow], machine: Sequence[SegmentRow], tree: _Tree) -> _Marks:
    marks = _Marks()
    for segment in coded:
        if segment.transcript in units:
            for index in units[segment.transcript].overlapping(segment.start_char, segment.end_char):
                for code in tree.chain(segment.code_id):
                    marks.coder[(segment.transcript, index, code)].add(segment.code_id)
    for segment in machine:
        for index in units[segment.transcript].overlapping(segment.start_char, segment.end_char):
            for code in tree.chain(segment.code_id):
                cell = (segment.transcript, index, code)
                marks.machine[cell].add(segment.code_id)
                marks.rules[cell].update(segment.rules)
                marks.words[cell].update(dict.fromkeys(segment.matched))
    return marks


def _figures(marks: _Marks, machine: Sequence[SegmentRow], units: dict[str, TranscriptUnits], tree: _Tree,
             used: set[str], model: Sequence[SegmentRow] = ()) -> list[CellFigures]:  # fmt: skip
    """Per code the coder used (and every top-level code), then each rule scored at its code's level, and the learned
    model as one more "rule" of each code; then all codes: the model's and the rules' with it, and the rules' alone."""
    codes = sorted({*used, *(tree.root(code) for _, _, code in marks.machine)}, key=tree.sort_key)
    rule_cells: dict[tuple[str, str], set[Cell]] = defaultdict(set)
    model_roots: set[Cell] = set()
    for segment in (*machine, *model):
        level = next((code for code in tree.chain(segment.code_id) if code in used), tree.root(segment.code_id))
        for index in units[segment.transcript].overlapping(segment.start_char, segment.end_char):
            for rule in (segment.rules if segment.origin == "machine" else (MODEL_RULE,)):
                rule_cells[(level, rule)].add((segment.transcript, index, level))
            if segment.origin == "model":
                model_roots.add((segment.transcript, index, tree.root(segment.code_id)))
    figures: list[CellFigures] = []
    total = [0, 0, 0]
    for code in codes:
        coder = {cell for cell in marks.coder if cell[2] == code}
        suggested = {cell for cell in marks.machine if cell[2] == code}
        row = CellFigures(code, "", len(coder & suggested), len(suggested - coder), len(coder - suggested))
        figures.append(row)
        if tree.root(code) == code:
            total = [total[0] + row.both, total[1] + row.machine_only, total[2] + row.coder_only]
        for (level, rule), cells in sorted(rule_cells.items()):
            if level == code:
                figures.append(CellFigures(code, rule, len(cells & coder), len(cells - coder), len(coder - cells)))
    if model:
        coder_roots = {cell for cell in marks.coder if tree.root(cell[2]) == cell[2]}
        rule_roots = {cell for cell in marks.machine if tree.root(cell[2]) == cell[2]}
        for name, suggested in ((MODEL_RULE, model_roots), (RULES_AND_MODEL, rule_roots | model_roots)):
            figures.append(CellFigures("", name, len(suggested & coder_roots), len(suggested - coder_roots),
                                       len(coder_roots - suggested)))  # fmt: skip
    figures.append(CellFigures("", "", *total))
    return figures


def _disagreements(marks: _Marks, units: dict[str, TranscriptUnits], tree: _Tree) -> list[Disagreement]:
    """Every top-level cell one side coded and the other did not, in text order."""
    found = []
    for kind, mine, theirs in (("missed", marks.coder, marks.machine), ("extra", marks.machine, marks.coder)):
        for cell in mine:
            transcript, index, code = cell
            if tree.root(code) != code or cell in theirs:
                continue
            unit = units[transcript].units[index]
            rules = tuple(sorted(marks.rules[cell])) if kind == "extra" else ()
            words = tuple(marks.words[cell]) if kind == "extra" else ()
            found.append(Disagreement(kind, transcript, unit.start_char, unit.end_char, unit.speaker, code,
                                      tuple(sorted(mine[cell], key=tree.sort_key)), rules, words,
                                      units[transcript].unit_text(index)))  # fmt: skip
    return sorted(found, key=lambda item: (item.transcript, item.start_char, tree.sort_key(item.code_id), item.kind))


FIGURE_COLUMNS = ("code", "rule", "unit", "both", "machine_only", "coder_only", "precision", "recall", "f1")
DISAGREEMENT_COLUMNS = ("kind", "transcript", "speaker", "start", "end", "code", "codes", "rules", "words", "text")


def disagreements_path(out: Path) -> Path:
    """Where the disagreements go beside the figures: ``x.csv`` gets ``x-disagreements.csv``."""
    return out.with_name(f"{out.stem}-disagreements{out.suffix or '.csv'}")


def write_against_csv(out: Path, result: AgainstResult) -> list[Path]:
    """The figures to ``out`` and every disagreement beside it; returns both paths."""
    with atomic_file(out, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIGURE_COLUMNS)
        for row in result.figures:
            writer.writerow(spreadsheet_safe(cell) for cell in (
                row.code_id or "all codes", row.rule_id, result.unit, row.both, row.machine_only, row.coder_only,
                *(_number(value) for value in (row.precision, row.recall, row.f1))))  # fmt: skip
    listed = disagreements_path(out)
    with atomic_file(listed, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(DISAGREEMENT_COLUMNS)
        for item in result.disagreements:
            writer.writerow(spreadsheet_safe(cell) for cell in (
                item.kind, item.transcript, item.speaker, item.start_char, item.end_char, item.code_id, "; ".join(item.codes),
                "; ".join(item.rules), "; ".join(item.words), item.text))  # fmt: skip
    return [out, listed]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"

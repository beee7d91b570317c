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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ipl_coder.errors import InputError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.review.agreement import harmonic_mean, out_of_sight_note
from ipl_coder.review.units import COMPARISON_UNITS, TranscriptUnits, UnitSplitter
from ipl_coder.store import WITHDRAWN, CodeRow, ProjectStore, SegmentRow

Cell = tuple[int, str]  # unit index, code, in one transcript
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
    disagreements: list[Disagreement]  # in text order: every one, or the first ``keep`` of each kind when asked
    transcripts: int
    units: int
    notes: list[str] = field(default_factory=list)
    counted: dict[str, int] = field(default_factory=dict)  # every disagreement of each kind, kept or not

    def count(self, kind: str) -> int:
        return self.counted.get(kind, 0)


Listed = Callable[[Disagreement], None]


def compare_with_coder(project_dir: Path, coder: str, unit: str = "sentence", *, keep: int | None = None,
                       listed: Listed | None = None) -> AgainstResult:  # fmt: skip
    """Score every machine suggestion against ``coder``'s coding, cell by cell, one transcript at a time.

    Each disagreement goes to ``listed`` as it is found, in text order; the result keeps every one, or
    with ``keep`` the first ``keep`` of each kind (the rest only counted), so a big project's need not fit in memory.
    """
    if unit not in COMPARISON_UNITS:
        raise InputError(f"--against compares {' or '.join(COMPARISON_UNITS)} cells, not '{unit}'")
    with ProjectStore.open(project_dir) as store:
        known = [summary.coder for summary in store.coders()]
        if coder not in known:
            said = f"the coders are {', '.join(known)}" if known else "nobody has coded or reviewed anything yet"
            raise InputError(f"no coding by '{coder}' in {project_dir}; {said}")
        tree = _Tree(store.latest_codes())
        # A rule is scored at the level of the code the coder used nearest its own. Which codes those are is known
        # for certain only at the end (a code counts only if given on a passage inside a unit): first the codes of every
        # passage the coder accepted, and in the rare case that differs, a second count with the codes found.
        levels = {code for accepted in store.accepted_codes(coder) for code in tree.chain(accepted)}
        tally = _Tally(tree, levels)
        tally.count(store, coder, unit, _Listing(keep, listed))
        if tally.used != levels:
            again = _Tally(tree, tally.used)
            again.count(store, coder, unit, _Listing(0, None))
            tally.rules = again.rules
        out_of_sight = out_of_sight_note(coder, store.decided_out_of_sight(coder))
    notes = [out_of_sight] if out_of_sight else []
    listing = tally.listing
    return AgainstResult(coder, unit, tally.figures(), listing.kept, tally.transcripts, tally.units, notes, dict(listing.counted))


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


class _Listing:
    """Where disagreements go as they are found: counted, passed on, and kept up to a number of each kind."""

    def __init__(self, keep: int | None, listed: Listed | None) -> None:
        self.keep = keep
        self.listed = listed
        self.kept: list[Disagreement] = []
        self.counted: Counter[str] = Counter()

    def add(self, item: Disagreement) -> None:
        self.counted[item.kind] += 1
        if self.listed is not None:
            self.listed(item)
        if self.keep is None or self.counted[item.kind] <= self.keep:
            self.kept.append(item)


@dataclass
class _Marks:
    """Which cells (unit index, code) of one transcript each side coded, and for the machine which rules and words did it."""

    coder: dict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))  # cell -> codes as given
    machine: dict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))
    rules: dict[Cell, set[str]] = field(default_factory=lambda: defaultdict(set))
    words: dict[Cell, dict[str, None]] = field(default_factory=lambda: defaultdict(dict))


class _Tally:
    """The cell counts per code and per rule, summed transcript by transcript; each transcript's cells are let go after it."""

    def __init__(self, tree: _Tree, levels: set[str]) -> None:
        self.tree = tree
        self.levels = levels  # the codes rules are scored at: each rule at the nearest of these above its code
        self.cells: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # code -> both, machine only, coder only
        self.rules: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])  # (level, rule) -> both, machine only
        self.used: set[str] = set()  # the codes the coder gave to a passage in a unit, with every code above them
        self.roots: set[str] = set()  # the top-level codes of the machine's suggestions in a unit
        self.model_totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # name -> both, machine only, coder only
        self.has_model = False  # whether the learned model made any suggestion in the transcripts counted
        self.transcripts = self.units = 0
        self.listing = _Listing(None, None)

    def count(self, store: ProjectStore, coder: str, unit: str, listing: _Listing) -> None:
        self.listing = listing
        splitter = UnitSplitter(unit, store.project_dir)
        for name in sorted(store.transcript_languages()):  # in name order, so the disagreements come in text order
            segments = [segment for segment in store.segments(None, transcript=name) if segment.status != WITHDRAWN]
            views = store.coder_views(coder, transcript=name)
            decided = sum(1 for s in segments if (view := views.get(s.segment_id)) and view.decision)
            if not decided:
                continue  # only the transcripts the coder worked in
            row = store.transcript(name)
            if row is None:
                continue
            cut = splitter.split(row, store.turns(row.transcript_id))
            coded = [s for s in segments if (view := views.get(s.segment_id)) is not None and view.status == "accepted"]
            machine = [s for s in segments if s.origin == "machine"]
            model = [s for s in segments if s.origin == "model"]
            self._add(cut, coded, machine, model)

    def _add(self, cut: TranscriptUnits, coded: Sequence[SegmentRow], machine: Sequence[SegmentRow],
             model: Sequence[SegmentRow] = ()) -> None:  # fmt: skip
        self.transcripts += 1
        self.units += len(cut.units)
        marks = _mark(cut, coded, machine, self.tree)
        self.used.update(code for _, code in marks.coder)
        self.roots.update(self.tree.root(code) for _, code in marks.machine)
        for code in {code for _, code in (*marks.coder, *marks.machine)}:
            coder = {cell for cell in marks.coder if cell[1] == code}
            suggested = {cell for cell in marks.machine if cell[1] == code}
            counts = self.cells[code]
            counts[0] += len(coder & suggested)
            counts[1] += len(suggested - coder)
            counts[2] += len(coder - suggested)
        rule_cells: dict[tuple[str, str], set[Cell]] = defaultdict(set)
        model_roots: set[Cell] = set()
        for segment in (*machine, *model):
            chain = self.tree.chain(segment.code_id)
            level = next((code for code in chain if code in self.levels), chain[-1])
            for index in cut.overlapping(segment.start_char, segment.end_char):
                for rule in (segment.rules if segment.origin == "machine" else (MODEL_RULE,)):
                    rule_cells[(level, rule)].add((index, level))
                if segment.origin == "model":
                    model_roots.add((index, chain[-1]))
        self.has_model = self.has_model or bool(model)
        self._add_model_totals(marks, model_roots)  # in every transcript: the model's recall counts what it missed anywhere
        for (level, rule), cells in rule_cells.items():
            coder_cells = {cell for cell in marks.coder if cell[1] == level}
            counts = self.rules[(level, rule)]
            counts[0] += len(cells & coder_cells)
            counts[1] += len(cells - coder_cells)
        for item in _disagreements(marks, cut, self.tree):
            self.listing.add(item)

    def _add_model_totals(self, marks: _Marks, model_roots: set[Cell]) -> None:
        """All codes at the top level: the learned model's suggestions alone, and the rules' with them."""
        coder_roots = {cell for cell in marks.coder if self.tree.root(cell[1]) == cell[1]}
        rule_roots = {cell for cell in marks.machine if self.tree.root(cell[1]) == cell[1]}
        for name, suggested in ((MODEL_RULE, model_roots), (RULES_AND_MODEL, rule_roots | model_roots)):
            counts = self.model_totals[name]
            counts[0] += len(suggested & coder_roots)
            counts[1] += len(suggested - coder_roots)
            counts[2] += len(coder_roots - suggested)

    def figures(self) -> list[CellFigures]:
        """Per code the coder used (and every top-level code), then each rule scored at its code's level, and the
        learned model as one more "rule" of each code; then all codes: the model's and the rules' with it, and the
        rules' alone."""
        codes = sorted({*self.used, *self.roots}, key=self.tree.sort_key)
        figures: list[CellFigures] = []
        total = [0, 0, 0]
        for code in codes:
            both, machine_only, coder_only = self.cells.get(code, [0, 0, 0])
            figures.append(CellFigures(code, "", both, machine_only, coder_only))
            if self.tree.root(code) == code:
                total = [total[0] + both, total[1] + machine_only, total[2] + coder_only]
            for (level, rule), (rule_both, rule_machine_only) in sorted(self.rules.items()):
                if level == code:  # the coder's cells this rule missed: all theirs at the level, less those it found
                    figures.append(CellFigures(code, rule, rule_both, rule_machine_only, both + coder_only - rule_both))
        for name in (MODEL_RULE, RULES_AND_MODEL) if self.has_model else ():
            figures.append(CellFigures("", name, *self.model_totals[name]))
        figures.append(CellFigures("", "", *total))
        return figures


def _mark(cut: TranscriptUnits, coded: Sequence[SegmentRow], machine: Sequence[SegmentRow], tree: _Tree) -> _Marks:
    marks = _Marks()
    for segment in coded:
        for index in cut.overlapping(segment.start_char, segment.end_char):
            for code in tree.chain(segment.code_id):
                marks.coder[(index, code)].add(segment.code_id)
    for segment in machine:
        for index in cut.overlapping(segment.start_char, segment.end_char):
            for code in tree.chain(segment.code_id):
                cell = (index, code)
                marks.machine[cell].add(segment.code_id)
                marks.rules[cell].update(segment.rules)
                marks.words[cell].update(dict.fromkeys(segment.matched))
    return marks


def _disagreements(marks: _Marks, cut: TranscriptUnits, tree: _Tree) -> list[Disagreement]:
    """Every top-level cell of one transcript one side coded and the other did not, in text order."""
    found = []
    for kind, mine, theirs in (("missed", marks.coder, marks.machine), ("extra", marks.machine, marks.coder)):
        for cell in mine:
            index, code = cell
            if tree.root(code) != code or cell in theirs:
                continue
            unit = cut.units[index]
            rules = tuple(sorted(marks.rules[cell])) if kind == "extra" else ()
            words = tuple(marks.words[cell]) if kind == "extra" else ()
            found.append(Disagreement(kind, cut.name, unit.start_char, unit.end_char, unit.speaker, code,
                                      tuple(sorted(mine[cell], key=tree.sort_key)), rules, words, cut.unit_text(index)))  # fmt: skip
    return sorted(found, key=lambda item: (item.start_char, tree.sort_key(item.code_id), item.kind))


FIGURE_COLUMNS = ("code", "rule", "unit", "both", "machine_only", "coder_only", "precision", "recall", "f1")
DISAGREEMENT_COLUMNS = ("kind", "transcript", "speaker", "start", "end", "code", "codes", "rules", "words", "text")


def disagreements_path(out: Path) -> Path:
    """Where the disagreements go beside the figures: ``x.csv`` gets ``x-disagreements.csv``."""
    return out.with_name(f"{out.stem}-disagreements{out.suffix or '.csv'}")


def write_against_csv(out: Path, result: AgainstResult) -> list[Path]:
    """The figures to ``out`` and every disagreement the result kept beside it; returns both paths."""
    write_figures_csv(out, result)
    listed = disagreements_path(out)
    with disagreements_csv(listed) as write:
        for item in result.disagreements:
            write(item)
    return [out, listed]


def write_figures_csv(out: Path, result: AgainstResult) -> None:
    with atomic_file(out, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIGURE_COLUMNS)
        for row in result.figures:
            writer.writerow(spreadsheet_safe(cell) for cell in (
                row.code_id or "all codes", row.rule_id, result.unit, row.both, row.machine_only, row.coder_only,
                *(_number(value) for value in (row.precision, row.recall, row.f1))))  # fmt: skip


@contextmanager
def disagreements_csv(path: Path) -> Iterator[Listed]:
    """A CSV that takes disagreements one by one as they are found (``listed`` of :func:`compare_with_coder`).

    The file takes its place only once complete: a comparison that fails leaves no half list behind.
    """
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(DISAGREEMENT_COLUMNS)

        def write(item: Disagreement) -> None:
            writer.writerow(spreadsheet_safe(cell) for cell in (
                item.kind, item.transcript, item.speaker, item.start_char, item.end_char, item.code_id, "; ".join(item.codes),
                "; ".join(item.rules), "; ".join(item.words), item.text))  # fmt: skip

        yield write


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"

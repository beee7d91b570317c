"""How right the machine's suggestions were, and how well two people agree: ``ipl-coder agreement``.

Machine against people, per code and per rule:

* precision: of the suggestions people decided on, the share they accepted;
* recall: of the passages people gave a code (accepted suggestions, codes
  they added, the right codes of their recodes), the share the machine had
  suggested that code for (a suggestion overlapping the passage counts);
* F1, their harmonic mean.

Each coder's decision counts once, so with two coders a suggestion counts twice.

Between two coders who reviewed blind, on a stated unit: each sentence × code
present or absent (a sentence is coded if a passage the coder gave the code
overlaps it), in the participants' turns of the transcripts both coders
worked in; or each suggestion both decided, accepted or not. Percent
agreement, Cohen's kappa and Krippendorff's alpha (nominal, by the
``krippendorff`` package), per code and over all codes together.
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ipl_coder.errors import InputError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.review.units import UnitSplitter
from ipl_coder.store import WITHDRAWN, CoderView, ProjectStore, SegmentRow

AGREEMENT_UNITS = ("sentence", "paragraph", "segment")


@dataclass(frozen=True)
class MachineFigures:
    code_id: str
    rule_id: str  # "" for the code as a whole
    reviewed: int  # decisions on the machine's suggestions
    accepted: int
    people_coded: int  # passages people gave the code
    found: int  # of those, the ones the machine suggested the code (or this rule) for

    @property
    def precision(self) -> float | None:
        return self.accepted / self.reviewed if self.reviewed else None

    @property
    def recall(self) -> float | None:
        return self.found / self.people_coded if self.people_coded else None

    @property
    def f1(self) -> float | None:
        return harmonic_mean(self.precision, self.recall)


@dataclass(frozen=True)
class CoderAgreement:
    code_id: str  # "" for all codes together
    cells: Counter[tuple[int, int]]  # items per (first, second) value, 1 present and 0 absent; pairs never seen left out

    @property
    def items(self) -> int:
        return sum(self.cells.values())

    @cached_property
    def percent(self) -> float | None:
        return (self.cells[(1, 1)] + self.cells[(0, 0)]) / self.items if self.items else None

    @cached_property
    def kappa(self) -> float | None:
        return kappa_of_cells(self.cells)

    @cached_property
    def alpha(self) -> float | None:
        return alpha_of_cells(self.cells)


@dataclass(frozen=True)
class AgreementResult:
    coders: tuple[str, ...]  # whose decisions the machine figures count
    pair: tuple[str, str] | None  # the two coders compared, if there are two
    unit: str
    machine: list[MachineFigures]
    between: list[CoderAgreement]
    transcripts_compared: int
    units_compared: int  # sentences or segments
    notes: list[str]


def harmonic_mean(precision: float | None, recall: float | None) -> float | None:
    """F1; None where either figure is undefined or both are 0."""
    if precision is None or recall is None or precision + recall == 0:
        return None
    return 2 * precision * recall / (precision + recall)


def cohen_kappa(first: Sequence[int], second: Sequence[int]) -> float | None:
    """(observed - chance) / (1 - chance); None when chance agreement is total and kappa is undefined."""
    count = len(first)
    if not count:
        return None
    observed = sum(a == b for a, b in zip(first, second, strict=True)) / count
    first_counts, second_counts = Counter(first), Counter(second)
    chance = sum(first_counts[value] * second_counts[value] for value in set(first) | set(second)) / count**2
    return None if chance == 1 else (observed - chance) / (1 - chance)


def krippendorff_alpha(first: Sequence[int], second: Sequence[int]) -> float | None:
    """Nominal alpha for two coders; None when there is only one value in all the data and alpha is undefined."""
    import krippendorff

    if not first:
        return None
    try:
        value = float(krippendorff.alpha(reliability_data=[list(first), list(second)], level_of_measurement="nominal"))
    except ValueError:
        return None
    return None if math.isnan(value) else value


def kappa_of_cells(cells: Counter[tuple[int, int]]) -> float | None:
    """:func:`cohen_kappa` of 0/1 items from their 2 x 2 table, in the same arithmetic, so to the last bit the same figure.

    A project's sentences × codes run to millions of items; the table is four numbers.
    """
    count = sum(cells.values())
    if not count:
        return None
    observed = (cells[(1, 1)] + cells[(0, 0)]) / count
    first = {1: cells[(1, 1)] + cells[(1, 0)], 0: cells[(0, 1)] + cells[(0, 0)]}
    second = {1: cells[(1, 1)] + cells[(0, 1)], 0: cells[(1, 0)] + cells[(0, 0)]}
    chance = (first[1] * second[1] + first[0] * second[0]) / count**2
    return None if chance == 1 else (observed - chance) / (1 - chance)


def alpha_of_cells(cells: Counter[tuple[int, int]]) -> float | None:
    """:func:`krippendorff_alpha` of 0/1 items from their 2 x 2 table: the same figure, to the last bit.

    With two coders, no missing values and two values, the ``krippendorff`` package's coincidence matrix
    is 2 x n(0,0) and 2 x n(1,1) on the diagonal and n(0,1) + n(1,0) off it (whole numbers, so exact
    in floating point); the arithmetic after that is the package's, step by step.
    """
    disagree = float(cells[(0, 1)] + cells[(1, 0)])  # each off-diagonal cell of the coincidence matrix
    zeros = 2.0 * cells[(0, 0)] + disagree  # n_v: how often each value was given
    ones = 2.0 * cells[(1, 1)] + disagree
    if not zeros or not ones:
        return None  # one value in all the data: the package refuses, and alpha is undefined
    expected = (zeros * ones - 0.0) / (zeros + ones - 1)  # each off-diagonal cell of the expected coincidences
    value = 1 - (disagree + disagree) / (expected + expected)
    return None if math.isnan(value) else value


def compute_agreement(project_dir: Path, coders: Sequence[str] = (), unit: str = "sentence") -> AgreementResult:
    """The machine against the chosen coders, and two coders against each other, one transcript at a time."""
    if unit not in AGREEMENT_UNITS:
        raise InputError(f"unit '{unit}' is not one of: {', '.join(AGREEMENT_UNITS)}")
    with ProjectStore.open(project_dir) as store:
        known = [summary.coder for summary in store.coders()]
        if not known:
            raise InputError(f"{project_dir}: nobody has reviewed anything yet; start with 'ipl-coder review'")
        unknown = [coder for coder in coders if coder not in known]
        if unknown:
            raise InputError(f"no decisions by '{unknown[0]}' in this project; the coders are {', '.join(known)}")
        chosen = tuple(coders) or tuple(known)
        code_order = [code.code_id for code in store.latest_codes()]
        pair = (chosen[0], chosen[1]) if len(chosen) == 2 else None
        machine = MachineTally()
        between = BetweenTally(unit, project_dir)
        for name in store.transcript_languages():  # one transcript's segments, decisions and units at a time
            segments = [segment for segment in store.segments(None, transcript=name) if segment.status != WITHDRAWN]
            views = {coder: store.coder_views(coder, transcript=name) for coder in chosen}
            machine.add(segments, views)
            if pair:
                between.add(store, name, segments, views[pair[0]], views[pair[1]])
        notes = [out_of_sight_note(coder, store.decided_out_of_sight(coder)) for coder in chosen]
    notes = [note for note in notes if note]
    if len(chosen) > 2:
        notes.append(f"{len(chosen)} coders ({', '.join(chosen)}); name two with --coders A,B to compare them")
    elif len(chosen) == 1:
        notes.append(f"only {chosen[0]} has reviewed; agreement between coders needs two")
    rows = between.agreements(code_order) if pair else []
    transcripts, units = (between.transcripts, between.units) if pair else (0, 0)
    return AgreementResult(chosen, pair, unit, machine.figures(code_order), rows, transcripts, units, notes)


def out_of_sight_note(coder: str, passages: int) -> str:
    """Why a coder's decisions on passages an edit took out of their transcripts' text are in no figure; "" if none are."""
    if not passages:
        return ""
    which = "passage" if passages == 1 else "passages"
    return (f"{passages} {which} {coder} decided {'is' if passages == 1 else 'are'} no longer in the text of {'its' if passages == 1 else 'their'} "
            "transcript (edited since; 'code' warned of them) and not counted: decide them again where their words now are")


MODEL_RULE = "model"  # the learned model's suggestions, figured like one more rule of each code


def _keys(segment: SegmentRow) -> tuple[str, ...]:
    """What a suggestion counts for: a rule's for the code ("") and each of its rules; the learned model's for the
    model only, so the code's own figures stay the rules'."""
    return (MODEL_RULE,) if segment.origin == "model" else ("", *segment.rules)


class MachineTally:
    """Per code, then per rule of it: the machine's suggestions against every chosen coder's decisions, summed."""

    def __init__(self) -> None:
        self.reviewed: Counter[tuple[str, str]] = Counter()
        self.accepted: Counter[tuple[str, str]] = Counter()
        self.coded: Counter[str] = Counter()
        self.found: Counter[tuple[str, str]] = Counter()

    def add(self, segments: Sequence[SegmentRow], views: dict[str, dict[str, CoderView]]) -> None:
        """One transcript's segments, and each chosen coder's views of them."""
        suggested: dict[str, list[tuple[int, int, tuple[str, ...]]]] = defaultdict(list)
        for segment in segments:
            if segment.origin != "human":
                suggested[segment.code_id].append((segment.start_char, segment.end_char, _keys(segment)))
        for coder_views in views.values():
            for segment in segments:
                view = coder_views.get(segment.segment_id)
                if view is None or view.decision is None:
                    continue
                if segment.origin != "human":
                    for key in ((segment.code_id, rule) for rule in _keys(segment)):
                        self.reviewed[key] += 1
                        self.accepted[key] += view.status == "accepted"
                if view.status == "accepted":
                    self.coded[segment.code_id] += 1
                    rules = {rule for start, end, hit_rules in suggested[segment.code_id]
                             if start < segment.end_char and segment.start_char < end for rule in hit_rules}  # fmt: skip
                    for rule in rules:
                        self.found[(segment.code_id, rule)] += 1

    def figures(self, code_order: Sequence[str]) -> list[MachineFigures]:
        keys = set(self.reviewed) | {(code_id, "") for code_id in self.coded}
        order = {code_id: index for index, code_id in enumerate(code_order)}
        return [
            MachineFigures(code_id, rule, self.reviewed[(code_id, rule)], self.accepted[(code_id, rule)], self.coded[code_id],
                           self.found[(code_id, rule)])
            for code_id, rule in sorted(keys, key=lambda key: (order.get(key[0], len(order)), key[0], key[1]))
        ]  # fmt: skip


class BetweenTally:
    """Two coders' 2 x 2 tables per code, summed over the transcripts both worked in.

    Per unit (sentence or paragraph) × code, an item absent for both is not counted as it comes: it is
    what is left of all the units × the code once the rest are counted, so only the marked units are held.
    """

    def __init__(self, unit: str, project_dir: Path | None = None) -> None:
        self.unit = unit
        self.splitter = UnitSplitter(unit, project_dir) if unit != "segment" else None
        self.cells: dict[str, Counter[tuple[int, int]]] = defaultdict(Counter)
        self.codes: dict[str, None] = {}  # every code either coder gave in a transcript both worked in
        self.transcripts = 0
        self.units = 0  # sentences or paragraphs, or suggestions both decided

    def add(self, store: ProjectStore, name: str, segments: Sequence[SegmentRow], first: dict[str, CoderView],
            second: dict[str, CoderView]) -> None:  # fmt: skip
        if self.splitter is None:
            both = [s for s in segments if s.origin != "human" and _decided(first, s) and _decided(second, s)]
            for segment in both:
                key = (int(first[segment.segment_id].status == "accepted"), int(second[segment.segment_id].status == "accepted"))
                self.cells[segment.code_id][key] += 1
            self.transcripts += bool(both)
            self.units += len(both)
            return
        if not (any(_decided(first, s) for s in segments) and any(_decided(second, s) for s in segments)):
            return
        self.transcripts += 1
        coded = [_coded_passages(segments, first), _coded_passages(segments, second)]
        self.codes.update(dict.fromkeys(code for passages in coded for code, _, _ in passages))
        row = store.transcript(name)
        if row is None:
            return
        cut = self.splitter.split(row, store.turns(row.transcript_id))
        self.units += len(cut.units)
        marks = [{(code, index) for code, start, end in passages for index in cut.overlapping(start, end)} for passages in coded]
        for code, index in marks[0] | marks[1]:
            self.cells[code][(int((code, index) in marks[0]), int((code, index) in marks[1]))] += 1

    def agreements(self, code_order: Sequence[str]) -> list[CoderAgreement]:
        """Per code in codebook order, then all codes together."""
        by_code = self.cells
        if self.splitter is not None:  # every code either coder gave, over every unit; none when there were no units
            by_code = {code: _with_absent(self.cells.get(code, Counter()), self.units) for code in self.codes} if self.units else {}
        order = {code_id: index for index, code_id in enumerate(code_order)}
        ordered = sorted(by_code.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))
        rows = [CoderAgreement(code, +cells) for code, cells in ordered]  # +: no pair counted 0 times, as Counter(zip(...)) had
        everything: Counter[tuple[int, int]] = Counter()
        for cells in by_code.values():
            everything.update(cells)
        rows.append(CoderAgreement("", +everything))
        return rows


def _with_absent(marked: Counter[tuple[int, int]], units: int) -> Counter[tuple[int, int]]:
    cells = Counter(marked)
    cells[(0, 0)] = units - sum(marked.values())
    return cells


def _coded_passages(segments: Sequence[SegmentRow], views: dict[str, CoderView]) -> set[tuple[str, int, int]]:
    """(code, start, end) of every passage the coder gave a code: accepted suggestions, codes added, recodes' right codes."""
    return {(s.code_id, s.start_char, s.end_char) for s in segments
            if (view := views.get(s.segment_id)) is not None and view.status == "accepted"}  # fmt: skip


def _decided(views: dict[str, CoderView], segment: SegmentRow) -> bool:
    view = views.get(segment.segment_id)
    return view is not None and view.decision is not None


CSV_COLUMNS = (
    "part", "code", "rule", "reviewed", "accepted", "people_coded", "found", "precision", "recall", "f1",
    "unit", "items", "both_present", "first_only", "second_only", "both_absent", "percent_agreement", "kappa", "alpha",
)  # fmt: skip


def write_agreement_csv(path: Path, result: AgreementResult) -> None:
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for row in result.machine:
            writer.writerow(spreadsheet_safe(cell) for cell in (
                "machine", row.code_id, row.rule_id, row.reviewed, row.accepted, row.people_coded, row.found,
                _number(row.precision), _number(row.recall), _number(row.f1), *[""] * 9))  # fmt: skip
        for agreement in result.between:
            cells = agreement.cells
            writer.writerow(spreadsheet_safe(cell) for cell in (
                " vs ".join(result.pair or ()), agreement.code_id or "all codes", "", *[""] * 7, result.unit,
                agreement.items, cells[(1, 1)], cells[(1, 0)], cells[(0, 1)], cells[(0, 0)],
                _number(agreement.percent), _number(agreement.kappa), _number(agreement.alpha)))  # fmt: skip


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"

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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ipl_coder.errors import InputError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.review.units import TranscriptUnits, participant_units
from ipl_coder.store import WITHDRAWN, CoderView, ProjectStore, SegmentRow

AGREEMENT_UNITS = ("sentence", "paragraph", "segment")
Passage = tuple[str, str, int, int]  # transcript, code, start, end


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
    first: tuple[int, ...] = field(repr=False)  # 1 present, 0 absent, per item
    second: tuple[int, ...] = field(repr=False)

    @property
    def items(self) -> int:
        return len(self.first)

    @cached_property
    def cells(self) -> Counter[tuple[int, int]]:
        return Counter(zip(self.first, self.second, strict=True))

    @cached_property
    def percent(self) -> float | None:
        return sum(a == b for a, b in zip(self.first, self.second, strict=True)) / self.items if self.items else None

    @cached_property
    def kappa(self) -> float | None:
        return cohen_kappa(self.first, self.second)

    @cached_property
    def alpha(self) -> float | None:
        return krippendorff_alpha(self.first, self.second)


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


def compute_agreement(project_dir: Path, coders: Sequence[str] = (), unit: str = "sentence") -> AgreementResult:
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
        segments = [segment for segment in store.segments(None) if segment.status != WITHDRAWN]
        views = {coder: store.coder_views(coder) for coder in chosen}
        notes: list[str] = []
        code_order = [code.code_id for code in store.latest_codes()]
        machine = machine_figures(segments, views, code_order)
        pair: tuple[str, str] | None = None
        between: list[CoderAgreement] = []
        transcripts = units = 0
        if len(chosen) == 2:
            pair = (chosen[0], chosen[1])
            between, transcripts, units = _between(store, segments, views, pair, unit, code_order)
        elif len(chosen) > 2:
            notes.append(f"{len(chosen)} coders ({', '.join(chosen)}); name two with --coders A,B to compare them")
        else:
            notes.append(f"only {chosen[0]} has reviewed; agreement between coders needs two")
    return AgreementResult(chosen, pair, unit, machine, between, transcripts, units, notes)


MODEL_RULE = "model"  # the learned model's suggestions, figured like one more rule of each code


def machine_figures(segments: Sequence[SegmentRow], views: dict[str, dict[str, CoderView]],
                    code_order: Sequence[str]) -> list[MachineFigures]:  # fmt: skip
    """Per code, then per rule of it: the machine's suggestions against every chosen coder's decisions."""
    suggested: dict[tuple[str, str], list[tuple[int, int, tuple[str, ...]]]] = defaultdict(list)
    for segment in segments:
        if segment.origin != "human":
            suggested[(segment.transcript, segment.code_id)].append((segment.start_char, segment.end_char, _keys(segment)))
    reviewed: Counter[tuple[str, str]] = Counter()
    accepted: Counter[tuple[str, str]] = Counter()
    coded: Counter[str] = Counter()
    found: Counter[tuple[str, str]] = Counter()
    for coder_views in views.values():
        for segment in segments:
            view = coder_views.get(segment.segment_id)
            if view is None or view.decision is None:
                continue
            if segment.origin != "human":
                for key in ((segment.code_id, rule) for rule in _keys(segment)):
                    reviewed[key] += 1
                    accepted[key] += view.status == "accepted"
            if view.status == "accepted":
                coded[segment.code_id] += 1
                rules = {rule for start, end, hit_rules in suggested[(segment.transcript, segment.code_id)]
                         if start < segment.end_char and segment.start_char < end for rule in hit_rules}  # fmt: skip
                for rule in rules:
                    found[(segment.code_id, rule)] += 1
    keys = set(reviewed) | {(code_id, "") for code_id in coded}
    order = {code_id: index for index, code_id in enumerate(code_order)}
    return [
        MachineFigures(code_id, rule, reviewed[(code_id, rule)], accepted[(code_id, rule)], coded[code_id], found[(code_id, rule)])
        for code_id, rule in sorted(keys, key=lambda key: (order.get(key[0], len(order)), key[0], key[1]))
    ]


def _keys(segment: SegmentRow) -> tuple[str, ...]:
    """What a suggestion counts for: a rule's for the code ("") and each of its rules; the learned model's for the
    model only, so the code's own figures stay the rules'."""
    return (MODEL_RULE,) if segment.origin == "model" else ("", *segment.rules)


def _coded_passages(segments: Sequence[SegmentRow], views: dict[str, CoderView]) -> list[Passage]:
    return [(s.transcript, s.code_id, s.start_char, s.end_char) for s in segments
            if (view := views.get(s.segment_id)) is not None and view.status == "accepted"]  # fmt: skip


def _between(store: ProjectStore, segments: Sequence[SegmentRow], views: dict[str, dict[str, CoderView]],
             pair: tuple[str, str], unit: str, code_order: Sequence[str]) -> tuple[list[CoderAgreement], int, int]:  # fmt: skip
    first, second = views[pair[0]], views[pair[1]]
    if unit == "segment":
        both = [s for s in segments if s.origin != "human" and _decided(first, s) and _decided(second, s)]
        values = {s.segment_id: (int(first[s.segment_id].status == "accepted"), int(second[s.segment_id].status == "accepted"))
                  for s in both}  # fmt: skip
        by_code: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for segment in both:
            by_code[segment.code_id].append(values[segment.segment_id])
        return _agreements(by_code, code_order), len({s.transcript for s in both}), len(both)
    worked = {s.transcript for s in segments if _decided(first, s)} & {s.transcript for s in segments if _decided(second, s)}
    coded = [set(_coded_passages(segments, first)), set(_coded_passages(segments, second))]
    codes = {code for passages in coded for transcript, code, _, _ in passages if transcript in worked}
    units = participant_units(store, sorted(worked), unit)
    marks = [_unit_marks(passages, units) for passages in coded]
    by_code = defaultdict(list)
    for transcript, found in units.items():
        for index in range(len(found.units)):
            for code in codes:
                key = (transcript, index, code)
                by_code[code].append((int(key in marks[0]), int(key in marks[1])))
    return _agreements(by_code, code_order), len(worked), sum(len(found.units) for found in units.values())


def _decided(views: dict[str, CoderView], segment: SegmentRow) -> bool:
    view = views.get(segment.segment_id)
    return view is not None and view.decision is not None


def _unit_marks(passages: set[Passage], units: dict[str, TranscriptUnits]) -> set[tuple[str, int, str]]:
    """(transcript, unit index, code) for every unit a passage with that code overlaps."""
    return {(transcript, index, code) for transcript, code, start, end in passages if transcript in units
            for index in units[transcript].overlapping(start, end)}  # fmt: skip


def _agreements(by_code: dict[str, list[tuple[int, int]]], code_order: Sequence[str]) -> list[CoderAgreement]:
    order = {code_id: index for index, code_id in enumerate(code_order)}
    rows = [CoderAgreement(code, tuple(a for a, _ in pairs), tuple(b for _, b in pairs))
            for code, pairs in sorted(by_code.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))]  # fmt: skip
    everything = [pair for code in by_code for pair in by_code[code]]
    rows.append(CoderAgreement("", tuple(a for a, _ in everything), tuple(b for _, b in everything)))
    return rows


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

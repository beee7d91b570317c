"""`ipl-coder agreement`: figures checked against ones worked out by hand."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import TEAM_AND_HOPE, run_cli
from ipl_coder.coding.project import code_transcripts
from ipl_coder.review.agreement import (
    alpha_of_cells,
    cohen_kappa,
    compute_agreement,
    kappa_of_cells,
    krippendorff_alpha,
)
from ipl_coder.review.units import participant_units
from ipl_coder.store import WITHDRAWN, NewDecision, Passage, ProjectStore

CODEBOOK = TEAM_AND_HOPE
# Ten sentences, each suggested "team" once: ten segments to decide.
TRANSCRIPT = "Interviewer: Tell me.\nP1: " + " ".join(f"The team met on day {day}." for day in range(1, 11)) + "\n"
# Hand-made decisions: 1 accept, 0 reject.
ANA = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
OLA = [1, 1, 1, 1, 0, 0, 1, 0, 0, 0]
# By hand: agreement 7/10. Kappa: chance = 0.6 x 0.5 + 0.4 x 0.5 = 0.5, so (0.7 - 0.5) / (1 - 0.5) = 0.4.
# Alpha (nominal, two coders): 20 values, 11 ones and 9 zeros; 3 units disagree, giving 6 off-diagonal
# coincidences; alpha = 1 - (20 - 1) x 6 / (2 x 11 x 9) = 1 - 114/198.
KAPPA = 0.4
ALPHA = 1 - 114 / 198


@pytest.fixture
def double_coded(write_file: Callable[..., Path], tmp_path: Path) -> Path:
    project = tmp_path / "project"
    code_transcripts([write_file("t1.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), project)
    with ProjectStore.open(project) as store:
        segments = [s for s in store.segments() if s.code_id == "team"]
        assert len(segments) == 10
        for coder, values in (("ana", ANA), ("ola", OLA)):
            store.record_decisions([NewDecision(coder, "accept" if value else "reject", s.segment_id)
                                    for s, value in zip(segments, values, strict=True)])  # fmt: skip
    return project


def test_kappa_and_alpha_are_the_figures_worked_out_by_hand() -> None:
    assert cohen_kappa(ANA, OLA) == pytest.approx(KAPPA)
    assert krippendorff_alpha(ANA, OLA) == pytest.approx(ALPHA)
    assert cohen_kappa([1, 1], [1, 1]) is None and krippendorff_alpha([1, 1], [1, 1]) is None  # undefined, not 0 or 1


def test_two_coders_per_segment(double_coded: Path, tmp_path: Path) -> None:
    result = compute_agreement(double_coded, ["ana", "ola"], "segment")
    overall = result.between[-1]
    assert (overall.code_id, overall.items, overall.percent) == ("", 10, pytest.approx(0.7))
    assert overall.kappa == pytest.approx(KAPPA) and overall.alpha == pytest.approx(ALPHA)
    assert overall.cells == {(1, 1): 4, (1, 0): 2, (0, 1): 1, (0, 0): 3}
    team = next(row for row in result.machine if (row.code_id, row.rule_id) == ("team", ""))
    # 20 decisions, 6 + 5 accepted; every accepted passage was a suggestion, so recall is 1.
    assert (team.reviewed, team.accepted, team.people_coded, team.found) == (20, 11, 11, 11)
    assert team.precision == pytest.approx(0.55) and team.recall == 1 and team.f1 == pytest.approx(2 * 0.55 / 1.55)
    out = tmp_path / "agreement.csv"
    exit_code, stdout, _ = run_cli("agreement", "-p", double_coded, "--unit", "segment", "--out", out)
    assert exit_code == 0 and "Compared 10 suggestions both decided in 1 transcript" in stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    overall_row = next(row for row in rows if row["code"] == "all codes")
    assert (overall_row["part"], overall_row["kappa"], overall_row["alpha"]) == ("ana vs ola", "0.400", f"{ALPHA:.3f}")
    assert next(row for row in rows if row["rule"] == "team:terms")["precision"] == "0.550"


def test_two_coders_per_sentence_count_added_codes(double_coded: Path) -> None:
    with ProjectStore.open(double_coded) as store:
        text = store.transcripts()[0].text
        start = text.index("The team met on day 3.")
        # ola also codes "hope" on sentence 3, which nobody else does; the machine never suggested it.
        store.record_decisions([NewDecision("ola", "add", new_code_id="hope", passage=Passage("t1", start, start + 10))])
    result = compute_agreement(double_coded, ["ana", "ola"], "sentence")
    assert result.units_compared == 10 and result.transcripts_compared == 1
    by_code = {row.code_id: row for row in result.between}
    assert by_code["team"].cells == {(1, 1): 4, (1, 0): 2, (0, 1): 1, (0, 0): 3}
    assert by_code["hope"].cells == {(0, 1): 1, (0, 0): 9}
    assert by_code[""].items == 20
    hope = next(row for row in result.machine if (row.code_id, row.rule_id) == ("hope", ""))
    assert (hope.people_coded, hope.found, hope.recall) == (1, 0, 0)


def test_agreement_says_what_it_cannot_do(double_coded: Path, write_file: Callable[..., Path], tmp_path: Path) -> None:
    exit_code, _, stderr = run_cli("agreement", "-p", double_coded, "--coders", "ana,kari")
    assert exit_code == 1 and "no decisions by 'kari'" in stderr and "ana, ola" in stderr
    exit_code, stdout, stderr = run_cli("agreement", "-p", double_coded, "--coders", "ana")
    assert exit_code == 0 and "agreement between coders needs two" in stderr and "Machine against people (ana)" in stdout
    empty = tmp_path / "empty"
    code_transcripts([write_file("t2.txt", TRANSCRIPT)], write_file("cb2.yaml", CODEBOOK), empty)
    exit_code, _, stderr = run_cli("agreement", "-p", empty)
    assert exit_code == 1 and "nobody has reviewed anything yet" in stderr


def test_sentences_are_split_with_one_pipeline_per_language(double_coded: Path, write_file: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Building a pipeline per transcript made agreement 3x slower on a large corpus."""
    import ipl_coder.coding.pipeline

    code_transcripts([write_file("t3.txt", TRANSCRIPT.replace("day", "week"))], write_file("cb.yaml", CODEBOOK), double_coded)
    with ProjectStore.open(double_coded) as store:
        for coder in ("ana", "ola"):
            store.record_decision(next(store.segments(transcript="t3")).segment_id, coder, "accept")
    built: list[str] = []
    real = ipl_coder.coding.pipeline.sentence_splitter
    monkeypatch.setattr(ipl_coder.coding.pipeline, "sentence_splitter", lambda language: built.append(language) or real(language))
    result = compute_agreement(double_coded, ["ana", "ola"], "sentence")
    assert result.transcripts_compared == 2 and built == ["en"]


def test_negative_figures_are_numbers_in_the_csv(write_file: Callable[..., Path], tmp_path: Path) -> None:
    """Worse than chance is a number below 0, not text: the formula guard never touches a number."""
    project = tmp_path / "project"
    code_transcripts([write_file("t1.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), project)
    with ProjectStore.open(project) as store:
        segments = [s for s in store.segments() if s.code_id == "team"]
        for coder, accepted in (("ana", segments[:5]), ("ola", segments[5:])):
            store.record_decisions([NewDecision(coder, "accept" if s in accepted else "reject", s.segment_id) for s in segments])
    out = tmp_path / "agreement.csv"
    assert run_cli("agreement", "-p", project, "--unit", "segment", "--out", out)[0] == 0
    overall = next(row for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))) if row["code"] == "all codes")
    # Every suggestion disagrees: kappa = (0 - 0.5) / (1 - 0.5) = -1; alpha = 1 - 19 x 20 / (2 x 10 x 10) = -0.9.
    assert (overall["kappa"], overall["alpha"]) == ("-1.000", "-0.900")


@given(st.lists(st.tuples(st.integers(0, 1), st.integers(0, 1)), max_size=80))
def test_the_figures_from_a_2_by_2_table_are_the_figures_from_every_item(pairs: list[tuple[int, int]]) -> None:
    """Kappa and alpha from four counts, to the last bit, as from the items themselves (alpha by the krippendorff package)."""
    first, second = [a for a, _ in pairs], [b for _, b in pairs]
    cells = Counter(pairs)
    assert kappa_of_cells(cells) == cohen_kappa(first, second)
    assert alpha_of_cells(cells) == krippendorff_alpha(first, second)


SENTENCES = ["The team met.", "We had hope.", "Nothing here.", "The team and hope.", "Hope for the team.", "Rain again."]


def all_at_once(project: Path, unit: str) -> tuple[dict[str, list[tuple[int, int]]], int]:
    """Each code's items (ana, ola) over every unit of every transcript both worked in, listed all at once; and the units."""
    with ProjectStore.open(project) as store:
        segments = [s for s in store.segments(None) if s.status != WITHDRAWN]
        views = [store.coder_views("ana"), store.coder_views("ola")]
        worked = set.intersection(*({s.transcript for s in segments if (v := mine.get(s.segment_id)) and v.decision}
                                    for mine in views))  # fmt: skip
        coded = [{(s.transcript, s.code_id, s.start_char, s.end_char) for s in segments
                  if (v := mine.get(s.segment_id)) and v.status == "accepted"} for mine in views]  # fmt: skip
        units = participant_units(store, sorted(worked), unit)
        order = [code.code_id for code in store.latest_codes()]
    given = {code for passages in coded for transcript, code, _, _ in passages if transcript in worked}
    codes = sorted(given, key=order.index)  # in codebook order, as the figures are listed
    marks = [{(t, i, code) for t, code, start, end in passages if t in units for i in units[t].overlapping(start, end)}
             for passages in coded]  # fmt: skip
    items = {code: [(int((t, i, code) in marks[0]), int((t, i, code) in marks[1])) for t, cut in units.items()
                    for i in range(len(cut.units))] for code in codes}  # fmt: skip
    return items, sum(len(cut.units) for cut in units.values())


@pytest.mark.parametrize("unit", ["sentence", "paragraph"])
def test_transcript_by_transcript_gives_the_figures_of_all_items_at_once(write_file: Callable[..., Path], tmp_path: Path,
                                                                         unit: str) -> None:  # fmt: skip
    """Issue 17: agreement counts a 2 x 2 table per code as it walks the transcripts, instead of listing every item."""
    chance = random.Random(17)
    paths = []
    for number in range(1, 5):
        lines = "\n".join(" ".join(chance.sample(SENTENCES, 4)) for _ in range(3))
        paths.append(write_file(f"t{number}.txt", f"Interviewer: Tell me.\nP1: {lines}\nInterviewer: Thanks.\n"))
    project = tmp_path / "project"
    code_transcripts(paths, write_file("cb.yaml", CODEBOOK), project)
    with ProjectStore.open(project) as store:
        segments = list(store.segments())
        for coder in ("ana", "ola"):  # t4 only ana reviews: it is not compared
            store.record_decisions([NewDecision(coder, chance.choice(["accept", "accept", "reject"]), s.segment_id)
                                    for s in segments if coder == "ana" or s.transcript != "t4"])  # fmt: skip
        text = store.transcript("t2").text
        start = text.index("Rain again.")
        store.record_decisions([NewDecision("ola", "add", new_code_id="hope", passage=Passage("t2", start, start + 4))])
    items, units = all_at_once(project, unit)
    result = compute_agreement(project, ["ana", "ola"], unit)
    assert (result.transcripts_compared, result.units_compared) == (3, units)
    assert [row.code_id for row in result.between] == [*items, ""]
    everything = [pair for pairs in items.values() for pair in pairs]
    for row, pairs in zip(result.between, [*items.values(), everything], strict=True):
        first, second = [a for a, _ in pairs], [b for _, b in pairs]
        assert (row.items, row.cells) == (len(pairs), Counter(pairs))
        assert row.percent == sum(a == b for a, b in pairs) / len(pairs)
        assert (row.kappa, row.alpha) == (cohen_kappa(first, second), krippendorff_alpha(first, second))
    overall = result.between[-1]
    assert overall.kappa is not None and overall.alpha is not None and len(overall.cells) >= 3  # a case worth comparing


"""`ipl-coder agreement --against CODER`: the machine scored against one coder, cell by cell, worked out by hand."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli
from ipl_coder.coding.project import code_transcripts
from ipl_coder.review.against import Disagreement, compare_with_coder
from ipl_coder.store import NewDecision, Passage, ProjectStore

CODEBOOK = """
codes:
  - id: care
    terms: [hope]
  - id: team
    codes:
      - id: team-peer
        terms: [peer]
"""
# Participant sentences: S1 hope (care), S2 peer (team-peer), S3 nothing, S4 hope and peers (both codes).
# The turn has two lines, so two paragraphs: S1 S2, then S3 S4.
TRANSCRIPT = "Interviewer: Tell me.\nP1: There is hope here. The peer came late.\nWe ate lunch. Hope and peers everywhere.\n"
S1, S2, S3, S4 = "There is hope here.", "The peer came late.", "We ate lunch.", "Hope and peers everywhere."


@pytest.fixture
def coded_by_ana(write_file: Callable[..., Path], tmp_path: Path) -> Path:
    """Ana codes S1 and S3 'care' and S2 'team' (the parent, not the sub-code), by a sheet; she rejects S4's 'care'."""
    project = tmp_path / "project"
    code_transcripts([write_file("t1.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), project)
    text = TRANSCRIPT
    rows = [("care", S1), ("care", S3), ("team", S2)]
    sheet = write_file("ana.csv", "segment_id,transcript,code,decision,coder,start,end\n" + "".join(
        f",t1,{code},,ana,{text.index(words)},{text.index(words) + len(words)}\n" for code, words in rows))  # fmt: skip
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", project)
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        s4_care = next(s for s in store.segments() if s.code_id == "care" and s.text == S4)
        store.record_decisions([NewDecision("ana", "reject", s4_care.segment_id)])
    return project


def test_sentence_cells_worked_out_by_hand(coded_by_ana: Path) -> None:
    result = compare_with_coder(coded_by_ana, "ana", "sentence")
    rows = {(row.code_id, row.rule_id): (row.both, row.machine_only, row.coder_only) for row in result.figures}
    # care: machine S1 S4 (a rejected suggestion still counts), ana S1 S3.
    assert rows[("care", "")] == (1, 1, 1)
    assert rows[("care", "care:terms")] == (1, 1, 1)
    # team: the machine's team-peer counts for team, the level ana coded at: machine S2 S4, ana S2.
    assert rows[("team", "")] == (1, 1, 0)
    assert rows[("team", "team-peer:terms")] == (1, 1, 0)
    assert ("team-peer", "") not in rows  # ana never used the sub-code, so it is not scored on its own
    micro = result.figures[-1]
    assert (micro.code_id, micro.both, micro.machine_only, micro.coder_only) == ("", 2, 2, 1)
    assert micro.precision == pytest.approx(2 / 4)
    assert micro.recall == pytest.approx(2 / 3)
    assert micro.f1 == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    care = next(row for row in result.figures if row.code_id == "care" and not row.rule_id)
    assert (care.precision, care.recall, care.f1) == (0.5, 0.5, 0.5)
    assert (result.transcripts, result.units) == (1, 4)
    listed = [(item.kind, item.code_id, item.text, item.rules, item.words) for item in result.disagreements]
    assert listed == [
        ("missed", "care", S3, (), ()),
        ("extra", "care", S4, ("care:terms",), ("Hope",)),
        ("extra", "team", S4, ("team-peer:terms",), ("peers",)),
    ]


def test_paragraph_cells(coded_by_ana: Path) -> None:
    result = compare_with_coder(coded_by_ana, "ana", "paragraph")
    rows = {row.code_id: (row.both, row.machine_only, row.coder_only) for row in result.figures if not row.rule_id}
    assert result.units == 2
    assert rows == {"care": (2, 0, 0), "team": (1, 1, 0), "": (3, 1, 0)}
    assert [(item.kind, item.code_id, item.text) for item in result.disagreements] == [("extra", "team", f"{S3} {S4}")]


def test_cli_writes_figures_and_disagreements(coded_by_ana: Path, tmp_path: Path) -> None:
    out = tmp_path / "against.csv"
    exit_code, stdout, stderr = run_cli("agreement", "-p", coded_by_ana, "--against", "ana", "--out", out)
    assert exit_code == 0, stderr
    assert "Machine against ana, per sentence × code" in stdout
    assert "all codes (micro)" in stdout and "ana coded, no rule suggested (1)" in stdout
    assert "care  t1 " in stdout and S3 in stdout and "care:terms: Hope" in stdout
    with out.open(encoding="utf-8-sig") as handle:
        figures = list(csv.DictReader(handle))
    assert [(row["code"], row["rule"], row["precision"], row["recall"], row["f1"]) for row in figures] == [
        ("care", "", "0.500", "0.500", "0.500"), ("care", "care:terms", "0.500", "0.500", "0.500"),
        ("team", "", "0.500", "1.000", "0.667"), ("team", "team-peer:terms", "0.500", "1.000", "0.667"),
        ("all codes", "", "0.500", "0.667", "0.571"),
    ]  # fmt: skip
    with (tmp_path / "against-disagreements.csv").open(encoding="utf-8-sig") as handle:
        listed = list(csv.DictReader(handle))
    assert [(row["kind"], row["code"], row["codes"], row["rules"], row["words"], row["text"]) for row in listed] == [
        ("missed", "care", "care", "", "", S3),
        ("extra", "care", "care", "care:terms", "Hope", S4),
        ("extra", "team", "team-peer", "team-peer:terms", "peers", S4),
    ]
    start = TRANSCRIPT.index(S3)
    assert (listed[0]["start"], listed[0]["end"], listed[0]["speaker"]) == (str(start), str(start + len(S3)), "P1")


def test_cli_refuses_what_it_cannot_compare(coded_by_ana: Path) -> None:
    exit_code, _, stderr = run_cli("agreement", "-p", coded_by_ana, "--against", "bob")
    assert exit_code == 1 and "no coding by 'bob'" in stderr and "the coders are ana" in stderr
    assert run_cli("agreement", "-p", coded_by_ana, "--against", "ana", "--unit", "segment")[0] == 2


def test_a_code_given_only_outside_every_unit_does_not_set_the_level(coded_by_ana: Path) -> None:
    """Issue 17: a rule is scored at the nearest code the coder used inside a unit, known only after every transcript.

    Ana also gives 'team-peer' to the interviewer's words, which are in no unit: the rule of team-peer is still
    scored at 'team', as when she never used team-peer (test_sentence_cells_worked_out_by_hand).
    """
    start = TRANSCRIPT.index("Tell me.")
    with ProjectStore.open(coded_by_ana) as store:
        store.record_decisions([NewDecision("ana", "add", new_code_id="team-peer", passage=Passage("t1", start, start + 8))])
        assert "team-peer" in store.accepted_codes("ana")  # the first guess at the levels, which the count corrects
    rows = {(row.code_id, row.rule_id): (row.both, row.machine_only, row.coder_only)
            for row in compare_with_coder(coded_by_ana, "ana", "sentence").figures}  # fmt: skip
    assert rows[("team", "team-peer:terms")] == (1, 1, 0)
    assert ("team-peer", "") not in rows and ("team-peer", "team-peer:terms") not in rows


def test_disagreements_stream_to_the_file_and_a_few_are_kept(write_file: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 17: every disagreement of a project of several transcripts goes out as found, in text order; a few are kept."""
    project = tmp_path / "project"
    paths = [write_file(f"t{number}.txt", f"{TRANSCRIPT}P1: Day {number}.\n") for number in (3, 1, 2)]  # not in name order
    code_transcripts(paths, write_file("cb.yaml", CODEBOOK), project)
    with ProjectStore.open(project) as store:
        for name in ("t1", "t2", "t3"):  # ana accepts one suggestion and rejects the rest, in every transcript
            segments = list(store.segments(transcript=name))
            store.record_decisions([NewDecision("ana", "accept" if index == 0 else "reject", s.segment_id)
                                    for index, s in enumerate(segments)])  # fmt: skip
    everything = compare_with_coder(project, "ana", "sentence")
    assert [item.transcript for item in everything.disagreements][:1] == ["t1"] and everything.count("extra") > 3
    assert everything.disagreements == sorted(everything.disagreements, key=lambda item: (item.transcript, item.start_char))
    listed: list[Disagreement] = []
    kept = compare_with_coder(project, "ana", "sentence", keep=1, listed=listed.append)
    assert listed == everything.disagreements and kept.figures == everything.figures
    assert kept.counted == everything.counted == {"extra": len(everything.disagreements)}
    assert kept.disagreements == everything.disagreements[:1]
    out = tmp_path / "against.csv"
    exit_code, stdout, stderr = run_cli("agreement", "-p", project, "--against", "ana", "--show", "1", "--out", out)
    assert exit_code == 0, stderr
    assert f"suggested, ana did not code ({kept.count('extra')})" in stdout
    assert f"… and {kept.count('extra') - 1} more (all are in {tmp_path / 'against-disagreements.csv'}" in stdout
    with (tmp_path / "against-disagreements.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["transcript"], int(row["start"]), row["text"]) for row in rows] == [
        (item.transcript, item.start_char, item.text) for item in everything.disagreements
    ]

"""`ipl-coder cooccur`: codes on the same sentence, paragraph or turn, worked out by hand."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import run_cli
from ipl_coder.coding.project import code_transcripts
from ipl_coder.errors import InputError
from ipl_coder.report.cooccurrence import CodePair, CooccurrenceResult, code_cooccurrence
from ipl_coder.store import NewDecision, ProjectStore

# money comes first, so codebook order (code_a before code_b) differs from the CLI's order by passages.
CODEBOOK = """
codes:
  - id: money
    terms: [salary]
  - id: care
    terms: [hope]
  - id: team
    codes:
      - id: team-peer
        terms: [peer]
"""
# The interviewer's hope and salary are not coded and hold no unit. Participant sentences:
#   turn 2, paragraph A: S1 care; S2 team-peer (so team)
#   turn 2, paragraph B: S3 care, team-peer; S4 money
#   turn 4, paragraph C: S5 team-peer, care; S6 money, care
#   turn 6, paragraph D: S7 money
TRANSCRIPT = (
    "Interviewer: Tell me about hope and salary.\n"
    "P1: There is hope here. The peer came late.\n"
    "Hope and peers everywhere. The salary is low.\n"
    "Interviewer: And then?\n"
    "P1: A peer gave me hope. My salary and my hope went up.\n"
    "Interviewer: Anything else?\n"
    "P1: Only the salary.\n"
)
S6 = "My salary and my hope went up."


@pytest.fixture
def project(write_file: Callable[..., Path], tmp_path: Path) -> Path:
    project = tmp_path / "project"
    code_transcripts([write_file("t1.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), project)
    return project


def figures(result: CooccurrenceResult) -> list[tuple[str, str, int, float]]:
    return [(pair.code_a, pair.code_b, pair.passages, round(pair.jaccard, 3)) for pair in result.pairs]


def test_sentences(project: Path) -> None:
    result = code_cooccurrence(project)
    assert (result.unit, result.statuses, result.units, result.transcripts) == ("sentence", ("pending", "accepted"), 7, 1)
    assert result.codes == ["money", "care", "team", "team-peer"]
    # money S4 S6 S7; care S1 S3 S5 S6; team and team-peer S2 S3 S5: team has no rule, it counts its sub-code.
    assert result.passages_by_code == {"money": 3, "care": 4, "team": 3, "team-peer": 3}
    # money-care: S6, 1 / (3 + 4 - 1). care-team: S3 S5, 2 / (4 + 3 - 2). No pair of team with its own sub-code,
    # and none of money with team: they never share a sentence.
    assert figures(result) == [("money", "care", 1, 0.167), ("care", "team", 2, 0.4), ("care", "team-peer", 2, 0.4)]
    assert result.pairs[0] == CodePair("money", "care", 1, 1 / 6)


def test_paragraphs(project: Path) -> None:
    result = code_cooccurrence(project, "paragraph")
    # A: care team team-peer; B: care team team-peer money; C: the same; D: money.
    assert (result.units, result.passages_by_code) == (4, {"money": 3, "care": 3, "team": 3, "team-peer": 3})
    assert figures(result) == [
        ("money", "care", 2, 0.5), ("money", "team", 2, 0.5), ("money", "team-peer", 2, 0.5),  # B C: 2 / (3 + 3 - 2)
        ("care", "team", 3, 1.0), ("care", "team-peer", 3, 1.0),  # A B C: always together
    ]  # fmt: skip


def test_turns(project: Path) -> None:
    result = code_cooccurrence(project, "turn")
    # Turns 2 and 4 have every code, turn 6 only money.
    assert (result.units, result.passages_by_code) == (3, {"money": 3, "care": 2, "team": 2, "team-peer": 2})
    assert figures(result) == [
        ("money", "care", 2, 0.667), ("money", "team", 2, 0.667), ("money", "team-peer", 2, 0.667),  # 2 / (3 + 2 - 2)
        ("care", "team", 2, 1.0), ("care", "team-peer", 2, 1.0),
    ]  # fmt: skip


def test_a_rejected_segment_does_not_count_unless_asked_for(project: Path) -> None:
    with ProjectStore.open(project) as store:
        s6_care = next(s for s in store.segments() if s.code_id == "care" and s.text == S6)
        store.record_decisions([NewDecision("ana", "reject", s6_care.segment_id)])
    result = code_cooccurrence(project)
    # care is S1 S3 S5 now: money and care share no sentence; care-team 2 / (3 + 3 - 2).
    assert result.passages_by_code["care"] == 3
    assert figures(result) == [("care", "team", 2, 0.5), ("care", "team-peer", 2, 0.5)]
    assert figures(code_cooccurrence(project, statuses=("pending", "accepted", "rejected")))[0] == ("money", "care", 1, 0.167)
    only_accepted = code_cooccurrence(project, statuses=("accepted",))
    assert only_accepted.pairs == [] and set(only_accepted.passages_by_code.values()) == {0}


def test_transcripts_add_up(write_file: Callable[..., Path], tmp_path: Path) -> None:
    project = tmp_path / "two"
    second = write_file("t2.txt", "Interviewer: Hi.\nP2: Hope and a salary.\n")  # one sentence: money and care
    code_transcripts([write_file("t1.txt", TRANSCRIPT), second], write_file("cb.yaml", CODEBOOK), project)
    result = code_cooccurrence(project)
    assert (result.units, result.transcripts) == (8, 2)
    assert figures(result)[0] == ("money", "care", 2, 0.286)  # S6 and t2's sentence: money 4, care 5: 2 / (4 + 5 - 2)


def test_an_unknown_unit_or_project_is_refused(project: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unit 'exchange' is not one of: sentence, paragraph, turn"):
        code_cooccurrence(project, "exchange")
    assert run_cli("cooccur", "-p", project, "--unit", "exchange")[0] == 2
    exit_code, stdout, stderr = run_cli("cooccur", "-p", tmp_path / "nowhere")
    assert (exit_code, stdout) == (1, "")
    assert stderr.strip().splitlines() == [f"Error: {tmp_path / 'nowhere'}: no project here (no project.sqlite); run 'ipl-coder code' first"]


def test_review_compares_on_the_same_units() -> None:
    from ipl_coder.coding import units as shared
    from ipl_coder.review import units as review

    assert review.participant_units is shared.participant_units and review.TranscriptUnits is shared.TranscriptUnits


def test_cli_table_sorted_by_passages(project: Path) -> None:
    exit_code, stdout, stderr = run_cli("cooccur", "-p", project)
    assert exit_code == 0, stderr
    rows = [line.split() for line in stdout.splitlines() if line.startswith("│")]
    assert rows == [
        ["│", "care", "│", "team", "│", "2", "│", "0.400", "│"],
        ["│", "care", "│", "team-peer", "│", "2", "│", "0.400", "│"],
        ["│", "money", "│", "care", "│", "1", "│", "0.167", "│"],
    ]
    assert "Codes on the same sentence" in stdout
    assert stdout.rstrip().endswith("Per sentence, counting pending and accepted segments: 7 sentences in 1 transcript.")
    exit_code, stdout, _ = run_cli("cooccur", "-p", project, "--unit", "turn", "--status", "accepted")
    assert exit_code == 0 and stdout.splitlines() == [
        "No two codes share a turn.", "Per turn, counting accepted segments: 3 turns in 1 transcript."
    ]


def test_cli_csv(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "cooccur.csv"
    exit_code, stdout, stderr = run_cli("cooccur", "-p", project, "--unit", "paragraph", "--out", out)
    assert exit_code == 0, stderr
    assert stdout.startswith(f"Wrote 5 pairs of codes to {out}\n")
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["code_a", "code_b", "passages", "jaccard", "unit"],
        ["money", "care", "2", "0.500", "paragraph"], ["money", "team", "2", "0.500", "paragraph"],
        ["money", "team-peer", "2", "0.500", "paragraph"], ["care", "team", "3", "1.000", "paragraph"],
        ["care", "team-peer", "3", "1.000", "paragraph"],
    ]  # fmt: skip


def test_cli_json(project: Path) -> None:
    exit_code, stdout, stderr = run_cli("cooccur", "-p", project, "--json")
    assert exit_code == 0, stderr
    data = json.loads(stdout)
    assert (data["unit"], data["statuses"], data["units"], data["transcripts"]) == ("sentence", ["pending", "accepted"], 7, 1)
    assert data["passages_by_code"] == {"money": 3, "care": 4, "team": 3, "team-peer": 3}
    assert data["pairs"][0] == {"code_a": "money", "code_b": "care", "passages": 1, "jaccard": 0.167}


def test_cli_help_reads_like_a_manual() -> None:
    exit_code, stdout, _ = run_cli("cooccur", "--help")
    assert exit_code == 0
    for words in ("codes occur together", "passages", "jaccard", "not paired with a code above it", "Examples",
                  "ipl-coder cooccur --project my-project --unit turn --out cooccurrence.csv", "sentence|paragraph|turn",
                  "By default pending and accepted"):  # fmt: skip
        assert words in stdout
    assert run_cli("cooccur")[0] == 2  # no arguments: the help, as a usage error

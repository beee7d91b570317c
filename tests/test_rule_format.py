"""The rule format of issue 14: 'all' groups of alternatives, the paragraph unit, codebook defaults, and lint."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.errors import CodebookError

GROUPS = """
codes:
  - id: them
    boolean:
      - id: staff-and-us
        all: [[staff, clinician, nurse], [us, our team]]
        none: [family]
"""


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CodebookError) as raised:
        load_codebook(path)
    return [f"{problem.line}:{problem.column}: {problem.message}" for problem in raised.value.problems]


def test_all_groups_need_one_term_of_each_group(code_text: Callable[..., tuple]) -> None:
    text = (
        "Interviewer: Go on.\n"
        "P1: The nurses never ate with us. Our team met alone. A clinician came by. Our team and the staff argued. "
        "The nurse said our family was welcome.\n"
    )
    _, segments = code_text(GROUPS, text)
    found = [(segment.text, segment.matched) for segment in segments]
    assert found == [
        ("The nurses never ate with us.", ("nurses", "us")),
        ("Our team and the staff argued.", ("Our team", "staff")),
    ]
    assert {segment.rules for segment in segments} == {("them:staff-and-us",)}


def test_plain_all_lists_still_need_every_term(code_text: Callable[..., tuple]) -> None:
    codebook = "codes:\n  - id: x\n    boolean:\n      - all: [staff, us]\n"
    _, segments = code_text(codebook, "Interviewer: Go on.\nP1: The staff. The staff and us. Us.\n")
    assert [segment.text for segment in segments] == ["The staff and us."]


def test_groups_are_validated_where_they_are(write_file: Callable[..., Path]) -> None:
    text = "codes:\n  - id: a\n    boolean:\n      - all: [[x, y], [], [z, [w]], '  ']\n"
    assert problems_of(write_file("cb.yaml", text)) == [
        "4:23: group 2 in 'all' of boolean rule 1 of code 'a' is empty: give at least one term",
        "4:31: each term in 'all' of boolean rule 1 of code 'a' must be text (a group of alternatives is one level of [ ])",
        "4:37: empty term in 'all' of boolean rule 1 of code 'a'",
    ]


def test_show_writes_groups_as_alternatives(write_file: Callable[..., Path]) -> None:
    exit_code, stdout, _ = run_cli("codebook", "show", write_file("cb.yaml", GROUPS), "--code", "them")
    assert exit_code == 0
    assert "all: (staff | clinician | nurse), (us | our team); none: family" in stdout


TWO_PARAGRAPHS = (
    "Interviewer: Tell me about the team.\n"
    "P1: We had coffee. It was fine.\n"
    "Then the nurses shut out the peers. Nobody said why.\n\n"
    "Later it changed.\n"
)


def test_paragraph_unit_is_a_line_of_the_turn(code_text: Callable[..., tuple]) -> None:
    codebook = "codes:\n  - id: out\n    unit: paragraph\n    terms: [shut out]\n  - id: change\n    unit: paragraph\n    terms: [change]\n"
    transcript, segments = code_text(codebook, TWO_PARAGRAPHS)
    assert [(segment.code_id, segment.text, segment.unit) for segment in segments] == [
        ("out", "Then the nurses shut out the peers. Nobody said why.", "paragraph"),
        ("change", "Later it changed.", "paragraph"),
    ]
    _, by_sentence = code_text(codebook.replace("unit: paragraph", "unit: sentence"), TWO_PARAGRAPHS)
    assert [segment.text for segment in by_sentence] == ["Then the nurses shut out the peers.", "Later it changed."]


DEFAULTS = """
defaults:
  unit: paragraph
  speakers: [everyone]
codes:
  - id: out
    terms: [shut out]
  - id: team
    unit: sentence
    terms: [team]
"""


def test_codebook_defaults_apply_to_codes_that_set_nothing(code_text: Callable[..., tuple], write_file: Callable[..., Path]) -> None:
    codebook = load_codebook(write_file("cb.yaml", DEFAULTS))
    assert (codebook.default_unit, codebook.default_speakers) == ("paragraph", ("everyone",))
    assert codebook.run_unit(None) == "paragraph" and codebook.run_unit("turn") == "turn"
    _, segments = code_text(DEFAULTS, TWO_PARAGRAPHS, unit=None)
    # The interviewer's question is coded too (speakers: everyone); 'out' grows to its paragraph, 'team' keeps its own unit.
    assert [(segment.code_id, segment.speaker, segment.text) for segment in segments] == [
        ("team", "Interviewer", "Tell me about the team."),
        ("out", "P1", "Then the nurses shut out the peers. Nobody said why."),
    ]


def test_the_command_line_unit_overrides_the_codebook_default(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    codebook = write_file("cb.yaml", DEFAULTS)
    transcript = write_file("t/t1.txt", TWO_PARAGRAPHS)
    for given, expected in ((), "paragraph"), (("--unit", "turn"), "turn"):
        project = tmp_path / f"p-{expected}"
        exit_code, stdout, stderr = run_cli("code", transcript.parent, "-c", codebook, "-p", project, *given)
        assert exit_code == 0, stderr
        with (project / "segments.csv").open(encoding="utf-8-sig") as handle:
            units = {row["code"]: row["unit"] for row in csv.DictReader(handle)}
        assert units == {"out": expected, "team": "sentence"}
        assert f"Codes suggested ({expected} units)" in stdout


@pytest.mark.parametrize(
    ("defaults", "expected"),
    [
        ("defaults: turn\n", "1:11: 'defaults' is a mapping with 'unit:' and/or 'speakers:'"),
        ("defaults:\n  unti: turn\n", "2:3: unknown key 'unti' in the codebook's defaults; did you mean 'unit'?"),
        ("defaults:\n  unit: page\n", "2:9: unit 'page' of the codebook's defaults is not one of: sentence, paragraph, turn, exchange"),
    ],
)
def test_bad_defaults_are_located(write_file: Callable[..., Path], defaults: str, expected: str) -> None:
    assert problems_of(write_file("cb.yaml", defaults + "codes:\n  - id: a\n    terms: [x]\n")) == [expected]


def test_duplicate_term_counts_only_terms_that_code_by_themselves(write_file: Callable[..., Path]) -> None:
    path = write_file("lint.yaml", """
        codes:
          - id: divide
            terms: [resistance]
            near:
              - {terms: [staff], with: [against], within: 4}
            boolean:
              - all: [[nurse, doctor], [us]]
          - id: meeting
            near:
              - {terms: [staff], with: [together], within: 4}
            boolean:
              - all: [[nurse, psychologist], [learn]]
              - any: [resistance]
    """)
    _, stdout, _ = run_cli("codebook", "lint", path)
    duplicates = [line for line in stdout.splitlines() if "duplicate-term" in line]
    # 'staff' and 'nurse' are one condition of several, so they code nothing alone; 'resistance' does in both.
    assert len(duplicates) == 1 and "term 'resistance' is in 'divide', 'meeting'" in duplicates[0]


def test_the_shipped_codebook_and_samples_still_code(coded_samples: Path) -> None:
    codebook = load_codebook(IPL_CODEBOOK)
    assert codebook.default_unit is None and SAMPLES.is_dir()
    assert (coded_samples / "segments.csv").stat().st_size > 0

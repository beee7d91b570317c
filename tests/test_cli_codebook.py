"""`ipl-coder codebook validate|show|test|lint` through the CLI."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, SAMPLES, run_cli


def test_validate_accepts_ipl_and_lists_every_problem_of_a_broken_codebook(write_file: Callable[..., Path]) -> None:
    exit_code, stdout, _ = run_cli("codebook", "validate", IPL_CODEBOOK)
    assert exit_code == 0 and "16 codes (10 sub-codes)" in stdout and "en, nb" not in stdout
    broken = write_file("broken.yaml", """
        codes:
          - id: a
            colour: "#123456"
            terms: [x]
          - id: a
            unit: page
    """)
    exit_code, stdout, stderr = run_cli("codebook", "validate", broken)
    assert exit_code == 1 and stdout == ""
    assert stderr.splitlines() == [
        f"{broken}:3:5: unknown key 'colour' in code 'a'; did you mean 'color'?",
        f"{broken}:5:9: duplicate code id 'a' (first used on line 2)",
        f"{broken}:6:11: unit 'page' of code 'a' is not one of: sentence, paragraph, turn, exchange",
        f"Error: 3 problems in codebook {broken}; fix them and run again",
    ]


@pytest.mark.parametrize("content", ["", "codes: [\n", "just text\n"])
def test_validate_refuses_empty_and_malformed_files(write_file: Callable[..., Path], content: str) -> None:
    exit_code, _, stderr = run_cli("codebook", "validate", write_file("c.yaml", content))
    assert exit_code == 1 and "c.yaml:" in stderr and "Traceback" not in stderr


def test_show_prints_the_tree_and_one_code_in_full() -> None:
    exit_code, stdout, _ = run_cli("codebook", "show", IPL_CODEBOOK)
    assert exit_code == 0
    for code_id in ("role", "role-clinical", "socialization-protect"):
        assert code_id in stdout
    assert "#4E79A7" in stdout and re.search(r"nb: \d+ terms", stdout)
    exit_code, stdout, _ = run_cli("codebook", "show", IPL_CODEBOOK, "--code", "broker")
    assert exit_code == 0
    assert "broker:gives-a-voice" in stdout and "broker:terms@nb" in stdout and "stock broker" in stdout
    exit_code, _, stderr = run_cli("codebook", "show", IPL_CODEBOOK, "--code", "brokr")
    assert exit_code == 1 and "no code 'brokr'" in stderr


def test_ipl_codebook_passes_its_tests_and_a_broken_example_fails_by_name(tmp_path: Path) -> None:
    exit_code, stdout, _ = run_cli("codebook", "test", IPL_CODEBOOK)
    passed = re.search(r"(\d+) of \1 examples pass", stdout)
    assert exit_code == 0 and passed is not None
    broken = tmp_path / "ipl.yaml"
    text = IPL_CODEBOOK.read_text(encoding="utf-8")
    line = "          - The car broke down on the way home.\n"  # a no_match example of broker
    assert line in text
    broken.write_text(text.replace(line, line + "          - She is a go-between.\n"), encoding="utf-8")
    exit_code, stdout, stderr = run_cli("codebook", "test", broken)
    assert exit_code == 1
    assert "She is a go-between." in stdout and "broker:terms matched 'go-between'" in stdout
    assert f"1 of {int(passed.group(1)) + 1} examples fail" in stderr


def test_lint_warns_without_failing(write_file: Callable[..., Path]) -> None:
    path = write_file("lint.yaml", """
        codes:
          - id: staff
            definition: Clinical staff.
            terms: [nurse, meeting]
            examples:
              match: [The nurse came.]
          - id: team
            terms: [Nurse]
          - id: hunch
    """)
    exit_code, stdout, _ = run_cli("codebook", "lint", path)
    assert exit_code == 0
    lines = [line for line in stdout.splitlines() if "warning" in line]
    assert any("(duplicate-term) term 'nurse' is in 'staff', 'team'" in line for line in lines)
    assert any(line.startswith(f"{path}:2:") and "'meeting' as 'meet' (a different word)" in line for line in lines)
    assert any("(no-definition) code 'team'" in line for line in lines)
    assert any("(no-examples) code 'team'" in line for line in lines)
    assert any("(no-rules) code 'hunch' has no rules" in line for line in lines)
    assert not any("code 'staff'" in line and "no-" in line for line in lines)


def test_lint_with_a_project_finds_unmatched_and_dominant_rules(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    codebook = write_file("cb.yaml", """
        codes:
          - id: support
            definition: Peer support.
            terms: [peer support, unicorn]
            boolean:
              - id: dragons
                all: [dragon, castle]
            examples:
              match: [Peer support works.]
    """)
    project = tmp_path / "p"
    assert run_cli("code", SAMPLES, "-c", codebook, "-p", project, "-q")[0] == 0
    exit_code, stdout, _ = run_cli("codebook", "lint", codebook, "--project", project)
    assert exit_code == 0
    assert "(unmatched-rule) rule 'support:dragons' matched nothing" in stdout
    assert "(dominant-rule) rule 'support:terms' makes" in stdout
    assert "(dominant-word) the word 'peer support' is behind" in stdout
    assert "support:terms' matched nothing" not in stdout


def test_codebook_commands_need_a_codebook_first() -> None:
    exit_code, _, stderr = run_cli("codebook", "show")
    assert exit_code == 2 or "Usage" in stderr
    for command in ("validate", "show", "test", "lint", "add", "add-term", "remove", "rename", "move", "diff", "export", "import"):
        exit_code, stdout, _ = run_cli("codebook", command, "--help")
        assert exit_code == 0 and "Usage: ipl-coder codebook " + command in " ".join(stdout.split()), command


def test_a_codebook_without_rules_is_refused_by_code(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    codebook = write_file("people.yaml", "codes:\n  - id: hunch\n")
    exit_code, _, stderr = run_cli("code", SAMPLES, "-c", codebook, "-p", tmp_path / "p")
    assert exit_code == 1 and "no code has any rule" in stderr
    assert not (tmp_path / "p").exists()

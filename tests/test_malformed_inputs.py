"""Inputs that once passed a check and then failed later, or ended in "unexpected error" (issue 13).

Each test here failed before its fix. The random search for more of them is tests/test_fuzz_readers.py.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from conftest import run_cli


def test_a_code_with_only_exclude_terms_codes_nothing_and_breaks_nothing(write_file: Callable[..., Path], tmp_path: Path) -> None:
    codebook = write_file("cb.yaml", """
        codes:
          - id: vetoes-alone
            exclude_terms: [stock broker]
          - id: broker
            terms: [broker]
    """)
    transcript = write_file("t.txt", "Interviewer: Work?\nP1: My uncle is a stock broker. I am a broker too.\n")
    assert run_cli("codebook", "validate", codebook)[0] == 0
    exit_code, _, stderr = run_cli("code", transcript, "-c", codebook, "-p", tmp_path / "p", "-q", "--jobs", "1")
    assert exit_code == 0, stderr
    with (tmp_path / "p" / "segments.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    # Another code's exclude_terms veto only that code: both sentences are 'broker'.
    assert [(row["code"], row["text"]) for row in rows] == [
        ("broker", "My uncle is a stock broker."), ("broker", "I am a broker too."),
    ]  # fmt: skip


def test_a_pattern_too_open_to_match_quickly_is_refused_at_validation(write_file: Callable[..., Path]) -> None:
    stars = ", ".join(['{OP: "*"}'] * 200)
    codebook = write_file("cb.yaml", f"""
        codes:
          - id: fine
            patterns:
              - [{{LEMMA: tell}}, {{OP: "{{,4}}"}}, {{LOWER: team}}]
              - [{{LOWER: said}}, {{OP: "*"}}, {{OP: "?"}}, {{OP: "?"}}, {{LOWER: team}}]
          - id: wild
            patterns:
              - [{stars}]
              - [{{OP: "{{100000000}}"}}]
    """)
    exit_code, _, stderr = run_cli("codebook", "validate", codebook)
    assert exit_code == 1
    assert f"{codebook}:8:9: malformed pattern in pattern rule 1 of code 'wild': too open to match quickly: 1200 optional tokens" in stderr
    assert "write '{,4}' rather than '*'" in stderr
    assert f"{codebook}:9:9: malformed pattern in pattern rule 2 of code 'wild': too long to match quickly: 100000000 tokens" in stderr
    assert "code 'fine'" not in stderr and "2 problems in codebook" in stderr

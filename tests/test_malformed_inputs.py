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

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


def test_an_unclosed_bracket_or_quote_is_reported_where_it_opens(write_file: Callable[..., Path]) -> None:
    at_the_end = write_file("end.yaml", "name: x\ncodes:\n  - id: broker\n    terms: [broker, bridge\n")
    exit_code, _, stderr = run_cli("codebook", "validate", at_the_end)
    assert exit_code == 1
    assert f"{at_the_end}:4:12: YAML syntax: this '[' is never closed with ']': the file ends first" in stderr
    further_on = write_file("on.yaml", "codes:\n  - id: broker\n    terms: [broker, bridge\n    label: Broker\n")
    assert f"{further_on}:3:12: YAML syntax: this '[' is never closed with ']': expected ',' or ']', but got ':' on line 4" \
        in run_cli("codebook", "validate", further_on)[2]
    quote = write_file("quote.yaml", 'codes:\n  - id: broker\n    label: "Broker\n')
    assert f"{quote}:3:12: YAML syntax: this quote (\") is never closed: the file ends first" in run_cli("codebook", "validate", quote)[2]


def test_control_characters_and_runaway_nesting_in_a_codebook_are_located(write_file: Callable[..., Path]) -> None:
    control = write_file("control.yaml", "codes:\n  - id: broker\n    label: Bro\x02ker\n")
    exit_code, _, stderr = run_cli("codebook", "validate", control)
    assert exit_code == 1 and "unexpected error" not in stderr
    assert f"{control}:3:15: a control character (U+0002) YAML does not allow; delete it" in stderr
    for name, text in (("flow.yaml", "codes: " + "[" * 1000 + "]" * 1000 + "\n"),
                       ("block.yaml", "codes:\n" + "".join(" " * depth + "a:\n" for depth in range(1, 1000)))):  # fmt: skip
        deep = write_file(name, text)
        exit_code, _, stderr = run_cli("codebook", "validate", deep)
        assert exit_code == 1 and "unexpected error" not in stderr
        assert "lists or mappings nested hundreds of levels deep, about here: a codebook needs only a few levels" in stderr

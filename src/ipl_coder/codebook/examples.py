"""Run a codebook's ``examples`` through the same coder ``ipl-coder code`` uses.

A ``match`` example passes when the code or one of its sub-codes is suggested
for it; a ``no_match`` example passes when neither is. Examples given per
language run through that language's pipeline, as a transcript in it would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ipl_coder.codebook.model import Codebook
from ipl_coder.coding.coders import Segment
from ipl_coder.transcripts import PARTICIPANT, Transcript, Turn


class Coders(Protocol):
    def coder(self, language: str) -> _Coder: ...


class _Coder(Protocol):
    def code(self, transcript: Transcript) -> list[Segment]: ...


@dataclass(frozen=True)
class ExampleResult:
    code_id: str
    language: str
    example: str
    expected: bool  # True for a match example
    found_codes: tuple[str, ...]  # every code suggested for the example
    rules: tuple[str, ...]  # the rules behind the code (or its sub-codes) that fired
    matched: tuple[str, ...]  # the words those rules matched
    tried_rules: tuple[str, ...]  # every rule of the code and its sub-codes in this language

    @property
    def passed(self) -> bool:
        return bool(self.rules) == self.expected

    @property
    def why(self) -> str:
        """Which rule fired, or which failed, in words for the failures table."""
        if self.rules:
            return f"{', '.join(self.rules)} matched {', '.join(repr(word) for word in self.matched)}"
        if not self.tried_rules:
            return "the code has no rules in this language"
        return f"no rule fired (tried {', '.join(self.tried_rules)})"


def example_transcript(text: str, language: str | None = None) -> Transcript:
    """An example sentence as a one-turn participant transcript."""
    return Transcript(
        name="example", source_path=Path("<example>"), format="text", encoding="utf-8",
        text=text, turns=(Turn(1, "example", PARTICIPANT, 0, len(text)),), language=language,
    )  # fmt: skip


def check_examples(codebook: Codebook, coders: Coders) -> list[ExampleResult]:
    """Every example of every code, in every language the codebook has examples in, checked."""
    results = []
    for language in codebook.languages:
        view = codebook.in_language(language)
        cases = [(code, text, expected) for code in view.codes
                 for text, expected in [*((t, True) for t in code.examples_match),
                                        *((t, False) for t in code.examples_no_match)]]  # fmt: skip
        if not cases:
            continue
        coder = coders.coder(language)
        for code, text, expected in cases:
            family = [code, *view.descendants(code.code_id)]
            family_ids = {member.code_id for member in family}
            segments = [segment for segment in coder.code(example_transcript(text, language))]
            own = [segment for segment in segments if segment.code_id in family_ids]
            results.append(ExampleResult(
                code_id=code.code_id, language=language, example=text, expected=expected,
                found_codes=tuple(sorted({segment.code_id for segment in segments})),
                rules=tuple(sorted({rule for segment in own for rule in segment.rules})),
                matched=tuple(dict.fromkeys(word for segment in own for word in segment.matched)),
                tried_rules=tuple(rule_id for member in family for rule_id in member.rule_ids),
            ))  # fmt: skip
    return results

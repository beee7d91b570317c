"""Run a codebook's ``examples`` through the same coder ``ipl-coder code`` uses.

A ``match`` example passes when the code or one of its sub-codes is suggested
for it; a ``no_match`` example passes when neither is.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ipl_coder.codebook import Codebook
from ipl_coder.coding import Segment, TranscriptCoder
from ipl_coder.transcripts import PARTICIPANT, Transcript, Turn


@dataclass(frozen=True)
class ExampleResult:
    code_id: str
    example: str
    expected: bool  # True for a match example
    found_codes: tuple[str, ...]  # every code suggested for the example
    rules: tuple[str, ...]  # the rules behind the code (or its sub-codes) that fired

    @property
    def passed(self) -> bool:
        return bool(self.rules) == self.expected


def example_transcript(text: str) -> Transcript:
    """An example sentence as a one-turn participant transcript."""
    return Transcript(
        name="example", source_path=Path("<example>"), format="text", encoding="utf-8",
        text=text, turns=(Turn(1, "example", PARTICIPANT, 0, len(text)),),
    )  # fmt: skip


def check_examples(codebook: Codebook, coder: TranscriptCoder) -> list[ExampleResult]:
    results = []
    for code in codebook.codes:
        family = {code.code_id, *(sub.code_id for sub in codebook.descendants(code.code_id))}
        cases = [(text, True) for text in code.examples_match] + [(text, False) for text in code.examples_no_match]
        for text, expected in cases:
            segments: list[Segment] = coder.code(example_transcript(text))
            rules = sorted({rule for segment in segments if segment.code_id in family for rule in segment.rules})
            found = sorted({segment.code_id for segment in segments})
            results.append(ExampleResult(code.code_id, text, expected, tuple(found), tuple(rules)))
    return results

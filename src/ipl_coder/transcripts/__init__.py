"""Transcripts as ipl-coder sees them: normalised text split into speaker turns.

Every offset in ipl-coder (store, CSV, JSONL, REFI-QDA) is a Unicode code point
index into :attr:`Transcript.text`, the normalised text (LF newlines, NFC, no
BOM), end exclusive.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ipl_coder.store import StoredTranscript
    from ipl_coder.transcripts.detect import DetectedLanguage

INTERVIEWER = "interviewer"
PARTICIPANT = "participant"
WORD = re.compile(r"\w+(?:['’]\w+)*")


@dataclass(frozen=True)
class Turn:
    """One speaker's turn; ``start_char``/``end_char`` bound its words, not its label."""

    number: int  # 1-based, in reading order
    speaker: str
    role: str  # INTERVIEWER or PARTICIPANT
    start_char: int
    end_char: int
    timestamp: str | None = None  # "HH:MM:SS" where the file gives the turn's start time


@dataclass(frozen=True)
class Transcript:
    name: str
    source_path: Path
    format: str
    encoding: str
    text: str = field(repr=False)
    turns: tuple[Turn, ...]
    warnings: tuple[str, ...] = ()  # what may be read wrongly: check it before trusting the counts
    notes: tuple[str, ...] = ()  # how an ambiguity was settled, for the record
    # From the file's own YAML front matter; a participants file may add more.
    attributes: Mapping[str, str] = field(default_factory=dict)
    speaker_attributes: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    language: str | None = None  # as the front matter writes it; resolved when coding
    detected_language: DetectedLanguage | None = None  # what the words say, whatever is set

    @cached_property  # hashed once: every segment id needs it
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def turn_text(self, turn: Turn) -> str:
        return self.text[turn.start_char : turn.end_char]

    @cached_property  # the run summary and the store both need it
    def turn_word_counts(self) -> tuple[int, ...]:
        return tuple(count_words(self.turn_text(turn)) for turn in self.turns)


def paragraph_bounds(text: str, start_char: int, end_char: int) -> list[tuple[int, int]]:
    """The paragraphs of ``text[start_char:end_char]`` (a turn): its lines, blank ones skipped, spaces trimmed.

    A transcript's paragraphs inside a turn are its line breaks: a new line or a
    blank line starts a new paragraph. Bounds are absolute, end exclusive.
    """
    bounds = []
    line_start = start_char
    for line in text[start_char:end_char].split("\n"):
        stripped = line.strip()
        if stripped:
            first = line_start + len(line) - len(line.lstrip())
            bounds.append((first, first + len(stripped)))
        line_start += len(line) + 1
    return bounds


def count_words(text: str) -> int:
    return len(WORD.findall(text))


def transcript_from_store(stored: StoredTranscript) -> Transcript:
    """A transcript as the project stored it, to code it again without its file."""
    turns = tuple(Turn(turn.number, turn.speaker, turn.role, turn.start_char, turn.end_char, turn.timestamp)
                  for turn in stored.turns)  # fmt: skip
    return Transcript(
        name=stored.name, source_path=Path(stored.source_path), format=stored.format, encoding=stored.encoding,
        text=stored.text, turns=turns, attributes=stored.attributes, speaker_attributes=stored.speaker_attributes,
        language=stored.language,
    )

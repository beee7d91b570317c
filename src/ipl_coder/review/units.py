"""The units people's coding is compared on: sentences or paragraphs of the participants' turns.

Both ``agreement`` comparisons (two coders, and the machine against a coder)
mark a unit × code as coded when a passage with that code overlaps the unit.
Sentences are split by the sentence splitter the default pipeline codes with,
paragraphs at line breaks inside a turn (as the ``paragraph`` coding unit).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ipl_coder.store import ProjectStore
from ipl_coder.transcripts import paragraph_bounds

COMPARISON_UNITS = ("sentence", "paragraph")


@dataclass(frozen=True)
class Unit:
    start_char: int
    end_char: int
    speaker: str


@dataclass(frozen=True)
class TranscriptUnits:
    name: str
    text: str
    units: list[Unit]

    def overlapping(self, start_char: int, end_char: int) -> range:
        """The indexes of the units a passage overlaps."""
        first = bisect_right(self._ends, start_char)  # the first unit ending after the passage starts
        last = bisect_left(self._starts, end_char)  # units starting before the passage ends
        return range(first, max(first, last))

    @cached_property
    def _starts(self) -> list[int]:
        return [unit.start_char for unit in self.units]

    @cached_property
    def _ends(self) -> list[int]:
        return [unit.end_char for unit in self.units]

    def unit_text(self, index: int) -> str:
        unit = self.units[index]
        return self.text[unit.start_char : unit.end_char]


def participant_units(store: ProjectStore, transcripts: Iterable[str], unit: str) -> dict[str, TranscriptUnits]:
    """Each named transcript's sentences or paragraphs in participants' turns, in text order."""
    splitters: dict[str, Any] = {}
    found: dict[str, TranscriptUnits] = {}
    for name in transcripts:
        row = store.transcript(name)
        if row is None:
            continue
        turns = [turn for turn in store.turns(row.transcript_id) if turn.role != "interviewer"]
        units: list[Unit] = []
        if unit == "paragraph":
            for turn in turns:
                units += [Unit(start, end, turn.speaker) for start, end in paragraph_bounds(row.text, turn.start_char, turn.end_char)]
        else:
            language = row.language or "en"
            if language not in splitters:
                from ipl_coder.coding.pipeline import sentence_splitter

                splitters[language] = sentence_splitter(language)
            units = _sentences(splitters[language], row.text, turns)
        found[name] = TranscriptUnits(name, row.text, units)
    return found


def _sentences(nlp: Any, text: str, turns: Sequence[Any]) -> list[Unit]:
    units = []
    for doc, turn in nlp.pipe(((text[turn.start_char : turn.end_char], turn) for turn in turns), as_tuples=True):
        for sentence in doc.sents:
            stripped = sentence.text.strip()
            if stripped:
                start = turn.start_char + sentence.start_char + (len(sentence.text) - len(sentence.text.lstrip()))
                units.append(Unit(start, start + len(stripped), turn.speaker))
    return units

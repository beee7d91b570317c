"""The passages participants' turns divide into: sentences, paragraphs or whole turns.

Comparing coders (``review``) and counting codes that occur together
(``report``) both mark a unit as holding a code when a passage with that code
overlaps it, so both must cut a transcript the same way: here, once. Sentences
are split by the sentence splitter the default pipeline codes with, paragraphs
at line breaks inside a turn (as the ``paragraph`` coding unit). Interviewer
turns hold no units: their words are not coded.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.coding.doc_cache import UNITS_FOLDER, cache_folder
from ipl_coder.coding.units_cache import Cut, SentenceCache
from ipl_coder.errors import InputError
from ipl_coder.store import ProjectStore, TranscriptRow, TurnRow
from ipl_coder.transcripts import paragraph_bounds

if TYPE_CHECKING:
    from spacy.language import Language

PASSAGE_UNITS = ("sentence", "paragraph", "turn")


@dataclass(frozen=True)
class Unit:
    start_char: int
    end_char: int
    speaker: str
    turn_number: int


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


class UnitSplitter:
    """Cuts transcripts into units of one kind, keeping one sentence splitter per language across transcripts."""

    def __init__(self, unit: str, project_dir: Path | None = None) -> None:
        if unit not in PASSAGE_UNITS:
            raise InputError(f"unit '{unit}' is not one of: {', '.join(PASSAGE_UNITS)}")
        self.unit = unit
        self._splitters: dict[str, Language] = {}
        # Sentences cut before, in the project's cache (units_cache.py); None cuts every transcript afresh.
        self.cache = SentenceCache(cache_folder(project_dir) / UNITS_FOLDER) if project_dir is not None else None

    def split(self, transcript: TranscriptRow, turns: Sequence[TurnRow]) -> TranscriptUnits:
        """The transcript's units in participants' turns, in text order."""
        text = transcript.text
        spoken = [turn for turn in turns if turn.role != "interviewer"]
        if self.unit == "turn":
            units = [Unit(turn.start_char, turn.end_char, turn.speaker, turn.number) for turn in spoken if text[turn.start_char : turn.end_char].strip()]
        elif self.unit == "paragraph":
            units = [Unit(start, end, turn.speaker, turn.number) for turn in spoken for start, end in paragraph_bounds(text, turn.start_char, turn.end_char)]
        else:
            units = [Unit(start, end, spoken[index].speaker, spoken[index].number) for index, start, end in self._cuts(transcript, spoken)]
        return TranscriptUnits(transcript.name, text, units)

    def _cuts(self, transcript: TranscriptRow, spoken: Sequence[TurnRow]) -> list[Cut]:
        language = transcript.language or "en"
        if self.cache is None:
            return _sentences(self._splitter(language), transcript.text, spoken)
        entry = self.cache.entry(language, transcript.text, spoken)
        cuts = self.cache.load(entry, spoken)
        if cuts is None:
            cuts = _sentences(self._splitter(language), transcript.text, spoken)
            self.cache.save(entry, cuts)
        return cuts

    def _splitter(self, language: str) -> Language:
        if language not in self._splitters:
            # Imported here: paragraphs and turns need no spaCy, which takes a while to import.
            from ipl_coder.coding.pipeline import sentence_splitter

            self._splitters[language] = sentence_splitter(language)
        return self._splitters[language]


def participant_units(store: ProjectStore, transcripts: Iterable[str], unit: str) -> dict[str, TranscriptUnits]:
    """Each named transcript's units in participants' turns, in text order; names no longer in the store are left out."""
    splitter = UnitSplitter(unit, store.project_dir)
    found: dict[str, TranscriptUnits] = {}
    for name in transcripts:
        row = store.transcript(name)
        if row is not None:
            found[name] = splitter.split(row, store.turns(row.transcript_id))
    return found


def _sentences(nlp: Language, text: str, turns: Sequence[TurnRow]) -> list[Cut]:
    cuts = []
    for doc, (index, turn) in nlp.pipe(((text[turn.start_char : turn.end_char], (index, turn)) for index, turn in enumerate(turns)),
                                       as_tuples=True):  # fmt: skip
        for sentence in doc.sents:
            stripped = sentence.text.strip()
            if stripped:
                start = turn.start_char + sentence.start_char + (len(sentence.text) - len(sentence.text.lstrip()))
                cuts.append((index, start, start + len(stripped)))
    return cuts

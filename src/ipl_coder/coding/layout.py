"""Where a transcript's units are: its sentences, paragraphs, turns and exchanges as character ranges, and the pieces
a very long turn is coded in.

A match grows to its code's unit here (``UnitLayout.expand``), for the rules
(coders.py) and the learned model (learning/reading.py) alike.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace
from typing import TYPE_CHECKING

from ipl_coder.coding.doc_arrays import TokenOffsets, sentence_bounds
from ipl_coder.transcripts import Transcript, Turn, paragraph_bounds

if TYPE_CHECKING:
    from spacy.tokens import Doc

MAX_PIECE = 100_000  # characters of a turn spaCy gets at once


class UnitLayout:
    """The sentences, turns and exchanges of one transcript, as character ranges."""

    def __init__(self, transcript: Transcript) -> None:
        self.text = transcript.text
        self.turns = {turn.number: turn for turn in transcript.turns}
        self.paragraphs: dict[int, list[tuple[int, int]]] = {}
        self.sentences: dict[int, list[tuple[int, int]]] = {}
        self.sentence_starts: dict[int, list[int]] = {}
        self.exchange_of: dict[int, tuple[int, int]] = {}
        exchange: list[Turn] = []
        for turn in (*transcript.turns, None):
            # An interviewer turn opens a new exchange; answers join the open one.
            if turn is None or (turn.role == "interviewer" and exchange):
                bounds = (exchange[0].start_char, exchange[-1].end_char)
                self.exchange_of.update({member.number: bounds for member in exchange})
                exchange = []
            if turn is not None:
                exchange.append(turn)

    def add_sentences(self, turn: Turn, doc: Doc, turn_text: str, offsets: TokenOffsets) -> list[int]:
        """Record the turn's sentences (``turn_text`` is the Doc's text: ``doc.text`` joins every token anew)."""
        bounds, first_tokens = [], []
        for first_token, start_char, end_char in sentence_bounds(doc, offsets):
            text = turn_text[start_char:end_char]
            stripped = text.strip()
            if not stripped:
                continue
            start = turn.start_char + start_char + (len(text) - len(text.lstrip()))
            bounds.append((start, start + len(stripped)))
            first_tokens.append(first_token)
        # A very long turn comes in several pieces (see ``pieces``): its sentences add up.
        self.sentences.setdefault(turn.number, []).extend(bounds)
        self.sentence_starts.setdefault(turn.number, []).extend(start for start, _ in bounds)
        return first_tokens

    def expand(self, unit: str, turn_number: int, start_char: int, end_char: int) -> tuple[int, int]:
        if unit == "turn":
            turn = self.turns[turn_number]
            return turn.start_char, turn.end_char
        if unit == "exchange":
            return self.exchange_of[turn_number]
        if unit == "paragraph":
            return _enclosing(self._paragraphs(turn_number), start_char, end_char)
        return _enclosing(self.sentences[turn_number], start_char, end_char, self.sentence_starts[turn_number])

    def _paragraphs(self, turn_number: int) -> list[tuple[int, int]]:
        if turn_number not in self.paragraphs:
            turn = self.turns[turn_number]
            self.paragraphs[turn_number] = paragraph_bounds(self.text, turn.start_char, turn.end_char) or [(turn.start_char, turn.end_char)]
        return self.paragraphs[turn_number]


def _enclosing(units: list[tuple[int, int]], start_char: int, end_char: int, starts: list[int] | None = None) -> tuple[int, int]:
    """From the start of the unit holding ``start_char`` to the end of the one holding the last character."""
    starts = starts if starts is not None else [start for start, _ in units]
    first = units[max(bisect_right(starts, start_char) - 1, 0)]
    last = units[max(bisect_right(starts, end_char - 1) - 1, 0)]
    return first[0], max(first[1], last[1])


def pieces(turn: Turn, text: str, longest: int = MAX_PIECE) -> list[Turn]:
    """The turn, or for a turn longer than ``longest`` characters, consecutive pieces of it.

    spaCy refuses a text over a million characters and needs about a gigabyte
    per 100,000 for some components; a turn that long (a file with no labels, a
    monologue) is coded in pieces ending at a line break, else a sentence end,
    else a space. Sentences and matches inside a piece are as in a whole turn;
    only a ``near`` pair split across two pieces is not found.
    """
    if turn.end_char - turn.start_char <= longest:
        return [turn]
    result, start = [], turn.start_char
    while turn.end_char - start > longest:
        window = text[start : start + longest]
        cut = max(window.rfind("\n"), max(window.rfind(mark) for mark in (". ", "? ", "! ")) + 1)
        if cut < longest // 2:
            cut = max(window.rfind(" "), longest // 2)
        result.append(replace(turn, start_char=start, end_char=start + cut))
        start += cut
    return [*result, replace(turn, start_char=start)]

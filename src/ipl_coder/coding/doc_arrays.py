"""Sentences and character offsets of a Doc read from its attribute arrays.

``doc.sents`` and ``doc[i]`` make a Python object per sentence and per token;
over a corpus of interviews that cost more than the tokenizer. The same
numbers come from two ``Doc.to_array`` calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Doc


class TokenOffsets:
    """Each token's first character and the character after it, in the Doc's text."""

    def __init__(self, doc: Doc) -> None:
        from spacy.attrs import IDX, LENGTH

        values = doc.to_array([IDX, LENGTH])
        self.starts: list[int] = values[:, 0].tolist()
        self.ends: list[int] = (values[:, 0] + values[:, 1]).tolist()

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The characters of tokens ``start`` to ``end`` (exclusive), as ``Span.start_char`` and ``Span.end_char``."""
        return self.starts[start], self.ends[end - 1]


def sentence_starts(doc: Doc) -> list[int]:
    """The first token of each sentence, as ``[sentence.start for sentence in doc.sents]``."""
    import numpy
    from spacy.attrs import SENT_START

    if len(doc) == 0:
        return []
    marks = doc.to_array(SENT_START).astype("int64")[1:]  # 1 starts a sentence, -1 does not; the first token always does
    if len(marks) and not marks.any():
        # No marks at all: leave it to spaCy, which derives sentences from a parse or raises for a Doc with none.
        # (Doc.has_annotation would tell, but it makes a Token of every word.)
        return [sentence.start for sentence in doc.sents]
    return [0, *(numpy.flatnonzero(marks == 1) + 1).tolist()]


def sentence_bounds(doc: Doc, offsets: TokenOffsets | None = None) -> list[tuple[int, int, int]]:
    """Each sentence's first token, first character and end character (``Span.start_char``, ``Span.end_char``)."""
    offsets = offsets or TokenOffsets(doc)
    firsts = sentence_starts(doc)
    ends = [*firsts[1:], len(doc)]
    return [(first, offsets.starts[first], offsets.ends[end - 1]) for first, end in zip(firsts, ends, strict=True)]

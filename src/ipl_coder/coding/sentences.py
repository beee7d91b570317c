"""Sentence splitting for the default pipeline: spaCy's sentencizer reading arrays, and the opener fix.

``ArraySentencizer`` is spaCy's ``Sentencizer`` (same settings, same
annotations) with its ``predict`` computed on attribute arrays: spaCy's makes
a Token of every word to read its text, which cost as much as tokenising. The
rule is spaCy's, restated: a sentence starts at a word (neither punctuation
nor a sentence-ending mark) that follows a sentence-ending mark, with only
other punctuation (quotes, brackets) between them. tests/test_matching.py
checks it against spaCy's own on every sample turn.

Imported only where spaCy already is.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy
from spacy.attrs import IS_PUNCT, ORTH, SENT_START
from spacy.pipeline import Sentencizer
from spacy.strings import StringStore
from spacy.tokens import Doc

OPENERS = frozenset("([{\"“‘«")


class ArraySentencizer(Sentencizer):
    _end_hashes: tuple[frozenset[str], frozenset[int]] | None = None

    def predict(self, docs: Iterable[Doc]) -> list[list[bool]]:
        return [self._starts(doc) for doc in docs]

    def _starts(self, doc: Doc) -> list[bool]:
        if len(doc) == 0:
            return []
        marks = frozenset(self.punct_chars)  # settable, as in spaCy's (from_bytes): the hashes follow it
        if self._end_hashes is None or self._end_hashes[0] != marks:  # a string's hash is the same in every vocabulary
            self._end_hashes = (marks, frozenset(doc.vocab.strings.add(mark) for mark in marks))
        ends = self._end_hashes[1]
        values = doc.to_array([ORTH, IS_PUNCT])
        # A set per token, not numpy.isin: isin sorts both arrays, which for a turn's few dozen words costs more.
        is_end = numpy.fromiter((orth in ends for orth in values[:, 0].tolist()), dtype=bool, count=len(doc))
        is_word = (values[:, 1] == 0) & ~is_end
        # For each token, the last token before it that was a word or an end mark: quotes and brackets are skipped.
        seen = numpy.where(is_end | is_word, numpy.arange(len(doc)), -1)
        last_before = numpy.concatenate(([-1], numpy.maximum.accumulate(seen)[:-1]))
        after_end = (last_before >= 0) & is_end[numpy.maximum(last_before, 0)]
        starts = is_word & after_end
        starts[0] = True
        return starts.tolist()


def keep_openers_with_next_sentence(doc: Doc) -> Doc:
    """Move a sentence start back onto an opening bracket or quote before it.

    The sentencizer ends "...budget cuts. (laughs) The one..." after "(", so the
    next sentence would start "laughs)". Transcripts are full of such asides.
    """
    if len(doc) < 2:
        return doc
    values = doc.to_array([ORTH, SENT_START])
    starts = values[:, 1].astype("int64")  # 1, 0 or -1
    # Only the tokens before a sentence start can be misplaced openers: a few per turn, looked at one by one.
    before_starts = (numpy.flatnonzero(starts[1:] == 1)).tolist()
    if not before_starts:
        return doc
    openers = _opener_hashes(doc.vocab.strings)
    orths, marks = values[:, 0].tolist(), starts.tolist()
    for index in (index for index in before_starts if orths[index] in openers and marks[index] != 1):
        doc[index].is_sent_start = True
        doc[index + 1].is_sent_start = False
    return doc


_OPENER_HASHES: frozenset[int] = frozenset()


def _opener_hashes(strings: StringStore) -> frozenset[int]:
    """The openers' hashes, the same in every vocabulary: looked up once, not per turn."""
    global _OPENER_HASHES
    if not _OPENER_HASHES:
        _OPENER_HASHES = frozenset(strings.add(opener) for opener in OPENERS)
    return _OPENER_HASHES

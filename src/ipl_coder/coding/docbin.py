"""The cache's DocBin for the default pipeline: its own attributes only, their strings read off the arrays.

The default pipeline (a blank tokenizer, the sentencizer, the opener fix and
the simplemma lemmatizer) sets ORTH, NORM, LEMMA and sentence starts; the rest
of a token (LOWER, IS_PUNCT, ...) comes from its ORTH. Storing only those makes
an entry a third smaller and three times faster to read. And spaCy's
``DocBin.add`` reads nine strings off a Token per word, whatever the
attributes, which over a corpus cost more than the lemmatizer: here the strings
are those of the distinct ORTH, NORM and LEMMA values, the same set.
Imported only where spaCy already is.
"""

from __future__ import annotations

import numpy
from spacy.attrs import LEMMA, NORM, ORTH, SPACY
from spacy.tokens import Doc, DocBin

DEFAULT_ATTRS = ("ORTH", "NORM", "LEMMA", "SENT_START")
_STRING_ATTRS = (ORTH, NORM, LEMMA)  # SENT_START holds no string


class DefaultDocBin(DocBin):
    def __init__(self) -> None:
        super().__init__(attrs=DEFAULT_ATTRS, store_user_data=False)
        self._attr_ids: list[int | str] = list(self.attrs)  # attribute ids, ORTH first
        self._string_columns = [index for index, attr in enumerate(self._attr_ids) if attr in _STRING_ATTRS]

    def add(self, doc: Doc) -> None:
        if len(doc.spans) or doc.cats or doc.user_data:
            super().add(doc)  # not the plain Doc this is for: spaCy's own way
            return
        array = doc.to_array(self._attr_ids).reshape((len(doc), len(self._attr_ids)))
        self.tokens.append(array)
        self.spaces.append(numpy.asarray(doc.to_array(SPACY), dtype=bool).reshape((len(doc), 1)))
        self.flags.append({"has_unknown_spaces": doc.has_unknown_spaces})
        strings = doc.vocab.strings
        for value in numpy.unique(array[:, self._string_columns]).tolist():
            self.strings.add(strings[value])
        self.cats.append({})
        self.span_groups.append(doc.spans.to_bytes())

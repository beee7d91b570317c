"""How the lemmatizer reads the short forms spaCy's tokenizer splits off a word: "didn't" is "did" + "n't".

The lemmatizer lemmatises each token's NORM, which spaCy's tokenizer exceptions
set for these forms, straight or curly apostrophe alike: "n't" is "not", "'m"
"am", "'re" "are", "'ve" "have", "'ll" "will", and the host of "can't", "won't",
"shan't" is "can", "will", "shall". ``CLITIC_LEMMAS`` says the same for a
pipeline whose tokenizer sets no NORM. Two forms are ambiguous, and are read by
their neighbours here, in rules a researcher can predict (docs/codebook.md):

* "'s" is ``be`` after a word that never takes a possessive 's ("it's", "that's",
  "there's": ``BE_BEFORE_S``); after any other word it stays "'s", a possessive
  ("John's", "the team's"). "he's been" reads as "he is been": ``be``, not ``have``.
* "'d" is ``have`` (had) right before an inflected word, one whose lemma is not
  itself ("I'd been", "she'd asked", "you'd better", "I'd friends there"), and
  ``would`` otherwise ("I'd say", "we'd go", "I'd never been").

Norwegian and Swedish have no such split forms in spaCy's tokenizers (the
Norwegian "e'kke" stays one word), so only English has rules here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.strings import StringStore

APOSTROPHES = str.maketrans({"’": "'", "‘": "'"})  # curly ones, and a left quote typed for an apostrophe
POSSESSIVE_OR_IS, HAD_OR_WOULD = "'s", "'d"
CLITIC_LEMMAS = {
    "en": {"n't": "not", "'m": "be", "'re": "be", "'ve": "have", "'ll": "will", HAD_OR_WOULD: "would", POSSESSIVE_OR_IS: "'s"},
}
BE_BEFORE_S = {
    "en": frozenset({"it", "he", "she", "that", "this", "there", "here", "what", "who", "where", "when", "why", "how",
                     "everything", "something", "nothing"}),
}  # fmt: skip


def straight(form: str) -> str:
    """``form`` with every apostrophe straight, so "don’t" and "don't" read alike."""
    return form.translate(APOSTROPHES)


def apostrophe_forms(term: str) -> list[str]:
    """``term`` as written, with every apostrophe straight, and with every one curly: transcripts have either."""
    return list(dict.fromkeys((term, straight(term), straight(term).replace("'", "’"))))


def is_clitic(form: str, language: str) -> bool:
    """Whether the lemmatizer reads ``form`` (a token's lower-case text) by the rules above, not by the dictionary."""
    return straight(form) in CLITIC_LEMMAS.get(language, {})


class AmbiguousClitics:
    """Reads "'s" and "'d" by their neighbours, in place, on a Doc's arrays of NORM and LEMMA hashes."""

    def __init__(self, language: str, strings: StringStore) -> None:
        self.strings = strings
        self.s, self.d = strings.add(POSSESSIVE_OR_IS), strings.add(HAD_OR_WOULD)
        self.be, self.have, self.would = strings.add("be"), strings.add("have"), strings.add("would")
        self.be_hosts = {strings.add(word) for word in BE_BEFORE_S.get(language, ())}

    def read(self, norms: list[int], lemmas: list[int]) -> None:
        if self.s not in norms and self.d not in norms:  # a scan in C: most pieces have neither
            return
        for index, norm in enumerate(norms):
            if norm == self.s:
                if index and norms[index - 1] in self.be_hosts:
                    lemmas[index] = self.be
            elif norm == self.d:
                after = index + 1
                inflected = (after < len(norms) and lemmas[after] != norms[after]
                             and self.strings[norms[after]].isalpha())  # fmt: skip
                lemmas[index] = self.have if inflected else self.would

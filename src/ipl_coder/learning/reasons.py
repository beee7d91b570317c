"""Why the learned model suggests a passage, in terms a researcher can check.

Two things per suggestion:

* **the words that weighed most**: the unit's words with the largest weight
  for the code in the model (each component is linear in its tokens: a
  token's weight is the log-odds it adds on its own, see
  :meth:`LearnedModel.word_weights`); where the unit's context made the
  suggestion, the rules' codes around it come first, in words ("rules: boundary
  on the sentence before");
* **the most similar accepted passages**: the passages people gave the code
  that share most words with it (cosine of word counts weighted by how rare a
  word is among the accepted passages), found through an inverted index.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy

from ipl_coder.learning.context import describe, is_context
from ipl_coder.learning.model import CONTEXT, KnownPassage, LearnedModel
from ipl_coder.store import SimilarPassage

WORDS_SHOWN = 5
SIMILAR_SHOWN = 3
WORD = re.compile(r"\w+")


def _bag(text: str) -> Counter[str]:
    return Counter(word for word in WORD.findall(text.casefold()) if not word.isdigit())


class SimilarPassages:
    """The accepted passages of each code, indexed by word, for finding those most like a new one."""

    def __init__(self, known: Sequence[KnownPassage]) -> None:
        self.known = known
        bags = [_bag(item.text) for item in known]
        documents = Counter(word for bag in bags for word in bag)
        self.idf = {word: math.log((1 + len(bags)) / (1 + number)) + 1 for word, number in documents.items()}
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        norms = numpy.zeros(len(bags), dtype="f8")
        for index, bag in enumerate(bags):
            weights = {word: count * self.idf[word] for word, count in bag.items()}
            norms[index] = math.sqrt(sum(weight * weight for weight in weights.values())) or 1.0
            for word, weight in weights.items():
                postings[word].append((index, weight))
        self.norms = norms
        self.postings = {word: (numpy.array([i for i, _ in items]), numpy.array([w for _, w in items])) for word, items in postings.items()}
        self.codes = [set(item.codes) for item in known]

    def most_similar(self, text: str, code_id: str, shown: int = SIMILAR_SHOWN) -> tuple[SimilarPassage, ...]:
        query = {word: count * self.idf[word] for word, count in _bag(text).items() if word in self.idf}
        if not query:
            return ()
        norm = math.sqrt(sum(weight * weight for weight in query.values()))
        indexes = numpy.concatenate([self.postings[word][0] for word in query])
        products = numpy.concatenate([self.postings[word][1] * weight for word, weight in query.items()])
        scores = numpy.bincount(indexes, weights=products, minlength=len(self.known)) / (self.norms * norm)
        found: list[SimilarPassage] = []
        for index in numpy.argsort(-scores, kind="stable"):
            if scores[index] <= 0 or len(found) == shown:
                break
            item = self.known[int(index)]
            if code_id in self.codes[int(index)] and item.text.strip() != text.strip():
                found.append(SimilarPassage(item.transcript, item.text, float(scores[index])))
        return tuple(found)


def weighed_words(model: LearnedModel, words: Sequence[str], code_id: str, shown: int = WORDS_SHOWN) -> tuple[tuple[str, float], ...]:
    """The words of a unit that raise the code's score most, each with its weight (log-odds) in the model."""
    weights = model.word_weights([word for word in words if WORD.search(word)])
    raising = [(word, weight[code_id]) for word, weight in weights.items() if weight[code_id] > 0.05]
    return tuple(sorted(raising, key=lambda item: (-item[1], item[0]))[:shown])


def weighed_context(model: LearnedModel, tokens: Sequence[str], code_id: str, shown: int = WORDS_SHOWN) -> tuple[tuple[str, float], ...]:
    """The context tokens of a unit that raise the code's score most, described, each with its weight (log-odds)."""
    weights = model.word_weights([token for token in tokens if is_context(token)], CONTEXT)
    raising = [(token, weight[code_id]) for token, weight in weights.items() if weight[code_id] > 0.05]
    return tuple((describe(token), weight) for token, weight in sorted(raising, key=lambda item: (-item[1], item[0]))[:shown])

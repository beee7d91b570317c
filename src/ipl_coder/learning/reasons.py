"""Why the learned model suggests a passage, in terms a researcher can check.

Two things per suggestion:

* **the words that weighed most**: each distinct word of the unit is taken out
  in turn and the unit scored again; a word's weight is how much the score
  drops without it (occlusion). The classifier is linear in its words and word
  pairs, so this is close to the words' own weights, pairs included;
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

from ipl_coder.learning.model import KnownPassage, LearnedModel
from ipl_coder.store import ModelReason, SimilarPassage

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


def weigh_words(model: LearnedModel, texts: Sequence[str], code_ids: Sequence[str],
                scores: Sequence[float]) -> list[tuple[tuple[str, float], ...]]:  # fmt: skip
    """For each text, its words that raised the code's score most, with how much the score drops without each."""
    jobs: list[tuple[int, str]] = []
    variants: list[list[str]] = []
    for position, text in enumerate(texts):
        words = model.words(text)
        for word in dict.fromkeys(word for word in words if WORD.search(word)):
            jobs.append((position, word))
            variants.append([other for other in words if other != word])
    weights: list[list[tuple[str, float]]] = [[] for _ in texts]
    for (position, word), result in zip(jobs, model.scores_of_words(variants), strict=True):
        drop = scores[position] - result[code_ids[position]]
        if drop > 0.005:
            weights[position].append((word, drop))
    return [tuple(sorted(found, key=lambda item: -item[1])[:WORDS_SHOWN]) for found in weights]


def reasons(model: LearnedModel, model_id: int, similar: SimilarPassages, texts: Sequence[str], code_ids: Sequence[str],
            scores: Sequence[float]) -> list[ModelReason]:  # fmt: skip
    """The reason for each suggestion (a unit's text, its code, its score)."""
    words = weigh_words(model, texts, code_ids, scores)
    return [ModelReason(model_id, words[index], similar.most_similar(text, code_ids[index]))
            for index, text in enumerate(texts)]  # fmt: skip

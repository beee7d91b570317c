"""The learned model: spaCy's own multi-label text classifiers, and when each may suggest a code.

Two ``textcat_multilabel`` components with spaCy's bag-of-words architecture
(``spacy.TextCatBOW.v3``), on the CPU, needing no vectors and downloading
nothing: ``textcat_multilabel`` reads the unit's words and pairs of words,
``context`` the codes the rules suggested on and around it (see
:mod:`ipl_coder.learning.context`). Each is a linear model per code. Kept
apart, the few context tokens are not drowned by the many words, and each
is judged on its own: a code is suggested by a component only from the score
that cross-validation on the team's decisions found precise enough (its
:class:`Calibration`, see :mod:`ipl_coder.learning.training`).

The model is saved in PROJECT/learned/ (spaCy's own format) with
``passages.json``: the calibration, and the accepted passages each code
learned from, which the reasons quote.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ipl_coder.errors import ProjectError
from ipl_coder.files import atomic_file

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import TrainablePipe
    from spacy.tokens import Doc

MODEL_FOLDER = "learned"
PIPELINE_FOLDER = "pipeline"
PASSAGES_FILE = "passages.json"
WORDS = "textcat_multilabel"  # reads the unit's words
CONTEXT = "context"  # reads the rules' codes on and around the unit
COMPONENTS = (WORDS, CONTEXT)
BOW = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False,
       "length": 2**16}  # fmt: skip
# How often, in cross-validation on the team's decisions, a code's suggestions must have been right. Chosen on the
# gold set's tuning half (benchmarks/learn_bench.py); see docs/learning.md.
PRECISION = 0.6


@dataclass(frozen=True)
class Calibration:
    """From which score a component suggests a code, and how its suggestions fared in cross-validation there."""

    min_score: float | None  # None: the component does not suggest the code (too few of its suggestions were right)
    tried: int  # held-out units it would have suggested the code for, from min_score (or where it did best)
    right: int  # of those, the units people gave the code

    @property
    def precision(self) -> float:
        return self.right / self.tried if self.tried else 0.0


@dataclass(frozen=True)
class KnownPassage:
    """An accepted passage the model learned from, quoted in reasons."""

    text: str
    transcript: str  # "" for a codebook example
    codes: tuple[str, ...]


def model_folder(project_dir: Path) -> Path:
    return project_dir / MODEL_FOLDER


def features_text(text: str) -> str:
    """What the words component reads: the words, lower-case, on one line."""
    return " ".join(text.split()).lower()


class LearnedModel:
    """The trained components, their codes, when each suggests a code, and the accepted passages they learned from."""

    def __init__(self, nlp: Language, codes: Sequence[str], precision: float, calibration: dict[str, dict[str, Calibration]],
                 known: Sequence[KnownPassage], model_id: int | None = None,
                 parents: dict[str, str | None] | None = None) -> None:  # fmt: skip
        self.nlp = nlp
        self.model_id = model_id  # as the store recorded it; None before it is recorded, or for a folder from before ids
        # Each code's parent in the codebook it learned from: a passage given a code counts for the codes above it, and
        # a rule's code for the codes above it in the context. None before it is saved, or for a folder from before.
        self.parents = parents
        self.codes = tuple(codes)
        self.precision = precision
        self.calibration = calibration
        self.known = tuple(known)
        self._weights: dict[str, dict[str, dict[str, float]]] = {component: {} for component in COMPONENTS}
        self._context_scores: dict[tuple[str, ...], dict[str, float]] = {}

    def min_score(self, component: str, code: str) -> float | None:
        found = self.calibration.get(component, {}).get(code)
        return found.min_score if found else None

    def reaches(self, component: str, code: str, score: float) -> bool:
        """Whether the component's score suggests the code: it is at least the one calibrated for it."""
        min_score = self.min_score(component, code)
        return min_score is not None and score >= min_score

    def suggested_codes(self) -> list[str]:
        """The codes some component suggests."""
        return [code for code in self.codes if any(self.min_score(component, code) is not None for component in COMPONENTS)]

    def scores(self, texts: Sequence[str]) -> list[tuple[dict[str, float], Doc]]:
        """Each text's words score per code (0 to 1), and the Doc the words component read (for its words)."""
        docs = [self.nlp.make_doc(features_text(text)) for text in texts]
        return list(zip(self._predict(WORDS, docs), docs, strict=True))

    def context_scores(self, contexts: Sequence[Sequence[str]]) -> list[dict[str, float]]:
        """Each unit's context score per code (0 to 1), from its context tokens.

        Most units share their context with many others (most have none), so
        each distinct context is scored once a run.
        """
        from spacy.tokens import Doc

        new = list(dict.fromkeys(tuple(tokens) for tokens in contexts if tuple(tokens) not in self._context_scores))
        if new:
            scored = self._predict(CONTEXT, [Doc(self.nlp.vocab, words=list(tokens)) for tokens in new])
            self._context_scores.update(zip(new, scored, strict=True))
        return [self._context_scores[tuple(tokens)] for tokens in contexts]

    def _predict(self, component: str, docs: Sequence[Doc]) -> list[dict[str, float]]:
        """The component's scores, without writing them into each Doc (which took a tenth of a run)."""
        textcat = self._component(component)
        if not docs:
            return []
        table = textcat.predict(list(docs))
        labels = list(textcat.labels)
        columns = [labels.index(code) for code in self.codes]
        return [{code: float(row[column]) for code, column in zip(self.codes, columns, strict=True)} for row in table.tolist()]

    def word_weights(self, words: Sequence[str], component: str = WORDS) -> dict[str, dict[str, float]]:
        """Each word's own weight per code: the log-odds of the word alone against those of no word at all.

        A component is linear in its words and word pairs, so this is the
        word's weight in it (its pairs with neighbours aside). Kept per word, so
        a run weighs each word once.
        """
        from spacy.tokens import Doc

        known = self._weights[component]
        new = [word for word in dict.fromkeys(words) if word not in known]
        if new:
            textcat = self._component(component)
            nothing = self._bias(textcat)
            docs = [Doc(self.nlp.vocab, words=[word]) for word in new]
            for word, doc in zip(new, textcat.pipe(docs), strict=True):
                known[word] = {code: _log_odds(doc.cats[code]) - nothing[code] for code in self.codes}
        return {word: known[word] for word in words}

    @staticmethod
    def _bias(textcat: TrainablePipe) -> dict[str, float]:
        """Each code's log-odds with no word at all: the linear layer's bias (spaCy scores an empty Doc 0, not this)."""
        linear = next(layer for layer in textcat.model.walk() if layer.has_param("b"))
        return {code: float(value) for code, value in zip(textcat.labels, linear.get_param("b"), strict=True)}

    def _component(self, name: str) -> TrainablePipe:
        return cast("TrainablePipe", self.nlp.get_pipe(name))

    def save(self, folder: Path, model_id: int, parents: dict[str, str | None]) -> None:
        """Into ``folder``, under the id the store recorded it with (a folder that is not the store's last is refused),
        with the parent of each code of the codebook it learned from (``parents``)."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.nlp.to_disk(folder / PIPELINE_FOLDER)
        calibration = {component: {code: asdict(item) for code, item in codes.items()} for component, codes in self.calibration.items()}
        with atomic_file(folder / PASSAGES_FILE, encoding="utf-8") as handle:
            json.dump({"model_id": model_id, "codes": list(self.codes), "parents": parents, "precision": self.precision,
                       "calibration": calibration,
                       "passages": [{"text": item.text, "transcript": item.transcript, "codes": list(item.codes)}
                                    for item in self.known]}, handle, ensure_ascii=False)  # fmt: skip

    @classmethod
    def load(cls, folder: Path) -> LearnedModel:
        import spacy

        try:
            nlp = spacy.load(folder / PIPELINE_FOLDER)
            values: dict[str, Any] = json.loads((folder / PASSAGES_FILE).read_text(encoding="utf-8"))
            known = [KnownPassage(item["text"], item["transcript"], tuple(item["codes"])) for item in values["passages"]]
            calibration = {component: {code: Calibration(**item) for code, item in codes.items()}
                           for component, codes in values["calibration"].items()}  # fmt: skip
            codes, precision = [str(code) for code in values["codes"]], float(values["precision"])
            model_id = None if values.get("model_id") is None else int(values["model_id"])
            parents = None if values.get("parents") is None else {str(code): None if parent is None else str(parent)
                                                                  for code, parent in values["parents"].items()}  # fmt: skip
            if not set(COMPONENTS) <= set(nlp.pipe_names):
                raise ValueError("it was made by an earlier ipl-coder")
            # Scoring looks each code up among the components' labels: passages.json and the pipeline must be one model's.
            labels = [set(cast("TrainablePipe", nlp.get_pipe(name)).labels) for name in COMPONENTS]
            if missing := [code for code in codes if any(code not in known_labels for known_labels in labels)]:
                raise ValueError(f"{PASSAGES_FILE} names code '{missing[0]}', which its pipeline has not learned")
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            reason = " ".join(str(error).split())  # spaCy's config errors run over several lines
            raise ProjectError(f"{folder}: the learned model cannot be read ({reason}); run 'ipl-coder learn' again") from None
        return cls(nlp, codes, precision, calibration, known, model_id, parents)


def _log_odds(probability: float) -> float:
    probability = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(probability / (1 - probability))

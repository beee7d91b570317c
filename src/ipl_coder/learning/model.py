"""The learned model: spaCy's own multi-label text classifier over the words of each unit.

It is ``textcat_multilabel`` with spaCy's bag-of-words architecture
(``spacy.TextCatBOW.v3``): one linear model per code over the unit's words and
pairs of words, on the CPU, needing no vectors and downloading nothing. A code
a unit is unknown for (see :mod:`ipl_coder.learning.passages`) is left out of
that unit's loss, so each code learns only from what people settled for it.
Training is seeded, so the same decisions give the same model.

The model is saved in PROJECT/learned/ (spaCy's own format) with
``passages.json``: the accepted passages each code learned from, which the
reasons quote.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ipl_coder.errors import ProjectError
from ipl_coder.files import atomic_file
from ipl_coder.learning.passages import Passage

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import TrainablePipe
    from spacy.tokens import Doc

MODEL_FOLDER = "learned"
PIPELINE_FOLDER = "pipeline"
PASSAGES_FILE = "passages.json"
TEXTCAT = "textcat_multilabel"
BOW = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False, "ngram_size": 2, "no_output_layer": False,
       "length": 2**16}  # fmt: skip
# Chosen on the gold set's tuning half (benchmarks/learn_bench.py); see docs/learning.md.
EPOCHS = 20
# Batches grow with the project, so that training takes the same number of steps on a few dozen passages (enough
# for the weights to move) as on tens of thousands (fast: each step updates every weight).
STEPS_PER_EPOCH = 16
LEARN_RATE = 0.01
THRESHOLD = 0.7


@dataclass(frozen=True)
class KnownPassage:
    """An accepted passage the model learned from, quoted in reasons."""

    text: str
    transcript: str  # "" for a codebook example
    codes: tuple[str, ...]


def model_folder(project_dir: Path) -> Path:
    return project_dir / MODEL_FOLDER


def features_text(text: str) -> str:
    """What the classifier reads: the words, lower-case, on one line."""
    return " ".join(text.split()).lower()


class LearnedModel:
    """A trained classifier, its codes, its threshold, and the accepted passages it learned from."""

    def __init__(self, nlp: Language, codes: Sequence[str], threshold: float, known: Sequence[KnownPassage]) -> None:
        self.nlp = nlp
        self.codes = tuple(codes)
        self.threshold = threshold
        self.known = tuple(known)
        self._weights: dict[str, dict[str, float]] = {}
        self._nothing: dict[str, float] | None = None

    def scores(self, texts: Sequence[str]) -> list[tuple[dict[str, float], Doc]]:
        """Each text's score per code (0 to 1), and the Doc the classifier read (for its words)."""
        docs = self.nlp.pipe(features_text(text) for text in texts)
        return [({code: float(doc.cats.get(code, 0.0)) for code in self.codes}, doc) for doc in docs]

    def word_weights(self, words: Sequence[str]) -> dict[str, dict[str, float]]:
        """Each word's own weight per code: the log-odds of the word alone against those of no word at all.

        The classifier is linear in its words and word pairs, so this is the
        word's weight in it (its pairs with neighbours aside). Kept per word, so
        a run weighs each word once.
        """
        from spacy.tokens import Doc

        new = [word for word in dict.fromkeys(words) if word not in self._weights]
        if new:
            textcat = cast("TrainablePipe", self.nlp.get_pipe(TEXTCAT))
            docs = [Doc(self.nlp.vocab, words=[word]) for word in new]
            if self._nothing is None:
                self._nothing = textcat(Doc(self.nlp.vocab, words=[])).cats
            for word, doc in zip(new, textcat.pipe(docs), strict=True):
                self._weights[word] = {code: _log_odds(doc.cats[code]) - _log_odds(self._nothing[code]) for code in self.codes}
        return {word: self._weights[word] for word in words}

    def save(self, folder: Path) -> None:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.nlp.to_disk(folder / PIPELINE_FOLDER)
        with atomic_file(folder / PASSAGES_FILE, encoding="utf-8") as handle:
            json.dump({"codes": list(self.codes), "threshold": self.threshold,
                       "passages": [{"text": item.text, "transcript": item.transcript, "codes": list(item.codes)}
                                    for item in self.known]}, handle, ensure_ascii=False)  # fmt: skip

    @classmethod
    def load(cls, folder: Path) -> LearnedModel:
        import spacy

        try:
            nlp = spacy.load(folder / PIPELINE_FOLDER)
            values: dict[str, Any] = json.loads((folder / PASSAGES_FILE).read_text(encoding="utf-8"))
            known = [KnownPassage(item["text"], item["transcript"], tuple(item["codes"])) for item in values["passages"]]
        except (OSError, ValueError, KeyError) as error:
            raise ProjectError(f"{folder}: the learned model cannot be read ({error}); run 'ipl-coder learn' again") from None
        return cls(nlp, values["codes"], float(values["threshold"]), known)


def _log_odds(probability: float) -> float:
    probability = min(max(probability, 1e-6), 1 - 1e-6)
    return math.log(probability / (1 - probability))


def train_model(passages: Sequence[Passage], codes: Sequence[str], language: str, seed: int,
                threshold: float = THRESHOLD, epochs: int = EPOCHS) -> LearnedModel:  # fmt: skip
    """Train the classifier on ``passages`` for ``codes``: seeded, so the same passages give the same model."""
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch, registry

    fix_random_seed(seed)
    try:
        nlp = spacy.blank(language)
    except ImportError:
        nlp = spacy.blank("xx")
    textcat = nlp.add_pipe(TEXTCAT, config={"model": BOW})
    for code in codes:
        textcat.add_label(code)  # type: ignore[attr-defined]
    wanted = set(codes)
    examples = []
    for passage in passages:
        cats = {code: float(value) for code, value in passage.labels.items() if code in wanted}
        if cats:
            examples.append(Example.from_dict(nlp.make_doc(features_text(passage.text)), {"cats": cats}))
    nlp.initialize(lambda: examples)
    # spaCy's Adam (thinc's, through spaCy's registry), without the parameter averages we would not use.
    optimizer = registry.get("optimizers", "Adam.v1")(learn_rate=LEARN_RATE, use_averages=False)
    order = random.Random(seed)
    for _ in range(epochs):
        order.shuffle(examples)
        for batch in minibatch(examples, size=max(4, math.ceil(len(examples) / STEPS_PER_EPOCH))):
            textcat.update(batch, sgd=optimizer)  # type: ignore[attr-defined]  # not nlp.update: it copies every Doc each step
    known = [KnownPassage(passage.text, passage.transcript, tuple(sorted(code for code, value in passage.labels.items()
                                                                          if value and code in wanted)))
             for passage in passages if any(value and code in wanted for code, value in passage.labels.items())]  # fmt: skip
    return LearnedModel(nlp, codes, threshold, known)

"""Training the learned model, and finding from which score each of its components may suggest a code.

Both components learn, for each code, from the units whose code people
settled and where no rule suggests it (:meth:`Passage.learns`): the units the
model will be asked about. The words component learns from the codebook's
examples too; the context component only from transcripts, where there is
context. Training is seeded, so the same decisions give the same model.

When to suggest is found by cross-validation: the reviewed transcripts are
split in two (every other transcript; its first and second half of turns when
there is only one), a model is trained on each
half and scores the other, and for each code and component the lowest score
is kept (halfway to the next held-out score) whose held-out suggestions were right often enough: at least
:data:`MIN_RIGHT` of them, and a share of at least the precision asked for,
counted as if one more had been wrong (so that 3 right of 3 is 0.75, not 1).
A component that never gets there does not suggest the code, and ``learn``
says so.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

import numpy

from ipl_coder.learning.model import BOW, COMPONENTS, CONTEXT, WORDS, Calibration, KnownPassage, LearnedModel, features_text
from ipl_coder.learning.passages import Passage

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import TrainablePipe

# Chosen on the gold set's tuning half (benchmarks/learn_bench.py); see docs/learning.md.
EPOCHS = 20
# Batches grow with the project, so that training takes the same number of steps on a few dozen passages (enough
# for the weights to move) as on tens of thousands (fast: each step updates every weight).
STEPS_PER_EPOCH = 16
LEARN_RATE = 0.01
FOLDS = 2
MIN_RIGHT = 5  # held-out suggestions of a code that must have been right before a component may suggest it


def train_model(passages: Sequence[Passage], codes: Sequence[str], language: str, seed: int, precision: float,
                epochs: int = EPOCHS) -> LearnedModel:  # fmt: skip
    """Train both components on ``passages`` for ``codes``, and calibrate them by cross-validation."""
    nlp = _blank(language)
    material = _Material(nlp, passages, codes)
    calibration = calibrate(material, seed, precision, epochs)
    fit(nlp, material, range(len(passages)), seed, epochs)
    wanted = set(codes)
    known = [KnownPassage(passage.text, passage.transcript, tuple(sorted(code for code, value in passage.labels.items()
                                                                          if value and code in wanted)))
             for passage in passages if any(value and code in wanted for code, value in passage.labels.items())]  # fmt: skip
    return LearnedModel(nlp, codes, precision, calibration, known)


class _Material:
    """The passages as each component reads them: a Doc each, and per code what it teaches (truth) and whether (known)."""

    def __init__(self, nlp: Language, passages: Sequence[Passage], codes: Sequence[str]) -> None:
        from spacy.tokens import Doc

        self.passages, self.codes, self.vocab = passages, list(codes), nlp.vocab
        self.docs = {WORDS: [nlp.make_doc(features_text(passage.text)) for passage in passages],
                     CONTEXT: [Doc(nlp.vocab, words=list(passage.context)) for passage in passages]}  # fmt: skip
        learns = [[passage.learns(code) for code in codes] for passage in passages]
        truth = numpy.array([[float(value or 0) for value in row] for row in learns], dtype="f").reshape(len(passages), len(codes))
        known = numpy.array([[float(value is not None) for value in row] for row in learns], dtype="f").reshape(truth.shape)
        # The context component learns from transcripts only: a codebook example has no context.
        in_transcript = numpy.array([[float(bool(passage.transcript))] for passage in passages], dtype="f").reshape(len(passages), 1)
        self.truth = {WORDS: truth, CONTEXT: truth}
        self.known = {WORDS: known, CONTEXT: known * in_transcript}

    def rows(self, component: str, chosen: Iterable[int]) -> list[int]:
        """The chosen passages that teach the component something (an empty Doc teaches nothing, and spaCy fails on it)."""
        return [index for index in chosen if self.known[component][index].any() and len(self.docs[component][index])]

    def distinct(self, component: str, rows: Sequence[int]) -> tuple[list[int], numpy.ndarray]:
        """One row for each distinct Doc and labels among ``rows``, and how many rows each stands for.

        Many sentences have the same context (most have none) and teach the
        same: learning from each once, weighed by their number, is the same
        loss at a tenth of the time.
        """
        position: dict[tuple[tuple[str, ...], bytes, bytes], int] = {}
        kept: list[int] = []
        weight: list[float] = []
        for index in rows:
            key = (tuple(token.text for token in self.docs[component][index]), self.truth[component][index].tobytes(),
                   self.known[component][index].tobytes())  # fmt: skip
            if key in position:
                weight[position[key]] += 1
            else:
                position[key] = len(kept)
                kept.append(index)
                weight.append(1.0)
        return kept, numpy.array(weight, dtype="f")


def _blank(language: str) -> Language:
    import spacy

    try:
        nlp = spacy.blank(language)
    except ImportError:
        nlp = spacy.blank("xx")
    for name in COMPONENTS:
        nlp.add_pipe("textcat_multilabel", name=name, config={"model": BOW})
    return nlp


def fit(nlp: Language, material: _Material, chosen: Iterable[int], seed: int, epochs: int = EPOCHS) -> None:
    """Train both components of ``nlp`` on the ``chosen`` passages: seeded, so the same passages give the same weights."""
    from spacy.training import Example
    from spacy.util import fix_random_seed, registry

    fix_random_seed(seed)
    chosen = list(chosen)
    # spaCy's Adam (thinc's, through spaCy's registry), without the parameter averages we would not use.
    optimizer = registry.get("optimizers", "Adam.v1")(learn_rate=LEARN_RATE, use_averages=False)
    order = random.Random(seed)
    for name in COMPONENTS:
        component = cast("TrainablePipe", nlp.get_pipe(name))
        for code in material.codes:
            component.add_label(code)
        sample = [Example.from_dict(nlp.make_doc("sample"), {"cats": dict.fromkeys(material.codes, 0.0)})]
        component.initialize(lambda sample=sample: sample, nlp=nlp)  # sets up the shapes only
        rows, weights = material.distinct(name, material.rows(name, chosen))
        docs, truth = material.docs[name], material.truth[name]
        number = numpy.zeros((len(docs), 1), dtype="f")
        number[rows, 0] = weights
        known = material.known[name] * number  # the loss each passage's codes take part in, weighed by its number
        places = list(range(len(rows)))
        for _ in range(epochs if rows else 0):
            order.shuffle(places)
            size = max(4, math.ceil(len(rows) / STEPS_PER_EPOCH))
            for batch in ([rows[place] for place in places[start : start + size]] for start in range(0, len(rows), size)):
                # TextCategorizer.update's own loss (squared error, codes a passage does not teach left out), each
                # distinct passage weighed by its number, without building the truth anew from Examples at every step.
                scores, backprop = component.model.begin_update([docs[index] for index in batch])
                backprop((scores - truth[batch]) * known[batch])
                component.finish_update(optimizer)


def calibrate(material: _Material, seed: int, precision: float, epochs: int = EPOCHS) -> dict[str, dict[str, Calibration]]:
    """Per component and code: from which score it may suggest the code, found by cross-validation (see the module)."""
    folds = _folds(material.passages)
    held_out: dict[str, dict[str, list[tuple[float, bool]]]] = {name: {code: [] for code in material.codes} for name in COMPONENTS}
    for fold in range(FOLDS):
        tested = [index for index, where in enumerate(folds) if where == fold]
        if not tested:
            continue
        nlp = _blank(material.vocab.lang)
        fit(nlp, material, (index for index, where in enumerate(folds) if where != fold), seed, epochs)
        for name in COMPONENTS:
            rows = material.rows(name, tested)
            if not rows:
                continue
            textcat = cast("TrainablePipe", nlp.get_pipe(name))
            scores = textcat.predict([material.docs[name][index] for index in rows])  # columns: the codes, in order
            for row, index in enumerate(rows):
                for column, code in enumerate(material.codes):
                    if material.known[name][index, column]:
                        held_out[name][code].append((float(scores[row, column]), bool(material.truth[name][index, column])))
    return {name: {code: choose(held_out[name][code], precision) for code in material.codes} for name in COMPONENTS}


def _folds(passages: Sequence[Passage]) -> list[int | None]:
    """Each passage's fold: by transcript when two or more were reviewed, else by turns; None for the codebook's examples."""
    names = sorted({passage.transcript for passage in passages if passage.transcript})
    if len(names) >= FOLDS:
        rank = {name: index for index, name in enumerate(names)}
        return [rank[passage.transcript] % FOLDS if passage.transcript else None for passage in passages]
    # One transcript: its first half of turns and its second (not every other turn: a story runs over several).
    turns = sorted({passage.turn_number for passage in passages if passage.transcript})
    fold = {turn: index * FOLDS // len(turns) for index, turn in enumerate(turns)}
    return [fold[passage.turn_number] if passage.transcript else None for passage in passages]


def choose(held_out: Sequence[tuple[float, bool]], precision: float) -> Calibration:
    """The lowest score whose held-out suggestions were right often enough; else, with no score, where they did best."""
    ranked = sorted(held_out, key=lambda item: -item[0])
    chosen: Calibration | None = None
    best = Calibration(None, 0, 0)
    tried = right = 0
    for index, (score, value) in enumerate(ranked):
        tried, right = tried + 1, right + value
        if index + 1 < len(ranked) and ranked[index + 1][0] == score:
            continue  # units with the same score are suggested together
        share = right / (tried + 1)  # as if one more had been wrong
        if right >= MIN_RIGHT and share >= precision:
            # Any score down to the next held-out one splits them alike; halfway leaves the trained model most room.
            below = ranked[index + 1][0] if index + 1 < len(ranked) else score
            chosen = Calibration(round((score + below) / 2, 6), tried, right)
        if right and share > best.right / (best.tried + 1):
            best = Calibration(None, tried, right)
    return chosen or best

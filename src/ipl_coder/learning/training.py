"""Training the learned model, and finding from which score each of its components may suggest a code.

Both components learn, for each code, from the units whose code people
settled and where no rule suggests it (:meth:`Passage.learns`): the units the
model will be asked about. The words component learns from the codebook's
examples too; the context component only from transcripts, where there is
context. Training is seeded, so the same decisions give the same model.

When to suggest is found by cross-validation: the reviewed transcripts are
split in two (by turns when there is only one), a model is trained on each
half and scores the other, and for each code and component the lowest score
is kept whose held-out suggestions were right often enough: at least
:data:`MIN_RIGHT` of them, and a share of at least the precision asked for,
counted as if one more had been wrong (so that 3 right of 3 is 0.75, not 1).
A component that never gets there does not suggest the code, and ``learn``
says so.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, cast

from ipl_coder.learning.model import BOW, COMPONENTS, CONTEXT, WORDS, Calibration, KnownPassage, LearnedModel, features_text
from ipl_coder.learning.passages import Passage

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.pipeline import TrainablePipe
    from spacy.tokens import Doc
    from spacy.training import Example

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
    nlp = fit(passages, codes, language, seed, epochs)
    calibration = calibrate(passages, codes, language, seed, precision, epochs)
    wanted = set(codes)
    known = [KnownPassage(passage.text, passage.transcript, tuple(sorted(code for code, value in passage.labels.items()
                                                                          if value and code in wanted)))
             for passage in passages if any(value and code in wanted for code, value in passage.labels.items())]  # fmt: skip
    return LearnedModel(nlp, codes, precision, calibration, known)


def fit(passages: Sequence[Passage], codes: Sequence[str], language: str, seed: int, epochs: int = EPOCHS) -> Language:
    """A pipeline with both components trained on ``passages``: seeded, so the same passages give the same pipeline."""
    import spacy
    from spacy.tokens import Doc
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch, registry

    fix_random_seed(seed)
    try:
        nlp = spacy.blank(language)
    except ImportError:
        nlp = spacy.blank("xx")
    components = {name: cast("TrainablePipe", nlp.add_pipe("textcat_multilabel", name=name, config={"model": BOW}))
                  for name in COMPONENTS}  # fmt: skip
    for component in components.values():
        for code in codes:
            component.add_label(code)  # type: ignore[attr-defined]
    examples = {
        WORDS: _examples(passages, codes, lambda passage: nlp.make_doc(features_text(passage.text))),
        CONTEXT: _examples([p for p in passages if p.transcript], codes, lambda passage: Doc(nlp.vocab, words=list(passage.context))),
    }
    for name, component in components.items():
        # With nothing to learn from (no reviewed transcript: the context component), a sample sets up its shapes.
        sample = examples[name] or [Example.from_dict(nlp.make_doc("."), {"cats": dict.fromkeys(codes, 0.0)})]
        component.initialize(lambda sample=sample: sample, nlp=nlp)  # type: ignore[attr-defined]
    # spaCy's Adam (thinc's, through spaCy's registry), without the parameter averages we would not use.
    optimizer = registry.get("optimizers", "Adam.v1")(learn_rate=LEARN_RATE, use_averages=False)
    order = random.Random(seed)
    for name, component in components.items():
        mine = examples[name]
        for _ in range(epochs if mine else 0):
            order.shuffle(mine)
            for batch in minibatch(mine, size=max(4, math.ceil(len(mine) / STEPS_PER_EPOCH))):
                component.update(batch, sgd=optimizer)  # not nlp.update: it copies every Doc each step
    return nlp


def _examples(passages: Sequence[Passage], codes: Sequence[str], make_doc: Callable[[Passage], Doc]) -> list[Example]:
    """Each passage as a training example: its Doc, and the codes it teaches about (the others are left out of its loss)."""
    from spacy.training import Example

    found = []
    for passage in passages:
        cats = {code: float(value) for code in codes if (value := passage.learns(code)) is not None}
        if cats:
            found.append(Example.from_dict(make_doc(passage), {"cats": cats}))
    return found


def calibrate(passages: Sequence[Passage], codes: Sequence[str], language: str, seed: int, precision: float,
              epochs: int = EPOCHS) -> dict[str, dict[str, Calibration]]:  # fmt: skip
    """Per component and code: from which score it may suggest the code, found by cross-validation (see the module)."""
    from spacy.tokens import Doc

    folds = _folds(passages)
    held_out: dict[str, dict[str, list[tuple[float, bool]]]] = {name: {code: [] for code in codes} for name in COMPONENTS}
    for fold in range(FOLDS):
        tested = [passage for passage, where in zip(passages, folds, strict=True) if where == fold]
        if not tested:
            continue
        nlp = fit([passage for passage, where in zip(passages, folds, strict=True) if where != fold], codes, language, seed, epochs)
        docs = {WORDS: [nlp.make_doc(features_text(passage.text)) for passage in tested],
                CONTEXT: [Doc(nlp.vocab, words=list(passage.context)) for passage in tested]}  # fmt: skip
        for name in COMPONENTS:
            for passage, doc in zip(tested, nlp.get_pipe(name).pipe(docs[name]), strict=True):
                for code in codes:
                    if (value := passage.learns(code)) is not None:
                        held_out[name][code].append((float(doc.cats[code]), value))
    return {name: {code: choose(held_out[name][code], precision) for code in codes} for name in COMPONENTS}


def _folds(passages: Sequence[Passage]) -> list[int | None]:
    """Each passage's fold: by transcript when two or more were reviewed, else by turn; None for the codebook's examples."""
    names = sorted({passage.transcript for passage in passages if passage.transcript})
    if len(names) >= FOLDS:
        rank = {name: index for index, name in enumerate(names)}
        return [rank[passage.transcript] % FOLDS if passage.transcript else None for passage in passages]
    turns = {turn: index for index, turn in enumerate(sorted({passage.turn_number for passage in passages if passage.transcript}))}
    return [turns[passage.turn_number] % FOLDS if passage.transcript else None for passage in passages]


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
            chosen = Calibration(round(score, 6), tried, right)
        if right and share > best.right / (best.tried + 1):
            best = Calibration(None, tried, right)
    return chosen or best

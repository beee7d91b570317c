"""``ipl-coder learn``: train the project's model on the team's own decisions.

Gathers the labelled passages (:mod:`ipl_coder.learning.passages`), trains the
model on every code with enough of them and finds from which score it may
suggest each (:mod:`ipl_coder.learning.training`), saves it in
PROJECT/learned/ in place of the one before (only once it is whole), and
records in the store what it learned from. With no code that has enough to
learn from, it is an error: nothing is recorded or saved, and the model before
stays in use as it was.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from ipl_coder import __version__
from ipl_coder.codebook.model import Codebook
from ipl_coder.errors import InputError, ProjectError
from ipl_coder.learning.model import COMPONENTS, PRECISION, Calibration, model_folder
from ipl_coder.learning.passages import MIN_DECIDED_POSITIVES, MIN_NEGATIVES, TrainingMaterial, collect_passages
from ipl_coder.learning.suggest import read_ahead
from ipl_coder.learning.training import MIN_RIGHT, train_model
from ipl_coder.store import LearnedCode, LearnedModelRow, ProjectStore
from ipl_coder.wording import count

DEFAULT_SEED = 18
_CODES_NAMED = 6  # in the one line that says why nothing was learned; the rest are counted


@dataclass(frozen=True)
class LearnResult:
    project_dir: Path
    model_id: int
    folder: Path
    codes: tuple[LearnedCode, ...]
    transcripts: int
    units: int
    last_decided_at: str | None
    seconds: float

    @property
    def trained(self) -> list[str]:
        return [code.code_id for code in self.codes if code.trained]

    @property
    def left_to_rules(self) -> list[LearnedCode]:
        return [code for code in self.codes if not code.trained]

    decided_positives: dict[str, int] = field(default_factory=dict)  # per code: sentences people gave it
    calibration: dict[str, dict[str, Calibration]] = field(default_factory=dict)  # per component and code: see training
    precision: float = PRECISION
    out_of_sight: int = 0  # decided passages an edit took out of their transcript's text: not learned from

    @property
    def suggested(self) -> list[str]:
        """The learned codes the model will suggest: those some component suggests precisely enough."""
        return [code.code_id for code in self.codes if code.suggested]

    @property
    def not_suggested(self) -> list[str]:
        return [code.code_id for code in self.codes if code.trained and not code.suggested]

    def why_not_suggested(self, code: str) -> str:
        """Why a learned code is not suggested, in a researcher's words: how its best tried suggestions fared."""
        tried = [self.calibration[name][code] for name in COMPONENTS if code in self.calibration.get(name, {})]
        best = max(tried, key=lambda item: item.right / (item.tried + 1), default=Calibration(None, 0, 0))
        if not best.tried:
            return "tried on your own decisions, none of its suggestions was right"
        # Counted as training.choose counts: one more as wrong, and at least MIN_RIGHT right (2 of 4 is not enough at 40%).
        share = best.right / (best.tried + 1)
        short = (f"fewer than the {MIN_RIGHT} right it needs" if share >= self.precision else
                 f"{math.floor(share * 100)}% counted as if one more had been wrong, fewer than the {self.precision:.0%} asked for")  # fmt: skip
        return f"tried on your own decisions, at best {best.right} of its {best.tried} suggestions were right, {short}"

    def why_not(self, code: LearnedCode) -> str:
        """Why a code was left to the rules, in a researcher's words."""
        return why_not_learned(code, self.decided_positives)

    def to_json(self) -> dict[str, object]:
        return {
            "project": str(self.project_dir), "model_id": self.model_id, "folder": str(self.folder),
            "transcripts": self.transcripts, "units": self.units, "decisions_up_to": self.last_decided_at,
            "seconds": round(self.seconds, 2),
            "precision": self.precision, "out_of_sight": self.out_of_sight,
            "codes": [{"code": code.code_id, "positives": code.positives, "negatives": code.negatives,
                       "from_examples": code.from_examples, "trained": code.trained, "suggested": bool(code.suggested),
                       "calibration": {name: {"min_score": found.min_score, "tried": found.tried, "right": found.right}
                                       for name in COMPONENTS if (found := self.calibration.get(name, {}).get(code.code_id))}}
                      for code in self.codes],
        }  # fmt: skip


def why_not_learned(code: LearnedCode, decided_positives: dict[str, int]) -> str:
    """Why a code was not learned, in a researcher's words."""
    given = decided_positives.get(code.code_id, 0)
    if given < MIN_DECIDED_POSITIVES:
        return f"people gave it {given} sentence{'' if given == 1 else 's'}, fewer than {MIN_DECIDED_POSITIVES}"
    return f"fewer than {MIN_NEGATIVES} sentences known not to have it"


def learn(project_dir: Path, code_ids: Sequence[str] = (), seed: int = DEFAULT_SEED, precision: float = PRECISION) -> LearnResult:
    """Train the project's model on its decisions, for ``code_ids`` (every code when empty).

    ``precision``: how often, tried on the decisions, a code's suggestions must have been right for the model to suggest it.
    """
    import spacy

    started = time.perf_counter()
    if not 0 < precision < 1:
        raise InputError(f"the precision must be between 0 and 1, not {precision}")
    # The store keeps it as an SQLite integer, and records it only once the new model has replaced the old one.
    if not -(2**63) <= seed < 2**63:
        raise InputError(f"the seed must be a whole number between {-(2**63)} and {2**63 - 1}, not {seed}")
    with ProjectStore.open(project_dir, lock="exclusive") as store:
        codebook = project_codebook(store, project_dir)
        codes = _codes(codebook, code_ids)
        last_decision = store.last_decision()
        material = collect_passages(store, codebook, codes)
        trained = material.trained_codes
        if last_decision[0] is None:
            raise ProjectError(f"{project_dir}: nobody has decided on a suggestion yet, so there is nothing to learn from; "
                               "review some transcripts first ('ipl-coder review' or 'ipl-coder review export'), "
                               "then run 'ipl-coder learn' again")  # fmt: skip
        if not trained:  # before anything is recorded or saved: the earlier model, if any, stays as it was
            raise ProjectError(_nothing_to_learn(project_dir, material, store.learned_model()))
        folder = model_folder(project_dir)
        model = train_model(material.passages, trained, codebook.language, seed, precision)
        calibration, suggested = model.calibration, set(model.suggested_codes())
        counts = [replace(code, suggested=code.code_id in suggested) if code.trained else code for code in material.counts]
        # Recorded first, then saved under its id: stopped in between, the folder is not the one recorded, and
        # 'code --learned' refuses it rather than file its suggestions under another model.
        model_id = store.record_learned_model(
            folder=str(folder), seed=seed, precision=precision, last_decision=last_decision,
            transcripts=material.transcripts, units=material.units, seconds=time.perf_counter() - started,
            spacy_version=spacy.__version__, ipl_coder_version=__version__, codes=counts,
        )  # fmt: skip
        parents = {code.code_id: code.parent_id for code in codebook.codes}  # code --learned tells of a code moved since
        _replace_folder(folder, partial(model.save, model_id=model_id, parents=parents))
        out_of_sight = store.decided_out_of_sight()
    read_ahead(project_dir, codebook)  # the first 'code --learned' reads what the model read, as later ones do
    return LearnResult(project_dir, model_id, folder, tuple(counts), material.transcripts, material.units, last_decision[1],
                       time.perf_counter() - started, material.decided_positives, calibration, precision, out_of_sight)  # fmt: skip


def _nothing_to_learn(project_dir: Path, material: TrainingMaterial, earlier: LearnedModelRow | None) -> str:
    """Why ``learn`` learned nothing, in one line: each code asked for and what it lacks, and what became of the model."""
    shown = material.counts[:_CODES_NAMED]
    lacking = "; ".join(f"{code.code_id}: {why_not_learned(code, material.decided_positives)}" for code in shown)
    if len(material.counts) > len(shown):
        lacking += f"; and {count(len(material.counts) - len(shown), 'code')} more"
    if earlier is None:
        kept = "no model was saved"
    else:
        decided = f"the decisions up to {earlier.last_decided_at}" if earlier.last_decided_at else "the decisions then"
        kept = f"model {earlier.model_id}, learned from {decided}, stays in use with 'code --learned'"
    return (f"{project_dir}: no code has enough decisions to learn from ({lacking}); {kept}; "
            "review more transcripts and run 'ipl-coder learn' again")


def _codes(codebook: Codebook, code_ids: Sequence[str]) -> list[str]:
    known = [code.code_id for code in codebook.codes]
    unknown = [code for code in code_ids if code not in known]
    if unknown:
        raise InputError(f"no code '{unknown[0]}' in the project's codebook; its codes are {', '.join(known)}")
    return [code for code in known if not code_ids or code in code_ids]


def project_codebook(store: ProjectStore, project_dir: Path) -> Codebook:
    """The codebook the project's segments are under, from the copy in the store."""
    from ipl_coder.codebook.schema import parse_codebook_text

    stored = store.current_codebook()
    if stored is None:
        raise ProjectError(f"{project_dir}: the project has no codebook yet; run 'ipl-coder code' first")
    return parse_codebook_text(stored.yaml_text, Path(stored.source_path))


def _replace_folder(folder: Path, write: Callable[[Path], None]) -> None:
    """Write the new model beside the old one, then swap: a crash leaves the old model or the new, never half."""
    fresh, old = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    write(fresh)
    if folder.exists():
        folder.rename(old)
    fresh.rename(folder)
    shutil.rmtree(old, ignore_errors=True)

"""What the team's decisions say, passage by passage: the training material of ``ipl-coder learn``.

The model learns from units (sentences of participants' turns, cut as coding
cuts them) of the transcripts people reviewed, and from the codebook's
examples. For each code a unit is:

* **positive** when a passage people gave the code (or one of its sub-codes)
  overlaps it: an accepted suggestion, a code a person added, the right code of
  a recode;
* **unknown** when a suggestion of the code nobody has decided on yet overlaps
  it, or when only a code above it was given (a coder who gave ``role`` said
  nothing about ``role-peer``);
* **negative** otherwise: a rejected suggestion, or a unit of a reviewed
  transcript that nobody gave the code. So the model learns what the team
  leaves uncoded as well as what it codes, and a team that adds the codes the
  rules missed teaches it most.

A code's ``match`` examples are positives (for it and the codes above it), its
``no_match`` examples negatives for it.

Each unit also carries what the rules suggested on it and around it (see
:mod:`ipl_coder.learning.context`): the model learns, for each code, only from
the units where no rule suggests it, since those are the only ones it will
ever suggest it for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ipl_coder.codebook.model import Codebook
from ipl_coder.coding.units import TranscriptUnits, participant_units
from ipl_coder.learning.context import all_context_tokens, rule_codes
from ipl_coder.store import WITHDRAWN, LearnedCode, ProjectStore, SegmentRow

MIN_DECIDED_POSITIVES = 5  # sentences people gave a code; below this the code is left to the rules
MIN_NEGATIVES = 5


@dataclass(frozen=True)
class Passage:
    """A text to learn from, and which codes it has (True), has not (False); codes not named are unknown."""

    text: str
    transcript: str  # "" for a codebook example
    labels: dict[str, bool]
    turn_number: int = 0
    context: tuple[str, ...] = ()  # the rules' codes on it and around it, as marked tokens
    ruled: frozenset[str] = frozenset()  # the codes the rules suggest on it (and the codes above them)

    def learns(self, code: str) -> bool | None:
        """What the passage teaches about ``code``: None where it is unknown or a rule suggests the code anyway."""
        return None if code in self.ruled else self.labels.get(code)


@dataclass
class TrainingMaterial:
    passages: list[Passage]
    counts: list[LearnedCode]  # per code asked for, in codebook order
    transcripts: int  # reviewed transcripts the units came from
    units: int
    decided_positives: dict[str, int] = field(default_factory=dict)

    @property
    def trained_codes(self) -> list[str]:
        return [count.code_id for count in self.counts if count.trained]


class CodeTree:
    def __init__(self, codebook: Codebook) -> None:
        self.parent = {code.code_id: code.parent_id for code in codebook.codes}

    def chain(self, code_id: str) -> list[str]:
        """The code and every code above it."""
        chain = [code_id]
        while (parent := self.parent.get(chain[-1])) and parent not in chain:
            chain.append(parent)
        return chain


def collect_passages(store: ProjectStore, codebook: Codebook, code_ids: Sequence[str]) -> TrainingMaterial:
    """Every unit of the reviewed transcripts and every codebook example, labelled per code in ``code_ids``."""
    tree = CodeTree(codebook)
    wanted = set(code_ids)
    segments = [segment for segment in store.segments(None) if segment.status != WITHDRAWN]
    reviewed = sorted({s.transcript for s in segments if s.decided_by or s.origin == "human"})
    by_transcript: dict[str, list[SegmentRow]] = defaultdict(list)
    for segment in segments:
        by_transcript[segment.transcript].append(segment)
    units = participant_units(store, reviewed, "sentence")
    passages: list[Passage] = []
    decided_positives: dict[str, int] = defaultdict(int)
    for name, transcript_units in units.items():
        marks = _unit_marks(transcript_units, by_transcript[name], tree)
        bounds = [(unit.start_char, unit.end_char) for unit in transcript_units.units]
        turns = [unit.turn_number for unit in transcript_units.units]
        ruled = rule_codes(bounds, ((s.code_id, s.start_char, s.end_char) for s in by_transcript[name]
                                    if s.origin == "machine" and s.suggested), tree.chain)  # fmt: skip
        for index, context in enumerate(all_context_tokens(ruled, turns)):
            positive, unknown = marks[index]
            labels = {code: code in positive for code in code_ids if code in positive or code not in unknown}
            for code in wanted & positive:
                decided_positives[code] += 1
            passages.append(Passage(transcript_units.unit_text(index), name, labels, turns[index], context, frozenset(ruled[index])))
    examples = list(_examples(codebook, code_ids, tree))
    passages += examples
    counts = []
    for code in code_ids:
        positives = sum(1 for passage in passages if passage.labels.get(code) is True)
        negatives = sum(1 for passage in passages if passage.labels.get(code) is False)
        from_examples = sum(1 for passage in examples if code in passage.labels)
        trained = decided_positives[code] >= MIN_DECIDED_POSITIVES and negatives >= MIN_NEGATIVES
        counts.append(LearnedCode(code, positives, negatives, from_examples, trained))
    return TrainingMaterial(passages, counts, len(units), sum(len(item.units) for item in units.values()), dict(decided_positives))


def _unit_marks(units: TranscriptUnits, segments: Iterable[SegmentRow], tree: CodeTree) -> list[tuple[set[str], set[str]]]:
    """Per unit: the codes it has, and the codes nobody has settled for it."""
    marks: list[tuple[set[str], set[str]]] = [(set(), set()) for _ in units.units]
    for segment in segments:
        for index in units.overlapping(segment.start_char, segment.end_char):
            positive, unknown = marks[index]
            chain = tree.chain(segment.code_id)
            if segment.status == "accepted":
                positive.update(chain)
            elif segment.status == "pending":
                unknown.update(chain)
    for positive, unknown in marks:
        # A code above one given is settled; the codes below it are not.
        unknown.update(code for code, parent in tree.parent.items() if parent is not None and set(tree.chain(parent)) & positive
                       and code not in positive)  # fmt: skip
    return marks


def _examples(codebook: Codebook, code_ids: Sequence[str], tree: CodeTree) -> Iterable[Passage]:
    wanted = set(code_ids)
    for code in codebook.codes:
        languages = [code, *(code.in_language(language) for language in code.translations)]
        for rules in languages:
            for text in rules.examples_match:
                labels = {item: True for item in tree.chain(code.code_id) if item in wanted}
                if labels:
                    yield Passage(text, "", labels)
            if code.code_id in wanted:
                for text in rules.examples_no_match:
                    yield Passage(text, "", {code.code_id: False})

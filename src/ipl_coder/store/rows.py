"""The store's rows as named, frozen objects: what every query returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SimilarPassage:
    """An accepted passage the learned model trained on, like the one it suggests."""

    transcript: str  # "" for an example from the codebook
    text: str
    similarity: float  # cosine of their words, 0-1


@dataclass(frozen=True)
class ModelReason:
    """Why the learned model suggested a segment: what a researcher can check."""

    model_id: int
    words: tuple[tuple[str, float], ...] = ()  # the words that weighed most, with their weight (log-odds) for the code
    similar: tuple[SimilarPassage, ...] = ()  # the most similar accepted passages of the code

    def summary(self, score: float | None) -> str:
        """One line, as the review, the sheets and the exports show it."""
        parts = [f"model {score:.2f}" if score is not None else "model"]
        if self.words:
            parts.append("words " + ", ".join(f"{word} ({weight:+.2f})" for word, weight in self.words))
        if self.similar:
            parts.append("like " + " / ".join(f'"{_short(passage.text)}"' for passage in self.similar))
        return "; ".join(parts)


def _short(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1].rsplit(" ", 1)[0] + " …"


@dataclass(frozen=True)
class SegmentRow:
    segment_id: str
    transcript: str
    code_id: str
    start_char: int
    end_char: int
    speaker: str
    turn_number: int | None
    unit: str
    text: str
    matched: tuple[str, ...]
    rules: tuple[str, ...]
    origin: str
    status: str
    suggested: bool
    timestamp: str | None = None  # start time of the segment's first turn
    coder: str | None = None  # who added it, for a human segment
    decided_by: str | None = None  # who made the latest decision still standing
    decided_at: str | None = None
    score: float | None = None  # origin 'model': the learned model's score
    reason: ModelReason | None = None  # origin 'model': why

    @property
    def why(self) -> str:
        """The rules and words behind a rule's suggestion, the learned model's reason for its own; '' for a person's code."""
        if self.origin == "model":
            return self.reason.summary(self.score) if self.reason else "model"
        if self.rules:
            return f"{', '.join(self.rules)}: {', '.join(self.matched)}"
        return ""


@dataclass(frozen=True)
class SpeakerRow:
    """One speaker of a current transcript, with how much they said."""

    transcript: str
    speaker: str
    role: str
    turns: int
    words: int


@dataclass(frozen=True)
class CodeRow:
    code_id: str
    parent_id: str | None
    label: str
    color: str
    position: int


@dataclass(frozen=True)
class TranscriptRow:
    transcript_id: int
    name: str
    content_hash: str
    text: str
    language: str | None
    attributes: dict[str, str]  # from the transcript's front matter
    speaker_attributes: dict[str, dict[str, str]]


@dataclass(frozen=True)
class TranscriptInfo:
    """A current transcript without its text: who speaks in it and what is known about them, to read for every one."""

    transcript_id: int
    name: str
    language: str | None
    attributes: dict[str, str]
    speaker_attributes: dict[str, dict[str, str]]


@dataclass(frozen=True)
class RunRow:
    run_id: int
    started_at: str
    codebook_version_id: int
    codebook_hash: str
    pipeline: str
    unit: str
    options: dict[str, Any]


@dataclass(frozen=True)
class DecisionRow:
    segment_id: str
    coder: str
    decision: str  # accept, reject, recode, add, note or undo
    new_code_id: str | None
    note: str | None
    decided_at: str
    decision_id: int = 0
    source: str | None = None  # "review", or the sheet and row it came from
    undoes_decision_id: int | None = None
    part_of_decision_id: int | None = None  # the recode that added this code


@dataclass(frozen=True)
class CoderView:
    """Where one coder stands on one segment: their latest decision still standing, and their note."""

    segment_id: str
    decision: str | None  # accept, reject, recode or add; None if they only wrote a note
    new_code_id: str | None
    note: str | None
    decided_at: str
    noted_at: str | None = None  # when the note last changed: a sheet's note older than this is stale

    @property
    def status(self) -> str:
        return {"accept": "accepted", "add": "accepted", "reject": "rejected", "recode": "recoded"}.get(
            self.decision or "", "pending"
        )

    @property
    def sheet_decision(self) -> str | None:
        """The decision as a review sheet writes it: accept, reject or recode (adding a code is accepting it)."""
        return "accept" if self.decision == "add" else self.decision


@dataclass(frozen=True)
class CoderSummary:
    coder: str
    decisions: int  # decisions still standing, notes included
    segments: int  # segments they decided on or added
    first_at: str
    last_at: str


@dataclass(frozen=True)
class StoredCodebook:
    yaml_text: str
    source_path: str
    name: str = ""
    version: str = ""


@dataclass(frozen=True)
class HumanWork:
    """What people did with one code: the reason not to drop it from a codebook lightly."""

    code_id: str
    decided_segments: int  # segments of the code a person decided on or added
    decisions: int  # decisions on those segments, and recodes to the code


@dataclass(frozen=True)
class RenameResult:
    segments: int
    decisions: int
    replaced_suggestions: int  # pending suggestions already under the new id, replaced by the renamed segments


@dataclass(frozen=True)
class LearnedCode:
    """What ``ipl-coder learn`` had for one code: passages that have it, passages that have not."""

    code_id: str
    positives: int
    negatives: int
    from_examples: int  # of those, the codebook's match and no_match examples
    trained: bool  # False: too few to learn from, left to the rules
    suggested: bool | None = None  # whether the model suggests it (trained, and precise enough); None: not known


@dataclass(frozen=True)
class LearnedModelRow:
    """One ``ipl-coder learn``: where its model is and what it learned from."""

    model_id: int
    trained_at: str
    folder: str
    seed: int
    precision: float | None  # how often a code's suggestions had to be right when tried; None: a learn of before
    last_decision_id: int | None  # the decisions it learned from are those up to this one
    last_decided_at: str | None
    transcripts: int  # reviewed transcripts it took passages from
    units: int
    seconds: float
    codes: tuple[LearnedCode, ...]

    @property
    def trained_codes(self) -> tuple[str, ...]:
        return tuple(code.code_id for code in self.codes if code.trained)


@dataclass(frozen=True)
class UnplacedPassage:
    """A decided passage that is no longer in the edited text: it stays with the old version, out of sight."""

    segment_id: str
    code_id: str
    text: str
    decided_by: str | None


@dataclass(frozen=True)
class SaveResult:
    suggested: int  # segments the run suggested for this transcript
    kept_decided: int  # segments a person decided, kept whatever the run said
    carried: int = 0  # decided segments moved here from an older version of the text
    unplaced: tuple[UnplacedPassage, ...] = ()  # decided passages the new text no longer has
    learned: int = 0  # of the suggested, the learned model's


@dataclass(frozen=True)
class TurnRow:
    number: int
    speaker: str
    role: str  # "interviewer" or "participant"
    start_char: int
    end_char: int
    timestamp: str | None = None


@dataclass(frozen=True)
class StoredTranscript:
    """A current transcript as it was coded: enough to code it again without its file."""

    name: str
    source_path: str
    format: str
    encoding: str
    text: str
    turns: tuple[TurnRow, ...]
    attributes: dict[str, str]
    speaker_attributes: dict[str, dict[str, str]]
    language: str | None


@dataclass(frozen=True)
class ParticipantRow:
    transcript: str  # a transcript's name or file stem, as written in the participants file
    speaker: str  # "" for the whole transcript
    participant: str | None
    attributes: dict[str, str]
    line: int


@dataclass(frozen=True)
class StoredParticipants:
    """The participants register last given to the project."""

    source: str
    entries: tuple[ParticipantRow, ...]
    attribute_names: tuple[str, ...]


@dataclass(frozen=True)
class SegmentNote:
    """One coder's note still standing on a segment."""

    segment_id: str
    coder: str
    note: str
    written_at: str

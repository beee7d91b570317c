"""The project store: one SQLite file per project, and the only package that speaks SQL.

``core`` holds transcripts, codebooks, runs and the machine's suggestions;
``decisions`` people's decisions and the codes they add; ``notes`` the notes
they wrote, for the exports; ``renames`` code renames; ``learned`` what ``ipl-coder learn`` trained on; ``ids`` how a segment's
id follows from its passage; ``inputs`` the shapes of what it is given to keep.
The schema itself is only in :mod:`ipl_coder.store.migrations`. Other packages
import from here, never from the modules inside.
"""

from ipl_coder.store.core import COUNTED_STATUSES, STORE_FILENAME, ProjectStore
from ipl_coder.store.decisions import (
    DECISION_STATUS,
    HUMAN_UNIT,
    WITHDRAWN,
    NewDecision,
    Passage,
    RecordedDecision,
)
from ipl_coder.store.ids import human_segment_id, segment_id_for
from ipl_coder.store.inputs import ModelSegmentInput
from ipl_coder.store.rows import (
    CodeRow,
    CoderSummary,
    CoderView,
    DecisionRow,
    HumanWork,
    LearnedCode,
    LearnedModelRow,
    ModelReason,
    ParticipantRow,
    RenameResult,
    RunRow,
    SaveResult,
    SegmentNote,
    SegmentRow,
    SimilarPassage,
    SpeakerRow,
    StoredCodebook,
    StoredParticipants,
    StoredTranscript,
    TranscriptInfo,
    TranscriptRow,
    TurnRow,
    UnplacedPassage,
)  # fmt: skip

__all__ = [
    "COUNTED_STATUSES", "DECISION_STATUS", "HUMAN_UNIT", "STORE_FILENAME", "WITHDRAWN", "CodeRow",
    "CoderSummary", "CoderView", "DecisionRow", "HumanWork", "LearnedCode", "LearnedModelRow", "ModelReason", "ModelSegmentInput",
    "NewDecision", "Passage", "ProjectStore",
    "ParticipantRow", "RecordedDecision", "RenameResult", "RunRow", "SaveResult", "SegmentNote", "SegmentRow", "SimilarPassage", "SpeakerRow",
    "StoredCodebook", "StoredParticipants", "StoredTranscript", "TranscriptInfo", "TranscriptRow", "TurnRow", "UnplacedPassage", "human_segment_id",
    "segment_id_for",
]  # fmt: skip

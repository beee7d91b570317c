"""The project store: one SQLite file per project, and the only package that speaks SQL.

``core`` holds transcripts, codebooks, runs and the machine's suggestions;
``decisions`` people's decisions and the codes they add; ``renames`` code
renames. The schema itself is in :mod:`ipl_coder.migrations`.
"""

from ipl_coder.store.core import COUNTED_STATUSES, STORE_FILENAME, ProjectStore
from ipl_coder.store.decisions import DECISION_STATUS, HUMAN_UNIT, WITHDRAWN, NewDecision, Passage, RecordedDecision
from ipl_coder.store.rows import (
    CodeRow, CoderSummary, CoderView, DecisionRow, HumanWork, RenameResult, RunRow, SaveResult, SegmentRow,
    SpeakerRow, StoredCodebook, TranscriptRow,
)  # fmt: skip

__all__ = [
    "COUNTED_STATUSES", "DECISION_STATUS", "HUMAN_UNIT", "STORE_FILENAME", "WITHDRAWN", "CodeRow",
    "CoderSummary", "CoderView", "DecisionRow", "HumanWork", "NewDecision", "Passage", "ProjectStore",
    "RecordedDecision", "RenameResult", "RunRow", "SaveResult", "SegmentRow", "SpeakerRow", "StoredCodebook",
    "TranscriptRow",
]  # fmt: skip

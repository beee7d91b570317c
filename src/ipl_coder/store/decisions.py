"""People's decisions, and the codes they add: one write path, kept forever.

Every decision is a row in ``decisions`` that is never changed or deleted; an
undo is one more row naming the decision it takes back. A segment's status
(and ``decided_by``/``decided_at``) follows from its decisions still standing
and is refreshed with each new one. A code a person adds is a segment with
origin 'human', owned by its coder; a recode adds the right code as part of
the same decision, so undoing the recode takes both back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ipl_coder.errors import ProjectError
from ipl_coder.store.ids import human_segment_id
from ipl_coder.store.rows import CoderSummary, CoderView, DecisionRow
from ipl_coder.store.sql import now

# What each decision does to a segment's status (a note leaves it as it is).
DECISION_STATUS: dict[str, str | None] = {
    "accept": "accepted", "reject": "rejected", "recode": "recoded", "add": "accepted", "note": None,
}  # fmt: skip
WITHDRAWN = "withdrawn"  # a code a person added, then took back
HUMAN_UNIT = "passage"  # the unit of a code added to a passage of the reader's choosing


@dataclass(frozen=True)
class Passage:
    transcript: str
    start_char: int
    end_char: int


@dataclass(frozen=True)
class NewDecision:
    """A decision to store. ``add`` needs ``new_code_id`` and a ``passage`` or the ``segment_id`` whose passage it codes."""

    coder: str
    decision: str
    segment_id: str | None = None
    new_code_id: str | None = None  # recode: the right code; add: the code added
    note: str | None = None
    passage: Passage | None = None
    source: str = "review"


@dataclass(frozen=True)
class RecordedDecision:
    decision_id: int
    segment_id: str  # for an add, the segment coded (new, or one already there)
    added: bool  # a new human segment was made


class DecisionQueries:
    connection: sqlite3.Connection
    _current_code_ids: Callable[[], set[str]]  # ProjectStore's: the codes of the codebook in use

    def record_decision(self, segment_id: str, coder: str, decision: str, *, new_code_id: str | None = None,
                        note: str | None = None) -> RecordedDecision:  # fmt: skip
        return self.record_decisions([NewDecision(coder, decision, segment_id, new_code_id, note)])[0]

    def record_decisions(self, decisions: Sequence[NewDecision]) -> list[RecordedDecision]:
        """Store every decision, or none of them: one transaction."""
        with self.connection:
            known_codes = self._current_code_ids()
            return [self._record(decision, known_codes) for decision in decisions]

    def _record(self, decision: NewDecision, known_codes: set[str]) -> RecordedDecision:
        if not decision.coder.strip():
            raise ProjectError("a decision needs the coder's name")
        if decision.decision not in DECISION_STATUS:
            raise ProjectError(f"unknown decision '{decision.decision}': use one of {', '.join(DECISION_STATUS)}")
        segment = self._segment(decision.segment_id) if decision.segment_id else None
        if decision.decision in ("add", "recode"):
            _check_code(decision.new_code_id, decision.decision, known_codes)
        if decision.decision == "add":
            return self._add_code(decision, segment)
        if segment is None:
            raise ProjectError(f"decision '{decision.decision}' needs a segment id")
        if decision.decision == "recode" and decision.new_code_id == segment["code_id"]:
            raise ProjectError(f"segment {segment['segment_id']} already has code '{decision.new_code_id}'")
        decision_id = self._insert(decision, segment["segment_id"])
        if decision.decision == "recode":
            target = Passage("", segment["start_char"], segment["end_char"])
            self._code_passage(decision, segment["transcript_id"], target, segment["unit"], part_of=decision_id)
        self._refresh(segment["segment_id"])
        return RecordedDecision(decision_id, segment["segment_id"], False)

    def _segment(self, segment_id: str) -> sqlite3.Row:
        row = self.connection.execute("SELECT * FROM segments WHERE segment_id = ?", (segment_id,)).fetchone()
        if row is None:
            raise ProjectError(f"no segment with id '{segment_id}' in this project")
        return row

    def _add_code(self, decision: NewDecision, segment: sqlite3.Row | None) -> RecordedDecision:
        if decision.passage is not None:
            row = self.connection.execute(
                "SELECT transcript_id, text FROM transcripts WHERE name = ? AND is_current = 1", (decision.passage.transcript,)
            ).fetchone()
            if row is None:
                raise ProjectError(f"no transcript '{decision.passage.transcript}' in this project")
            passage, unit, transcript_id = decision.passage, HUMAN_UNIT, int(row["transcript_id"])
            if not 0 <= passage.start_char < passage.end_char <= len(row["text"]):
                raise ProjectError(
                    f"{passage.transcript}: characters {passage.start_char}-{passage.end_char} are not a passage of it "
                    f"(it has {len(row['text'])} characters; start must be below end)"
                )
        elif segment is not None:
            passage = Passage("", segment["start_char"], segment["end_char"])
            unit, transcript_id = segment["unit"], int(segment["transcript_id"])
        else:
            raise ProjectError("adding a code needs a passage or a segment")
        return self._code_passage(decision, transcript_id, passage, unit, part_of=None)

    def _code_passage(self, decision: NewDecision, transcript_id: int, passage: Passage, unit: str,
                      part_of: int | None) -> RecordedDecision:  # fmt: skip
        """Give the passage the code: accept the suggestion (or the coder's own code) there, else add the coder's own.

        Another coder's code on the same passage is left alone: each coder's codes are their own.
        """
        code_id = decision.new_code_id or ""
        there = self.connection.execute(
            "SELECT segment_id FROM segments WHERE transcript_id = ? AND code_id = ? AND start_char = ? AND end_char = ?"
            " AND status != ? AND (origin != 'human' OR coder = ?) ORDER BY origin = 'human', origin = 'model' LIMIT 1",
            (transcript_id, code_id, passage.start_char, passage.end_char, WITHDRAWN, decision.coder.strip()),
        ).fetchone()  # fmt: skip
        added = False
        if there:
            segment_id, kind = there["segment_id"], "accept"
        else:
            segment_id, kind, added = self._human_segment(decision.coder, code_id, transcript_id, passage, unit), "add", True
        note = decision.note if part_of is None else None  # a recode's note stays with the recode
        decision_id = self._insert(NewDecision(decision.coder, kind, segment_id, None, note, source=decision.source),
                                   segment_id, part_of)  # fmt: skip
        self._refresh(segment_id)
        return RecordedDecision(decision_id, segment_id, added)

    def _human_segment(self, coder: str, code_id: str, transcript_id: int, passage: Passage, unit: str) -> str:
        transcript = self.connection.execute(
            "SELECT content_hash, text FROM transcripts WHERE transcript_id = ?", (transcript_id,)
        ).fetchone()
        segment_id = human_segment_id(transcript["content_hash"], code_id, coder, passage.start_char, passage.end_char)
        if self.connection.execute("SELECT 1 FROM segments WHERE segment_id = ?", (segment_id,)).fetchone():
            return segment_id  # added before and taken back: the new 'add' brings it back
        # The turn the passage starts in; a passage starting in a speaker label belongs to the turn after it.
        turn = self.connection.execute(
            "SELECT turn_number, speaker FROM turns WHERE transcript_id = ? AND end_char > ? ORDER BY turn_number LIMIT 1",
            (transcript_id, passage.start_char),
        ).fetchone() or {"turn_number": None, "speaker": ""}  # fmt: skip
        self.connection.execute(
            "INSERT INTO segments (segment_id, transcript_id, code_id, start_char, end_char, speaker, turn_number, unit,"
            " text, origin, status, suggested, coder, created_at) VALUES (?,?,?,?,?,?,?,?,?,'human','accepted',0,?,?)",
            (segment_id, transcript_id, code_id, passage.start_char, passage.end_char, turn["speaker"], turn["turn_number"],
             unit, transcript["text"][passage.start_char : passage.end_char], coder, now()),
        )  # fmt: skip
        return segment_id

    def _insert(self, decision: NewDecision, segment_id: str, part_of: int | None = None,
                undoes: int | None = None) -> int:  # fmt: skip
        cursor = self.connection.execute(
            "INSERT INTO decisions (segment_id, coder, decision, new_code_id, note, decided_at, source,"
            " part_of_decision_id, undoes_decision_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (segment_id, decision.coder.strip(), decision.decision, decision.new_code_id, decision.note or None, now(),
             decision.source, part_of, undoes),
        )  # fmt: skip
        return int(cursor.lastrowid or 0)

    def _refresh(self, segment_id: str) -> None:
        """Derive the segment's status from its latest decision still standing."""
        latest = self.connection.execute(
            "SELECT coder, decision, decided_at FROM standing_decisions WHERE segment_id = ? AND decision != 'note'"
            " ORDER BY decision_id DESC LIMIT 1", (segment_id,),
        ).fetchone()  # fmt: skip
        if latest:
            status, by, at = DECISION_STATUS[latest["decision"]], latest["coder"], latest["decided_at"]
        else:
            origin = self.connection.execute("SELECT origin FROM segments WHERE segment_id = ?", (segment_id,)).fetchone()
            status, by, at = ("pending" if origin["origin"] != "human" else WITHDRAWN), None, None
        self.connection.execute(
            "UPDATE segments SET status = ?, decided_by = ?, decided_at = ? WHERE segment_id = ?", (status, by, at, segment_id)
        )

    def undo_last_decision(self, coder: str, source: str = "review") -> DecisionRow | None:
        """Take back the coder's latest decision still standing (with the code a recode added); None if there is none."""
        with self.connection:
            row = self.connection.execute(
                "SELECT * FROM standing_decisions WHERE coder = ? AND part_of_decision_id IS NULL"
                " ORDER BY decision_id DESC LIMIT 1", (coder,),
            ).fetchone()  # fmt: skip
            if row is None:
                return None
            self._insert(NewDecision(coder, "undo", source=source), row["segment_id"], undoes=row["decision_id"])
            parts = self.connection.execute(
                "SELECT segment_id FROM decisions WHERE part_of_decision_id = ?", (row["decision_id"],)
            ).fetchall()
            for segment_id in {row["segment_id"], *(part["segment_id"] for part in parts)}:
                self._refresh(segment_id)
        return _decision_row(row)

    def decisions(self, segment_id: str) -> list[DecisionRow]:
        """The segment's whole history, undone decisions and undos included."""
        rows = self.connection.execute("SELECT * FROM decisions WHERE segment_id = ? ORDER BY decision_id", (segment_id,))
        return [_decision_row(row) for row in rows]

    def coder_views(self, coder: str, *, transcript: str | None = None) -> dict[str, CoderView]:
        """Per segment, where the coder stands: only their own decisions, as a blind review needs.

        With ``transcript``, only on the segments of that transcript's current version: a command that walks a
        project one transcript at a time holds one transcript's views, not the whole project's.
        """
        views: dict[str, CoderView] = {}
        if transcript is None:
            rows = self.connection.execute("SELECT * FROM standing_decisions WHERE coder = ? ORDER BY decision_id", (coder,))
        else:  # "+d.coder": by the transcript's segments, not by scanning every decision of the coder for each transcript
            rows = self.connection.execute(
                "SELECT d.* FROM transcripts t JOIN segments s USING (transcript_id)"
                " JOIN standing_decisions d ON d.segment_id = s.segment_id"
                " WHERE t.name = ? AND t.is_current = 1 AND +d.coder = ? ORDER BY d.decision_id", (transcript, coder),
            )  # fmt: skip
        for row in rows:
            before = views.get(row["segment_id"])
            is_note = row["decision"] == "note"
            views[row["segment_id"]] = CoderView(
                segment_id=row["segment_id"],
                decision=before.decision if is_note and before else (None if is_note else row["decision"]),
                new_code_id=before.new_code_id if is_note and before else row["new_code_id"],
                note=row["note"] or (before.note if before else None),
                decided_at=before.decided_at if is_note and before else row["decided_at"],  # a note is not a decision
                noted_at=row["decided_at"] if row["note"] else (before.noted_at if before else None),
            )
        return views

    def out_of_sight(self, segment_id: str) -> bool:
        """Whether the segment is on an older version of its transcript: an edit took its passage out of the text."""
        row = self.connection.execute(
            "SELECT t.is_current FROM segments s JOIN transcripts t USING (transcript_id) WHERE s.segment_id = ?", (segment_id,)
        ).fetchone()
        return row is not None and not row["is_current"]

    def decided_out_of_sight(self, coder: str | None = None) -> int:
        """Passages people (or only ``coder``) decided or added that an edit took out of their transcript's text (carry.py)."""
        row = self.connection.execute(
            "SELECT COUNT(DISTINCT s.segment_id) AS passages FROM segments s JOIN transcripts t USING (transcript_id)"
            " JOIN standing_decisions d ON d.segment_id = s.segment_id"
            " WHERE t.is_current = 0 AND d.decision != 'note' AND (? IS NULL OR d.coder = ?)", (coder, coder),
        ).fetchone()  # fmt: skip
        return int(row["passages"])

    def accepted_codes(self, coder: str) -> set[str]:
        """The codes of the current segments the coder's latest standing decision accepts (or added them): what they coded.

        The same as the codes of the segments whose :meth:`coder_views` status is accepted, without reading every segment.
        """
        rows = self.connection.execute(
            "SELECT DISTINCT s.code_id FROM segments s JOIN transcripts t USING (transcript_id)"
            " WHERE t.is_current = 1 AND s.status != ?"
            " AND (SELECT d.decision FROM standing_decisions d WHERE d.segment_id = s.segment_id AND +d.coder = ?"
            "      AND d.decision != 'note' ORDER BY d.decision_id DESC LIMIT 1) IN ('accept', 'add')", (WITHDRAWN, coder),
        )  # fmt: skip
        return {row["code_id"] for row in rows}

    def coders(self) -> list[CoderSummary]:
        rows = self.connection.execute(
            "SELECT coder, COUNT(*) AS decisions, COUNT(DISTINCT segment_id) AS segments, MIN(decided_at) AS first_at,"
            " MAX(decided_at) AS last_at FROM standing_decisions GROUP BY coder ORDER BY coder"
        )
        return [CoderSummary(row["coder"], row["decisions"], row["segments"], row["first_at"], row["last_at"]) for row in rows]

    def last_decided_segment(self, coder: str) -> str | None:
        """The segment of the coder's latest decision still standing: where a review resumes."""
        row = self.connection.execute(
            "SELECT segment_id FROM standing_decisions WHERE coder = ? AND part_of_decision_id IS NULL"
            " ORDER BY decision_id DESC LIMIT 1", (coder,),
        ).fetchone()  # fmt: skip
        return row["segment_id"] if row else None

    def resolve_segment_id(self, segment_id: str) -> str | None:
        """The segment's id now: itself, or the id a code rename or an edit of its transcript gave it since."""
        if self.connection.execute("SELECT 1 FROM segments WHERE segment_id = ?", (segment_id,)).fetchone():
            return segment_id
        row = self.connection.execute(
            "SELECT new_segment_id FROM segment_renames WHERE old_segment_id = ?"
            " UNION ALL SELECT new_segment_id FROM segment_moves WHERE old_segment_id = ?", (segment_id, segment_id),
        ).fetchone()  # fmt: skip
        return row["new_segment_id"] if row else None


def _check_code(code_id: str | None, decision: str, known_codes: set[str]) -> None:
    if not code_id:
        raise ProjectError(f"decision '{decision}' needs the code to give")
    if known_codes and code_id not in known_codes:
        raise ProjectError(f"'{code_id}' is not a code of the project's codebook")


def _decision_row(row: sqlite3.Row) -> DecisionRow:
    return DecisionRow(
        segment_id=row["segment_id"], coder=row["coder"], decision=row["decision"], new_code_id=row["new_code_id"],
        note=row["note"], decided_at=row["decided_at"], decision_id=row["decision_id"], source=row["source"],
        undoes_decision_id=row["undoes_decision_id"], part_of_decision_id=row["part_of_decision_id"],
    )  # fmt: skip

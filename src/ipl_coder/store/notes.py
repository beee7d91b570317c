"""The notes people wrote on segments, for the exports: every coder's note still standing, side by side.

A note is a decision of kind 'note', or the note given with another decision.
A coder's standing note on a segment is the latest one among their decisions
still standing, as in their own review (:meth:`DecisionQueries.coder_views`):
an undo brings the note before it back.
"""

from __future__ import annotations

import sqlite3

from ipl_coder.store.rows import SegmentNote


class NoteQueries:
    connection: sqlite3.Connection

    def standing_notes(self, *, transcript: str | None = None) -> dict[str, tuple[SegmentNote, ...]]:
        """Per segment id, each coder's standing note, by coder name; segments without a note are left out.

        With ``transcript``, only the notes on the segments of that transcript's current version.
        """
        latest: dict[tuple[str, str], SegmentNote] = {}
        if transcript is None:
            rows = self.connection.execute(
                "SELECT segment_id, coder, note, decided_at FROM standing_decisions"
                " WHERE note IS NOT NULL AND note != '' ORDER BY decision_id"
            )
        else:
            rows = self.connection.execute(
                "SELECT d.segment_id, d.coder, d.note, d.decided_at FROM transcripts t JOIN segments s USING (transcript_id)"
                " JOIN standing_decisions d ON d.segment_id = s.segment_id"
                " WHERE t.name = ? AND t.is_current = 1 AND d.note IS NOT NULL AND d.note != '' ORDER BY d.decision_id",
                (transcript,),
            )  # fmt: skip
        for row in rows:  # in the order written, so each coder's latest note wins
            latest[(row["segment_id"], row["coder"])] = SegmentNote(row["segment_id"], row["coder"], row["note"], row["decided_at"])
        notes: dict[str, list[SegmentNote]] = {}
        for (segment_id, _), note in sorted(latest.items()):
            notes.setdefault(segment_id, []).append(note)
        return {segment_id: tuple(by_coder) for segment_id, by_coder in notes.items()}

"""Carrying people's decisions over to a new version of a transcript's text.

When a transcript is edited (a typo fixed, a sentence added) and coded again,
its new text is a new version and the old one is retired. Every segment a person
decided on, or added, moves to the new version wherever its passage is still
there: the same words, at the occurrence nearest the old place (context around
the passage decides between repeats). Its id follows its new place, its
decisions follow it, and the old id is kept in ``segment_moves`` so a review
sheet exported before the edit still finds its rows. A passage that is no longer
in the text stays with the old version, out of sight, and is reported.
"""

from __future__ import annotations

import sqlite3

from ipl_coder.store.ids import human_segment_id, segment_id_for
from ipl_coder.store.rows import UnplacedPassage
from ipl_coder.store.sql import DECIDED, now

CONTEXT = (16, 48, 160)  # characters of context tried around a passage that occurs more than once


def find_passage_again(old_text: str, start_char: int, end_char: int, new_text: str) -> tuple[int, int] | None:
    """Where ``old_text[start_char:end_char]`` is in ``new_text``: the same words, nearest the same place."""
    passage = old_text[start_char:end_char]
    places = _occurrences(new_text, passage)
    if not places:
        return None
    for width in CONTEXT:
        if len(places) == 1:
            break
        before = old_text[max(0, start_char - width) : start_char]
        after = old_text[end_char : end_char + width]
        in_context = [place for place in places if new_text[max(0, place - len(before)) : place] == before
                      and new_text[place + len(passage) : place + len(passage) + len(after)] == after]  # fmt: skip
        if in_context:
            places = in_context
    shift = len(new_text) - len(old_text)  # an edit before the passage moves it by about this much, or not at all
    start = min(places, key=lambda place: min(abs(place - start_char), abs(place - start_char - shift)))
    return start, start + len(passage)


def _occurrences(text: str, passage: str) -> list[int]:
    places, place = [], text.find(passage)
    while place != -1 and passage:
        places.append(place)
        place = text.find(passage, place + 1)
    return places


class CarryQueries:
    connection: sqlite3.Connection

    def carry_segments(self, transcript_id: int, name: str, text: str, content_hash: str,
                       suggested_ids: set[str]) -> tuple[int, list[UnplacedPassage]]:  # fmt: skip
        """Move the decided segments of ``name``'s older versions to its current one; the number moved and those left.

        A pending suggestion the run makes again at its passage's new place is
        not moved (the run stores it anew) but its old id is mapped to the new
        one, so a sheet exported before the edit still finds every row.
        """
        rows = self.connection.execute(
            f"SELECT s.*, t.text AS old_text, {DECIDED} AS decided FROM segments s JOIN transcripts t USING (transcript_id)"
            " WHERE t.name = ? AND t.transcript_id != ? ORDER BY s.transcript_id, s.start_char, s.code_id",
            (name, transcript_id),
        ).fetchall()  # fmt: skip
        moved, unplaced = 0, []
        for row in rows:
            place = find_passage_again(row["old_text"], row["start_char"], row["end_char"], text)
            new_id = self._new_id(row, content_hash, place) if place else None
            if not row["decided"]:
                if new_id in suggested_ids:
                    self._remember_move(row["segment_id"], new_id)
                continue
            if place is None or new_id is None or self._taken(new_id):
                unplaced.append(UnplacedPassage(row["segment_id"], row["code_id"], row["text"], row["decided_by"] or row["coder"]))
                continue
            self._move(row, new_id, transcript_id, place)
            moved += 1
        return moved, unplaced

    def edited_transcripts(self) -> set[str]:
        """The transcripts whose text changed since they were first coded."""
        rows = self.connection.execute("SELECT name FROM transcripts GROUP BY name HAVING COUNT(*) > 1")
        return {row["name"] for row in rows}

    def _new_id(self, row: sqlite3.Row, content_hash: str, place: tuple[int, int]) -> str:
        if row["origin"] == "human":
            return human_segment_id(content_hash, row["code_id"], row["coder"] or "", *place)
        return segment_id_for(content_hash, row["code_id"], *place)

    def _taken(self, segment_id: str) -> bool:
        return self.connection.execute("SELECT 1 FROM segments WHERE segment_id = ?", (segment_id,)).fetchone() is not None

    def _move(self, row: sqlite3.Row, new_id: str, transcript_id: int, place: tuple[int, int]) -> None:
        old_id = row["segment_id"]
        turn = self.connection.execute(
            "SELECT turn_number, speaker FROM turns WHERE transcript_id = ? AND start_char <= ? AND end_char > ?",
            (transcript_id, place[0], place[0]),
        ).fetchone()  # fmt: skip
        columns = [name for name in row.keys() if name not in ("segment_id", "transcript_id", "start_char", "end_char",
                                                                "turn_number", "speaker", "old_text", "decided")]  # fmt: skip
        self.connection.execute(
            f"INSERT INTO segments (segment_id, transcript_id, start_char, end_char, turn_number, speaker, {', '.join(columns)})"
            f" SELECT ?, ?, ?, ?, ?, ?, {', '.join(columns)} FROM segments WHERE segment_id = ?",
            (new_id, transcript_id, *place, turn["turn_number"] if turn else row["turn_number"],
             turn["speaker"] if turn else row["speaker"], old_id),
        )  # fmt: skip
        self.connection.execute("UPDATE decisions SET segment_id = ? WHERE segment_id = ?", (new_id, old_id))
        self.connection.execute("DELETE FROM segments WHERE segment_id = ?", (old_id,))
        self._remember_move(old_id, new_id)

    def _remember_move(self, old_id: str, new_id: str) -> None:
        for table in ("segment_renames", "segment_moves"):
            self.connection.execute(f"UPDATE {table} SET new_segment_id = ? WHERE new_segment_id = ?", (new_id, old_id))
        self.connection.execute(
            "INSERT OR REPLACE INTO segment_moves (old_segment_id, new_segment_id, moved_at) VALUES (?, ?, ?)",
            (old_id, new_id, now()),
        )
        # An edit undone moves a segment back to an id it once had: that id is no longer an old one.
        self.connection.execute("DELETE FROM segment_moves WHERE old_segment_id = new_segment_id")
        self.connection.execute("DELETE FROM segment_renames WHERE old_segment_id = new_segment_id")

"""Renaming a code in a project, and what people did with a code (the reason not to drop it lightly)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence

from ipl_coder.errors import ProjectError
from ipl_coder.store.ids import human_segment_id, segment_id_for
from ipl_coder.store.inputs import CodebookInput
from ipl_coder.store.rows import HumanWork, RenameResult
from ipl_coder.store.sql import DECIDED, json_list, now


class RenameQueries:
    connection: sqlite3.Connection
    _record_codebook: Callable[[CodebookInput], int]  # ProjectStore's

    def human_work(self, code_ids: Sequence[str]) -> list[HumanWork]:
        """Per code, the segments people decided or added and their decisions (old transcript versions included)."""
        work = []
        for code_id in code_ids:
            segments = self.connection.execute(
                f"SELECT COUNT(*) AS n FROM segments WHERE code_id = ? AND {DECIDED}", (code_id,)
            ).fetchone()["n"]
            decisions = self.connection.execute(
                "SELECT COUNT(*) AS n FROM decisions WHERE new_code_id = ? OR segment_id IN"
                " (SELECT segment_id FROM segments WHERE code_id = ?)", (code_id, code_id),
            ).fetchone()["n"]  # fmt: skip
            if segments or decisions:
                work.append(HumanWork(code_id, segments, decisions))
        return work

    def rename_code(self, old_code_id: str, new_code_id: str, codebook: CodebookInput,
                    before_commit: Callable[[], None] | None = None) -> RenameResult:  # fmt: skip
        """Give ``old_code_id``'s segments and decisions to ``new_code_id``, in one transaction.

        Segment ids follow from the code, so renamed segments get new ids (the
        ones a run with the renamed codebook gives them); each old id is kept in
        segment_renames. ``before_commit`` runs last inside the transaction:
        if it fails (writing the codebook, say) nothing here is changed.
        """
        with self.connection:
            rows = self.connection.execute(
                "SELECT s.segment_id, s.start_char, s.end_char, s.rules_json, s.origin, s.coder, t.content_hash"
                " FROM segments s JOIN transcripts t USING (transcript_id) WHERE s.code_id = ?", (old_code_id,),
            ).fetchall()  # fmt: skip
            rules = {row["segment_id"]: json_list([new_code_id + rule[len(old_code_id):] if rule.startswith(f"{old_code_id}:")
                                                    else rule for rule in json.loads(row["rules_json"])]) for row in rows}  # fmt: skip
            moves = {row["segment_id"]: _renamed_id(row, new_code_id) for row in rows}
            replaced = self._clear_rename_targets(list(moves.values()))
            cursor = self.connection.execute(
                "INSERT INTO code_renames (old_code_id, new_code_id, codebook_version_id, after_run_id, renamed_at)"
                " VALUES (?, ?, ?, (SELECT MAX(run_id) FROM runs), ?)",
                (old_code_id, new_code_id, self._record_codebook(codebook), now()),
            )  # fmt: skip
            rename_id = int(cursor.lastrowid or 0)
            columns = ", ".join(name for name in self._segment_columns() if name not in ("segment_id", "code_id"))
            decisions = 0
            for old_id, new_id in moves.items():
                self.connection.execute(
                    f"INSERT INTO segments (segment_id, code_id, {columns}) SELECT ?, ?, {columns} FROM segments"
                    " WHERE segment_id = ?", (new_id, new_code_id, old_id),
                )  # fmt: skip
                self.connection.execute("UPDATE segments SET rules_json = ? WHERE segment_id = ?", (rules[old_id], new_id))
                decisions += self.connection.execute(
                    "UPDATE decisions SET segment_id = ? WHERE segment_id = ?", (new_id, old_id)
                ).rowcount
                self.connection.execute("DELETE FROM segments WHERE segment_id = ?", (old_id,))
                self.connection.execute("UPDATE segment_renames SET new_segment_id = ? WHERE new_segment_id = ?", (new_id, old_id))
                self.connection.execute(
                    "INSERT OR REPLACE INTO segment_renames (old_segment_id, new_segment_id, rename_id) VALUES (?, ?, ?)",
                    (old_id, new_id, rename_id),
                )
            decisions += self.connection.execute(
                "UPDATE decisions SET new_code_id = ? WHERE new_code_id = ?", (new_code_id, old_code_id)
            ).rowcount
            if before_commit:
                before_commit()
        return RenameResult(len(moves), decisions, replaced)

    def followed_segment_id(self, segment_id: str) -> str | None:
        """Where an old segment id went through code renames and edits of its transcript; None if it is no old id."""
        row = self.connection.execute(
            "SELECT new_segment_id FROM segment_renames WHERE old_segment_id = ?"
            " UNION ALL SELECT new_segment_id FROM segment_moves WHERE old_segment_id = ?", (segment_id, segment_id),
        ).fetchone()  # fmt: skip
        return row["new_segment_id"] if row else None

    def codes_renamed_from(self, code_id: str) -> set[str]:
        """Every id ``code_id`` was renamed to since, directly or through other renames."""
        renames: dict[str, set[str]] = {}
        for row in self.connection.execute("SELECT old_code_id, new_code_id FROM code_renames"):
            renames.setdefault(row["old_code_id"], set()).add(row["new_code_id"])
        found: set[str] = set()
        waiting = [code_id]
        while waiting:
            for new_code_id in renames.get(waiting.pop(), ()):
                if new_code_id not in found:
                    found.add(new_code_id)
                    waiting.append(new_code_id)
        return found

    def _clear_rename_targets(self, new_ids: list[str]) -> int:
        """Pending suggestions already under a renamed segment's new id give way; decided ones block the rename."""
        replaced = 0
        for new_id in new_ids:
            row = self.connection.execute(
                f"SELECT segment_id, {DECIDED} AS decided FROM segments WHERE segment_id = ?", (new_id,)
            ).fetchone()
            if row is None:
                continue
            if row["decided"]:
                raise ProjectError(
                    f"segment {new_id} already has the new code and a person decided on it; "
                    "the project has decisions under both names, so they cannot be merged by a rename"
                )
            self.connection.execute("DELETE FROM segments WHERE segment_id = ?", (new_id,))
            replaced += 1
        return replaced

    def _segment_columns(self) -> list[str]:
        return [row["name"] for row in self.connection.execute("PRAGMA table_info(segments)")]




def _renamed_id(row: sqlite3.Row, new_code_id: str) -> str:
    """The id a run with the renamed codebook gives the segment; a person's code stays theirs."""
    if row["origin"] == "human":
        return human_segment_id(row["content_hash"], new_code_id, row["coder"] or "", row["start_char"], row["end_char"])
    return segment_id_for(row["content_hash"], new_code_id, row["start_char"], row["end_char"])

"""The project store: transcripts, codebooks, runs and the machine's suggestions.

Machine suggestions have one write path, :meth:`ProjectStore.save_coded_transcript`,
which replaces a transcript's pending suggestions and never deletes or alters a
segment a person has decided. People's decisions are in :mod:`ipl_coder.store.decisions`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from ipl_coder.errors import ProjectError, TranscriptError
from ipl_coder.files import leave_private
from ipl_coder.store.batching import BatchedCommits
from ipl_coder.store.carry import CarryQueries
from ipl_coder.store.decisions import DecisionQueries
from ipl_coder.store.inputs import (
    CodebookInput,
    ModelSegmentInput,
    ParticipantsInput,
    SegmentInput,
    TranscriptInput,
)
from ipl_coder.store.learned import LearnedQueries, reason_json
from ipl_coder.store.lock import LockKind, ProjectLock
from ipl_coder.store.migrations import migrate
from ipl_coder.store.notes import NoteQueries
from ipl_coder.store.renames import RenameQueries
from ipl_coder.store.rows import (
    CodeRow,
    ParticipantRow,
    RunRow,
    SaveResult,
    SegmentRow,
    SpeakerRow,
    StoredCodebook,
    StoredParticipants,
    StoredTranscript,
    TranscriptInfo,
    TranscriptRow,
    TurnRow,
)  # fmt: skip
from ipl_coder.store.segment_rows import SELECT_SEGMENTS, segment_row
from ipl_coder.store.sql import DECIDED, json_dict, json_list, now, write_error

STORE_FILENAME = "project.sqlite"
COUNTED_STATUSES = ("pending", "accepted")  # what counts by default


class _Connection(sqlite3.Connection):
    """A connection whose transactions (``with connection:``) fail as a :class:`ProjectError` naming the store.

    SQLite reports a full disk ("database or disk is full", "disk I/O error"), a
    store another program holds ("database is locked") or one that cannot be
    written as its own errors; every write goes through such a transaction.
    """

    store_path = Path(STORE_FILENAME)

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 trace: TracebackType | None) -> Literal[False]:  # fmt: skip
        try:
            super().__exit__(kind, value, trace)  # commits, or rolls back on an error
        except sqlite3.Error as error:  # the commit itself failed
            raise write_error(self.store_path, error) from error
        if isinstance(value, sqlite3.Error):
            raise write_error(self.store_path, value) from value
        return False


class ProjectStore(DecisionQueries, RenameQueries, CarryQueries, NoteQueries, LearnedQueries, BatchedCommits):
    """One project's SQLite file; rows come back as frozen dataclasses, never tuples."""

    def __init__(self, connection: sqlite3.Connection, path: Path, lock: ProjectLock | None = None) -> None:
        self.connection = connection
        self.path = path
        self.lock = lock

    @property
    def project_dir(self) -> Path:
        return self.path.parent

    @classmethod
    def open(cls, project_dir: Path, *, create: bool = False, lock: LockKind | None = None) -> ProjectStore:
        """Open the project's store; ``lock`` for a command that changes it (see :mod:`ipl_coder.store.lock`).

        A new project folder is its owner's only: it holds whole interviews.
        """
        path = project_dir / STORE_FILENAME
        if project_dir.exists() and not project_dir.is_dir():
            raise ProjectError(f"{project_dir}: this is a file; give a folder for the project")
        new = not path.exists()
        if new:
            if not create:
                raise ProjectError(f"{project_dir}: no project here (no {STORE_FILENAME}); run 'ipl-coder code' first")
            try:
                project_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as error:
                raise ProjectError(f"{project_dir}: cannot create the project folder: {error.strerror}") from None
        taken = ProjectLock.take(project_dir, lock) if lock else None
        try:
            connection = sqlite3.connect(path, factory=_Connection)
            connection.store_path = path
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
            migrate(connection)
        except sqlite3.DatabaseError as error:
            if taken:
                taken.release()
            if getattr(error, "sqlite_errorname", "").startswith(("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_BUSY", "SQLITE_READONLY")):
                raise write_error(path, error) from None  # the disk or another program, not the store, is the trouble
            raise ProjectError(f"{path}: not a usable ipl-coder project store ({error})") from None
        if new:
            leave_private(path)
        return cls(connection, path, taken)

    def close(self) -> None:
        self.connection.close()
        if self.lock:
            self.lock.release()

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def record_codebook(self, codebook: CodebookInput) -> int:
        """The id of this exact codebook text, storing it and its codes the first time."""
        with self.connection:
            return self._record_codebook(codebook)

    def _record_codebook(self, codebook: CodebookInput) -> int:
        row = self.connection.execute(
            "SELECT codebook_version_id FROM codebook_versions WHERE content_hash = ?", (codebook.content_hash,)
        ).fetchone()
        if row:
            return int(row["codebook_version_id"])
        cursor = self.connection.execute(
            "INSERT INTO codebook_versions (content_hash, name, version, language, source_path, yaml, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (codebook.content_hash, codebook.name, codebook.version, codebook.language,
             str(codebook.path), codebook.yaml_text, now()),
        )  # fmt: skip
        version_id = int(cursor.lastrowid or 0)
        self.connection.executemany(
            "INSERT INTO codes (codebook_version_id, code_id, parent_id, label, color, position) VALUES (?, ?, ?, ?, ?, ?)",
            [(version_id, code.code_id, code.parent_id, code.label, code.color, position)
             for position, code in enumerate(codebook.codes)],
        )  # fmt: skip
        return version_id

    def start_run(self, codebook_version_id: int, pipeline: str, spacy_version: str, ipl_coder_version: str,
                  unit: str, options: dict[str, Any]) -> int:  # fmt: skip
        with self.connection:
            cursor = self.connection.execute(
                "INSERT INTO runs (started_at, codebook_version_id, pipeline, spacy_version, ipl_coder_version, unit,"
                " options_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (now(), codebook_version_id, pipeline, spacy_version, ipl_coder_version, unit,
                 json.dumps(options, sort_keys=True)),
            )  # fmt: skip
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, *, coded: int, skipped: int, segments: int, words: int) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE runs SET finished_at = ?, transcripts_coded = ?, transcripts_skipped = ?,"
                " segments_suggested = ?, words = ? WHERE run_id = ?",
                (now(), coded, skipped, segments, words, run_id),
            )

    def save_coded_transcript(self, transcript: TranscriptInput, segments: Sequence[SegmentInput], run_id: int,
                              model_segments: Sequence[ModelSegmentInput] = ()) -> SaveResult:  # fmt: skip
        """Store a transcript and the run's suggestions for it, in one transaction.

        When its text changed since it was last coded, the segments people decided
        on move to the new text first (see :mod:`ipl_coder.store.carry`).
        ``model_segments`` are the learned model's suggestions: one with the id of
        a rule's suggestion is left out (the rule's stands), and like a rule's, a
        decided one is kept with its decisions.
        """
        rule_ids = {segment.segment_id for segment in segments}
        model_segments = [segment for segment in model_segments if segment.segment_id not in rule_ids]
        with self._transcript_transaction():
            transcript_id, changed = self._upsert_transcript(transcript)
            created_at = now()
            rows = [_suggestion_row(s, transcript_id, "machine", run_id, created_at) for s in segments]
            rows += [_suggestion_row(s, transcript_id, "model", run_id, created_at) for s in model_segments]
            kept = self._keep_unchanged_suggestions(transcript_id, rows, run_id, created_at) if not changed else set()
            if changed:
                self.connection.execute(f"DELETE FROM segments WHERE transcript_id = ? AND NOT {DECIDED}", (transcript_id,))
            suggested_ids = rule_ids | {segment.segment_id for segment in model_segments}
            carried, unplaced = (self.carry_segments(transcript_id, transcript.name, transcript.text, transcript.content_hash,
                                                     suggested_ids) if changed else (0, []))  # fmt: skip
            self._retire_older_versions(transcript.name, transcript_id)
            decided = self._decided_segment_ids(transcript_id)
            self.connection.executemany(
                f"INSERT INTO segments ({', '.join(_SUGGESTION_COLUMNS)}) VALUES ({', '.join('?' for _ in _SUGGESTION_COLUMNS)})",
                [row for row in rows if row[0] not in decided and row[0] not in kept],
            )
            # Decided segments keep everything a person saw; only "still suggested?" follows the run.
            self.connection.executemany(
                "UPDATE segments SET suggested = ? WHERE segment_id = ?",
                [(int(segment_id in suggested_ids), segment_id) for segment_id in decided],
            )
        return SaveResult(suggested=len(segments) + len(model_segments), kept_decided=len(decided), carried=carried,
                          unplaced=tuple(unplaced), learned=len(model_segments))  # fmt: skip

    def add_transcript(self, transcript: TranscriptInput) -> bool:
        """Add a transcript as it is, with no suggestions; False when the project holds it already with this text.

        An import never overwrites: a current transcript of the same name with other text is refused, as is the
        same text under another name.
        """
        with self.connection:
            current = self.connection.execute(
                "SELECT content_hash FROM transcripts WHERE name = ? AND is_current = 1", (transcript.name,)
            ).fetchone()
            if current and current["content_hash"] != transcript.content_hash:
                raise TranscriptError(transcript.source_path, f"the project has a transcript '{transcript.name}' with other "
                                      "text; it is not replaced")  # fmt: skip
            _, changed = self._upsert_transcript(transcript)
            return changed

    def _upsert_transcript(self, transcript: TranscriptInput) -> tuple[int, bool]:
        """The transcript's row, and whether its text is new here (a first version, an edit or an edit undone)."""
        twin = self.connection.execute(
            "SELECT name FROM transcripts WHERE content_hash = ? AND name != ? AND is_current = 1",
            (transcript.content_hash, transcript.name),
        ).fetchone()
        if twin:
            raise TranscriptError(transcript.source_path, f"same text as transcript '{twin['name']}' already in the project; skipped")
        row = self.connection.execute(
            "SELECT transcript_id, is_current FROM transcripts WHERE name = ? AND content_hash = ?",
            (transcript.name, transcript.content_hash),
        ).fetchone()
        changed = not (row and row["is_current"])
        attributes = json_dict(transcript.attributes)
        speaker_attributes = json_dict({label: dict(values) for label, values in transcript.speaker_attributes.items()})
        if row:
            transcript_id = int(row["transcript_id"])
            self.connection.execute(
                "UPDATE transcripts SET source_path = ?, is_current = 1, language = ?, attributes_json = ?,"
                " speaker_attributes_json = ? WHERE transcript_id = ?",
                (str(transcript.source_path), transcript.language, attributes, speaker_attributes, transcript_id),
            )
        else:
            cursor = self.connection.execute(
                "INSERT INTO transcripts (name, content_hash, source_path, format, encoding, language, text,"
                " attributes_json, speaker_attributes_json, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (transcript.name, transcript.content_hash, str(transcript.source_path), transcript.format,
                 transcript.encoding, transcript.language, transcript.text, attributes, speaker_attributes, now()),
            )  # fmt: skip
            transcript_id = int(cursor.lastrowid or 0)
            self.connection.executemany(
                "INSERT INTO turns (transcript_id, turn_number, speaker, role, start_char, end_char, word_count,"
                " timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(transcript_id, turn.number, turn.speaker, turn.role, turn.start_char, turn.end_char, words,
                  turn.timestamp) for turn, words in zip(transcript.turns, transcript.turn_word_counts, strict=True)],
            )  # fmt: skip
        return transcript_id, changed

    def _retire_older_versions(self, name: str, current_id: int) -> None:
        """An edited transcript's old version stays only for the decisions made on it."""
        older = [int(row["transcript_id"]) for row in self.connection.execute(
            "SELECT transcript_id FROM transcripts WHERE name = ? AND transcript_id != ?", (name, current_id))]  # fmt: skip
        for transcript_id in older:
            self.connection.execute("UPDATE transcripts SET is_current = 0 WHERE transcript_id = ?", (transcript_id,))
            self.connection.execute(
                f"DELETE FROM segments WHERE transcript_id = ? AND NOT {DECIDED}", (transcript_id,)
            )

    def _decided_segment_ids(self, transcript_id: int) -> set[str]:
        rows = self.connection.execute(
            f"SELECT segment_id FROM segments WHERE transcript_id = ? AND {DECIDED}", (transcript_id,)
        )
        return {row["segment_id"] for row in rows}

    def _keep_unchanged_suggestions(self, transcript_id: int, rows: list[tuple[Any, ...]], run_id: int, created_at: str) -> set[str]:
        """Keep the transcript's pending suggestions this run makes again exactly, as this run's; delete the others.

        The same rows as deleting them all and inserting the new ones, at a fraction of the cost on a re-run, where
        most suggestions come back unchanged.
        """
        wanted = {row[0]: row[2:_COMPARED_UP_TO] for row in rows}
        existing = self.connection.execute(
            f"SELECT {', '.join(_SUGGESTION_COLUMNS[:_COMPARED_UP_TO])} FROM segments WHERE transcript_id = ? AND NOT {DECIDED}",
            (transcript_id,),
        ).fetchall()
        stale = [row["segment_id"] for row in existing
                 if wanted.get(row["segment_id"]) != tuple(row[column] for column in _SUGGESTION_COLUMNS[2:_COMPARED_UP_TO])]  # fmt: skip
        self.connection.executemany("DELETE FROM segments WHERE segment_id = ?", [(segment_id,) for segment_id in stale])
        self.connection.execute(f"UPDATE segments SET run_id = ?, created_at = ? WHERE transcript_id = ? AND NOT {DECIDED}",
                                (run_id, created_at, transcript_id))  # fmt: skip
        return {row["segment_id"] for row in existing} - set(stale)

    def segments(self, statuses: Iterable[str] | None = None, *, origin: str | None = None,
                 transcript: str | None = None) -> Iterator[SegmentRow]:  # fmt: skip
        """Segments of the current transcripts, by transcript, position and code."""
        query = SELECT_SEGMENTS + " WHERE t.is_current = 1"
        parameters: list[Any] = []
        if statuses is not None:
            wanted = tuple(statuses)
            query += f" AND s.status IN ({', '.join('?' for _ in wanted)})"
            parameters += wanted
        if origin is not None:
            query += " AND s.origin = ?"
            parameters.append(origin)
        if transcript is not None:
            query += " AND t.name = ?"
            parameters.append(transcript)
        query += " ORDER BY t.name, s.start_char, s.end_char, s.code_id, s.segment_id"  # the id: ties in a stable order
        cursor = self.connection.cursor()
        cursor.row_factory = None  # tuples, unpacked in _segment_row: sqlite3.Row's lookups by name slowed big exports
        for row in cursor.execute(query, parameters):
            yield segment_row(row)

    def segment(self, segment_id: str) -> SegmentRow | None:
        cursor = self.connection.cursor()
        cursor.row_factory = None  # as in segments()
        row = cursor.execute(SELECT_SEGMENTS + " WHERE s.segment_id = ?", (segment_id,)).fetchone()
        return segment_row(row) if row else None

    def transcripts(self, name: str | None = None) -> list[TranscriptRow]:
        """The current transcripts (or the one named), by name."""
        rows = self.connection.execute(
            "SELECT transcript_id, name, content_hash, text, language, attributes_json, speaker_attributes_json"
            " FROM transcripts WHERE is_current = 1 AND (? IS NULL OR name = ?) ORDER BY name", (name, name),
        )  # fmt: skip
        return [
            TranscriptRow(row["transcript_id"], row["name"], row["content_hash"], row["text"], row["language"],
                          json.loads(row["attributes_json"]), json.loads(row["speaker_attributes_json"]))
            for row in rows
        ]  # fmt: skip

    def transcript_infos(self) -> list[TranscriptInfo]:
        """The current transcripts, by name, without their texts: a whole project's texts need not sit in memory."""
        rows = self.connection.execute(
            "SELECT transcript_id, name, language, attributes_json, speaker_attributes_json"
            " FROM transcripts WHERE is_current = 1 ORDER BY name"
        )
        return [
            TranscriptInfo(row["transcript_id"], row["name"], row["language"], json.loads(row["attributes_json"]),
                           json.loads(row["speaker_attributes_json"]))
            for row in rows
        ]  # fmt: skip

    def transcript(self, name: str) -> TranscriptRow | None:
        """The current version of one transcript, by name."""
        return next((row for row in self.transcripts(name) if row.name == name), None)

    def turns(self, transcript_id: int) -> list[TurnRow]:
        rows = self.connection.execute("SELECT * FROM turns WHERE transcript_id = ? ORDER BY turn_number", (transcript_id,))
        return [TurnRow(row["turn_number"], row["speaker"], row["role"], row["start_char"], row["end_char"], row["timestamp"])
                for row in rows]  # fmt: skip

    def transcript_languages(self) -> dict[str, str | None]:
        """Each current transcript's language, by name, without reading the texts."""
        rows = self.connection.execute("SELECT name, language FROM transcripts WHERE is_current = 1 ORDER BY name")
        return {row["name"]: row["language"] for row in rows}

    def stored_transcripts(self) -> Iterator[StoredTranscript]:
        """The current transcripts as they were coded, one at a time, to code them again without the files."""
        ids = [row["transcript_id"] for row in self.connection.execute(
            "SELECT transcript_id FROM transcripts WHERE is_current = 1 ORDER BY name")]  # fmt: skip
        for transcript_id in ids:
            row = self.connection.execute("SELECT * FROM transcripts WHERE transcript_id = ?", (transcript_id,)).fetchone()
            turns = tuple(self.turns(transcript_id))
            yield StoredTranscript(
                name=row["name"], source_path=row["source_path"], format=row["format"], encoding=row["encoding"],
                text=row["text"], turns=turns, attributes=json.loads(row["attributes_json"]),
                speaker_attributes=json.loads(row["speaker_attributes_json"]), language=row["language"],
            )  # fmt: skip

    def latest_run(self) -> RunRow | None:
        row = self.connection.execute(
            "SELECT r.*, v.content_hash FROM runs r JOIN codebook_versions v USING (codebook_version_id)"
            " ORDER BY r.run_id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return RunRow(row["run_id"], row["started_at"], row["codebook_version_id"], row["content_hash"],
                      row["pipeline"], row["unit"], json.loads(row["options_json"]))  # fmt: skip

    def speakers(self) -> list[SpeakerRow]:
        """Every speaker of every current transcript, in order of first turn."""
        rows = self.connection.execute(
            "SELECT t.name AS transcript, u.speaker, u.role, COUNT(*) AS turns, SUM(u.word_count) AS words"
            " FROM turns u JOIN transcripts t USING (transcript_id) WHERE t.is_current = 1"
            " GROUP BY t.name, u.speaker, u.role ORDER BY t.name, MIN(u.turn_number)"
        )
        return [SpeakerRow(row["transcript"], row["speaker"], row["role"], row["turns"], row["words"]) for row in rows]

    def replace_participants(self, table: ParticipantsInput) -> None:
        """Make ``table`` the project's participants register, in place of the one before."""
        with self.connection:
            self.connection.execute("DELETE FROM participant_entries")
            self.connection.execute("DELETE FROM participant_columns")
            self.connection.executemany(
                "INSERT INTO participant_entries (transcript_key, speaker, participant, attributes_json, source, line)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(entry.transcript, entry.speaker, entry.participant, json_dict(entry.attributes), table.source,
                  entry.line) for entry in table.entries],
            )  # fmt: skip
            self.connection.executemany(
                "INSERT INTO participant_columns (position, name) VALUES (?, ?)", enumerate(table.attribute_names)
            )

    def participants(self) -> StoredParticipants | None:
        """The participants register last given, if any."""
        rows = self.connection.execute("SELECT * FROM participant_entries ORDER BY entry_id").fetchall()
        if not rows:
            return None
        columns = [row["name"] for row in self.connection.execute("SELECT name FROM participant_columns ORDER BY position")]
        entries = tuple(
            ParticipantRow(row["transcript_key"], row["speaker"], row["participant"],
                           json.loads(row["attributes_json"]), row["line"])
            for row in rows
        )  # fmt: skip
        return StoredParticipants(rows[0]["source"], entries, tuple(columns))

    def latest_codes(self) -> list[CodeRow]:
        """The code tree of the current codebook (the latest run's, or a later rename's), in codebook order."""
        rows = self.connection.execute(
            "SELECT code_id, parent_id, label, color, position FROM codes WHERE codebook_version_id = ? ORDER BY position",
            (self._current_codebook_version_id(),),
        )
        return [CodeRow(row["code_id"], row["parent_id"], row["label"], row["color"], row["position"]) for row in rows]

    def current_codebook_hash(self) -> str | None:
        """The content hash of the codebook the project's segments are under now."""
        row = self.connection.execute(
            "SELECT content_hash FROM codebook_versions WHERE codebook_version_id = ?", (self._current_codebook_version_id(),)
        ).fetchone()
        return row["content_hash"] if row else None

    def current_codebook(self) -> StoredCodebook | None:
        """The codebook the project's segments are under now, as it was stored."""
        row = self.connection.execute(
            "SELECT yaml, source_path, name, version FROM codebook_versions WHERE codebook_version_id = ?",
            (self._current_codebook_version_id(),),
        ).fetchone()
        return StoredCodebook(row["yaml"], row["source_path"], row["name"] or "", row["version"] or "") if row else None

    def _current_code_ids(self) -> set[str]:
        return {code.code_id for code in self.latest_codes()}

    def export_statuses(self) -> tuple[str, ...]:
        """The statuses the latest run counted in its exports; rewriting them after a review keeps that choice."""
        run = self.latest_run()
        statuses = run.options.get("statuses") if run else None
        return tuple(statuses) if statuses else COUNTED_STATUSES

    def _current_codebook_version_id(self) -> int | None:
        rename = self.connection.execute(
            "SELECT codebook_version_id FROM code_renames WHERE after_run_id IS (SELECT MAX(run_id) FROM runs)"
            " ORDER BY rename_id DESC LIMIT 1"
        ).fetchone()
        if rename:
            return int(rename["codebook_version_id"])
        run = self.connection.execute("SELECT codebook_version_id FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        return int(run["codebook_version_id"]) if run else None


# A suggestion's columns, as _suggestion_row gives them; up to the run's own (run_id, created_at), a re-run compares them.
_SUGGESTION_COLUMNS = ("segment_id", "transcript_id", "code_id", "start_char", "end_char", "speaker", "turn_number", "unit",
                       "text", "matched_json", "rules_json", "origin", "score", "reason_json", "run_id", "created_at")  # fmt: skip
_COMPARED_UP_TO = _SUGGESTION_COLUMNS.index("run_id")


def _suggestion_row(segment: SegmentInput | ModelSegmentInput, transcript_id: int, origin: str, run_id: int,
                    created_at: str) -> tuple[Any, ...]:  # fmt: skip
    model = origin == "model"
    return (segment.segment_id, transcript_id, segment.code_id, segment.start_char, segment.end_char, segment.speaker,
            segment.turn_number, segment.unit, segment.text, json_list(segment.matched), json_list(segment.rules), origin,
            segment.score if model else None, reason_json(segment.reason) if model else "{}", run_id, created_at)  # type: ignore[union-attr]  # fmt: skip

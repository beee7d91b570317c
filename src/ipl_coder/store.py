"""The project store: one SQLite file per project, and the only module that speaks SQL.

Rows come back as frozen dataclasses. Machine suggestions have one write path,
:meth:`ProjectStore.save_coded_transcript`, which replaces a transcript's
pending suggestions and never deletes or alters a segment a person has decided.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from ipl_coder.codebook import Codebook
from ipl_coder.coding import Segment, segment_id_for
from ipl_coder.errors import ProjectError, TranscriptError
from ipl_coder.migrations import migrate
from ipl_coder.participants import ParticipantEntry, ParticipantTable
from ipl_coder.transcripts import Transcript, Turn

STORE_FILENAME = "project.sqlite"
COUNTED_STATUSES = ("pending", "accepted")  # what counts by default
# What each decision does to a segment's status (a note leaves it as it is).
DECISION_STATUS: dict[str, str | None] = {"accept": "accepted", "reject": "rejected", "recode": "recoded", "note": None}


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
    decision: str
    new_code_id: str | None
    note: str | None
    decided_at: str


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
class SaveResult:
    suggested: int  # segments the run suggested for this transcript
    kept_decided: int  # segments a person decided, kept whatever the run said


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class ProjectStore:
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, project_dir: Path, *, create: bool = False) -> ProjectStore:
        path = project_dir / STORE_FILENAME
        if project_dir.exists() and not project_dir.is_dir():
            raise ProjectError(f"{project_dir}: this is a file; give a folder for the project")
        if not path.exists():
            if not create:
                raise ProjectError(f"{project_dir}: no project here (no {STORE_FILENAME}); run 'ipl-coder code' first")
            try:
                project_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ProjectError(f"{project_dir}: cannot create the project folder: {error.strerror}") from None
        try:
            connection = sqlite3.connect(path)
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA foreign_keys = ON")
            migrate(connection)
        except sqlite3.DatabaseError as error:
            raise ProjectError(f"{path}: not a usable ipl-coder project store ({error})") from None
        return cls(connection, path)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None) -> None:
        self.close()

    def record_codebook(self, codebook: Codebook) -> int:
        """The id of this exact codebook text, storing it and its codes the first time."""
        with self.connection:
            return self._record_codebook(codebook)

    def _record_codebook(self, codebook: Codebook) -> int:
        row = self.connection.execute(
            "SELECT codebook_version_id FROM codebook_versions WHERE content_hash = ?", (codebook.content_hash,)
        ).fetchone()
        if row:
            return int(row["codebook_version_id"])
        cursor = self.connection.execute(
            "INSERT INTO codebook_versions (content_hash, name, version, language, source_path, yaml, added_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (codebook.content_hash, codebook.name, codebook.version, codebook.language,
             str(codebook.path), codebook.yaml_text, _now()),
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
                (_now(), codebook_version_id, pipeline, spacy_version, ipl_coder_version, unit,
                 json.dumps(options, sort_keys=True)),
            )  # fmt: skip
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, *, coded: int, skipped: int, segments: int, words: int) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE runs SET finished_at = ?, transcripts_coded = ?, transcripts_skipped = ?,"
                " segments_suggested = ?, words = ? WHERE run_id = ?",
                (_now(), coded, skipped, segments, words, run_id),
            )

    def save_coded_transcript(self, transcript: Transcript, segments: Sequence[Segment], run_id: int) -> SaveResult:
        """Store a transcript and the run's suggestions for it, in one transaction."""
        with self.connection:
            transcript_id = self._upsert_transcript(transcript)
            decided = self._decided_segment_ids(transcript_id)
            self.connection.execute(f"DELETE FROM segments WHERE transcript_id = ? AND NOT {_DECIDED}", (transcript_id,))
            now = _now()
            self.connection.executemany(
                "INSERT INTO segments (segment_id, transcript_id, code_id, start_char, end_char, speaker, turn_number,"
                " unit, text, matched_json, rules_json, run_id, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(s.segment_id, transcript_id, s.code_id, s.start_char, s.end_char, s.speaker, s.turn_number, s.unit,
                  s.text, _json_list(s.matched), _json_list(s.rules), run_id, now)
                 for s in segments if s.segment_id not in decided],
            )  # fmt: skip
            # Decided segments keep everything a person saw; only "still suggested?" follows the run.
            suggested_ids = {segment.segment_id for segment in segments}
            self.connection.executemany(
                "UPDATE segments SET suggested = ? WHERE segment_id = ?",
                [(int(segment_id in suggested_ids), segment_id) for segment_id in decided],
            )
        return SaveResult(suggested=len(segments), kept_decided=len(decided))

    def _upsert_transcript(self, transcript: Transcript) -> int:
        twin = self.connection.execute(
            "SELECT name FROM transcripts WHERE content_hash = ? AND name != ? AND is_current = 1",
            (transcript.content_hash, transcript.name),
        ).fetchone()
        if twin:
            raise TranscriptError(transcript.source_path, f"same text as transcript '{twin['name']}' already in the project; skipped")
        row = self.connection.execute(
            "SELECT transcript_id FROM transcripts WHERE name = ? AND content_hash = ?",
            (transcript.name, transcript.content_hash),
        ).fetchone()
        attributes = _json_dict(transcript.attributes)
        speaker_attributes = _json_dict({label: dict(values) for label, values in transcript.speaker_attributes.items()})
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
                 transcript.encoding, transcript.language, transcript.text, attributes, speaker_attributes, _now()),
            )  # fmt: skip
            transcript_id = int(cursor.lastrowid or 0)
            self.connection.executemany(
                "INSERT INTO turns (transcript_id, turn_number, speaker, role, start_char, end_char, word_count,"
                " timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(transcript_id, turn.number, turn.speaker, turn.role, turn.start_char, turn.end_char, words,
                  turn.timestamp) for turn, words in zip(transcript.turns, transcript.turn_word_counts)],
            )  # fmt: skip
        self._retire_older_versions(transcript.name, transcript_id)
        return transcript_id

    def _retire_older_versions(self, name: str, current_id: int) -> None:
        """An edited transcript's old version stays only for the decisions made on it."""
        older = [int(row["transcript_id"]) for row in self.connection.execute(
            "SELECT transcript_id FROM transcripts WHERE name = ? AND transcript_id != ?", (name, current_id))]  # fmt: skip
        for transcript_id in older:
            self.connection.execute("UPDATE transcripts SET is_current = 0 WHERE transcript_id = ?", (transcript_id,))
            self.connection.execute(
                f"DELETE FROM segments WHERE transcript_id = ? AND NOT {_DECIDED}", (transcript_id,)
            )

    def _decided_segment_ids(self, transcript_id: int) -> set[str]:
        rows = self.connection.execute(
            f"SELECT segment_id FROM segments WHERE transcript_id = ? AND {_DECIDED}", (transcript_id,)
        )
        return {row["segment_id"] for row in rows}

    def record_decision(self, segment_id: str, coder: str, decision: str, *, new_code_id: str | None = None,
                        note: str | None = None) -> None:  # fmt: skip
        """The one write path for a person's decision: kept forever, and reflected in the segment's status."""
        if decision not in DECISION_STATUS:
            raise ProjectError(f"unknown decision '{decision}': use one of {', '.join(DECISION_STATUS)}")
        with self.connection:
            if not self.connection.execute("SELECT 1 FROM segments WHERE segment_id = ?", (segment_id,)).fetchone():
                raise ProjectError(f"no segment with id '{segment_id}' in this project")
            self.connection.execute(
                "INSERT INTO decisions (segment_id, coder, decision, new_code_id, note, decided_at) VALUES (?, ?, ?, ?, ?, ?)",
                (segment_id, coder, decision, new_code_id, note, _now()),
            )
            status = DECISION_STATUS[decision]
            if status:
                self.connection.execute("UPDATE segments SET status = ? WHERE segment_id = ?", (status, segment_id))

    def decisions(self, segment_id: str) -> list[DecisionRow]:
        rows = self.connection.execute(
            "SELECT * FROM decisions WHERE segment_id = ? ORDER BY decision_id", (segment_id,)
        )
        return [DecisionRow(row["segment_id"], row["coder"], row["decision"], row["new_code_id"], row["note"],
                            row["decided_at"]) for row in rows]  # fmt: skip

    def segments(self, statuses: Iterable[str] | None = None) -> Iterator[SegmentRow]:
        """Segments of the current transcripts, by transcript, position and code."""
        wanted = tuple(statuses) if statuses is not None else None
        query = (
            "SELECT s.*, t.name AS transcript, u.timestamp FROM segments s JOIN transcripts t USING (transcript_id)"
            " LEFT JOIN turns u ON u.transcript_id = s.transcript_id AND u.turn_number = s.turn_number"
            " WHERE t.is_current = 1"
        )
        if wanted is not None:
            query += f" AND s.status IN ({', '.join('?' for _ in wanted)})"
        query += " ORDER BY t.name, s.start_char, s.end_char, s.code_id"
        for row in self.connection.execute(query, wanted or ()):
            yield SegmentRow(
                segment_id=row["segment_id"], transcript=row["transcript"], code_id=row["code_id"],
                start_char=row["start_char"], end_char=row["end_char"], speaker=row["speaker"],
                turn_number=row["turn_number"], unit=row["unit"], text=row["text"],
                matched=tuple(json.loads(row["matched_json"])), rules=tuple(json.loads(row["rules_json"])),
                origin=row["origin"], status=row["status"], suggested=bool(row["suggested"]), timestamp=row["timestamp"],
            )  # fmt: skip

    def transcripts(self) -> list[TranscriptRow]:
        rows = self.connection.execute(
            "SELECT transcript_id, name, content_hash, text, language, attributes_json, speaker_attributes_json"
            " FROM transcripts WHERE is_current = 1 ORDER BY name"
        )
        return [
            TranscriptRow(row["transcript_id"], row["name"], row["content_hash"], row["text"], row["language"],
                          json.loads(row["attributes_json"]), json.loads(row["speaker_attributes_json"]))
            for row in rows
        ]  # fmt: skip

    def transcript_languages(self) -> dict[str, str | None]:
        """Each current transcript's language, by name, without reading the texts."""
        rows = self.connection.execute("SELECT name, language FROM transcripts WHERE is_current = 1 ORDER BY name")
        return {row["name"]: row["language"] for row in rows}

    def stored_transcripts(self) -> Iterator[Transcript]:
        """The current transcripts as they were coded, one at a time, to code them again without the files."""
        ids = [row["transcript_id"] for row in self.connection.execute(
            "SELECT transcript_id FROM transcripts WHERE is_current = 1 ORDER BY name")]  # fmt: skip
        for transcript_id in ids:
            row = self.connection.execute("SELECT * FROM transcripts WHERE transcript_id = ?", (transcript_id,)).fetchone()
            turns = tuple(
                Turn(turn["turn_number"], turn["speaker"], turn["role"], turn["start_char"], turn["end_char"], turn["timestamp"])
                for turn in self.connection.execute(
                    "SELECT * FROM turns WHERE transcript_id = ? ORDER BY turn_number", (transcript_id,))
            )  # fmt: skip
            yield Transcript(
                name=row["name"], source_path=Path(row["source_path"]), format=row["format"], encoding=row["encoding"],
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

    def replace_participants(self, table: ParticipantTable) -> None:
        """Make ``table`` the project's participants register, in place of the one before."""
        with self.connection:
            self.connection.execute("DELETE FROM participant_entries")
            self.connection.execute("DELETE FROM participant_columns")
            self.connection.executemany(
                "INSERT INTO participant_entries (transcript_key, speaker, participant, attributes_json, source, line)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(entry.transcript, entry.speaker, entry.participant, _json_dict(entry.attributes), table.source,
                  entry.line) for entry in table.entries],
            )  # fmt: skip
            self.connection.executemany(
                "INSERT INTO participant_columns (position, name) VALUES (?, ?)", enumerate(table.attribute_names)
            )

    def participants(self) -> ParticipantTable | None:
        """The participants register last given, if any."""
        rows = self.connection.execute("SELECT * FROM participant_entries ORDER BY entry_id").fetchall()
        if not rows:
            return None
        columns = [row["name"] for row in self.connection.execute("SELECT name FROM participant_columns ORDER BY position")]
        entries = tuple(
            ParticipantEntry(row["transcript_key"], row["speaker"], row["participant"],
                             json.loads(row["attributes_json"]), row["line"])
            for row in rows
        )  # fmt: skip
        return ParticipantTable(rows[0]["source"], entries, tuple(columns))

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

    def _current_codebook_version_id(self) -> int | None:
        rename = self.connection.execute(
            "SELECT codebook_version_id FROM code_renames WHERE after_run_id IS (SELECT MAX(run_id) FROM runs)"
            " ORDER BY rename_id DESC LIMIT 1"
        ).fetchone()
        if rename:
            return int(rename["codebook_version_id"])
        run = self.connection.execute("SELECT codebook_version_id FROM runs ORDER BY run_id DESC LIMIT 1").fetchone()
        return int(run["codebook_version_id"]) if run else None

    def human_work(self, code_ids: Sequence[str]) -> list[HumanWork]:
        """Per code, the segments people decided or added and their decisions (old transcript versions included)."""
        work = []
        for code_id in code_ids:
            segments = self.connection.execute(
                f"SELECT COUNT(*) AS n FROM segments WHERE code_id = ? AND {_DECIDED}", (code_id,)
            ).fetchone()["n"]
            decisions = self.connection.execute(
                "SELECT COUNT(*) AS n FROM decisions WHERE new_code_id = ? OR segment_id IN"
                " (SELECT segment_id FROM segments WHERE code_id = ?)", (code_id, code_id),
            ).fetchone()["n"]  # fmt: skip
            if segments or decisions:
                work.append(HumanWork(code_id, segments, decisions))
        return work

    def rename_code(self, old_code_id: str, new_code_id: str, codebook: Codebook,
                    before_commit: Callable[[], None] | None = None) -> RenameResult:  # fmt: skip
        """Give ``old_code_id``'s segments and decisions to ``new_code_id``, in one transaction.

        Segment ids follow from the code, so renamed segments get new ids (the
        ones a run with the renamed codebook gives them); each old id is kept in
        segment_renames. ``before_commit`` runs last inside the transaction:
        if it fails (writing the codebook, say) nothing here is changed.
        """
        with self.connection:
            rows = self.connection.execute(
                "SELECT s.segment_id, s.start_char, s.end_char, s.rules_json, t.content_hash FROM segments s"
                " JOIN transcripts t USING (transcript_id) WHERE s.code_id = ?", (old_code_id,),
            ).fetchall()  # fmt: skip
            rules = {row["segment_id"]: _json_list([new_code_id + rule[len(old_code_id):] if rule.startswith(f"{old_code_id}:")
                                                    else rule for rule in json.loads(row["rules_json"])]) for row in rows}  # fmt: skip
            moves = {row["segment_id"]: segment_id_for(row["content_hash"], new_code_id, row["start_char"], row["end_char"])
                     for row in rows}  # fmt: skip
            replaced = self._clear_rename_targets(list(moves.values()))
            cursor = self.connection.execute(
                "INSERT INTO code_renames (old_code_id, new_code_id, codebook_version_id, after_run_id, renamed_at)"
                " VALUES (?, ?, ?, (SELECT MAX(run_id) FROM runs), ?)",
                (old_code_id, new_code_id, self._record_codebook(codebook), _now()),
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

    def _clear_rename_targets(self, new_ids: list[str]) -> int:
        """Pending suggestions already under a renamed segment's new id give way; decided ones block the rename."""
        replaced = 0
        for new_id in new_ids:
            row = self.connection.execute(
                f"SELECT segment_id, {_DECIDED} AS decided FROM segments WHERE segment_id = ?", (new_id,)
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


# A segment is a person's once it has a decision, a non-pending status or a human origin.
_DECIDED = (
    "(status != 'pending' OR origin = 'human'"
    " OR segment_id IN (SELECT segment_id FROM decisions))"
)


def _json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _json_dict(values: Any) -> str:
    return json.dumps(dict(values), ensure_ascii=False)

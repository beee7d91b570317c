"""The project store's schema, as an ordered list of migrations.

This is the only place the schema is written down. ``PRAGMA user_version``
records how many migrations a store has had; opening a store applies the rest.
Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: transcripts, codebooks, runs, segments, and a place for human decisions.
    """
    CREATE TABLE transcripts (
        transcript_id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        source_path TEXT NOT NULL,
        format TEXT NOT NULL,
        encoding TEXT NOT NULL,
        language TEXT,
        text TEXT NOT NULL,
        attributes_json TEXT NOT NULL DEFAULT '{}',
        -- 0 once a newer version of the same transcript was coded; kept for its decisions.
        is_current INTEGER NOT NULL DEFAULT 1,
        added_at TEXT NOT NULL,
        UNIQUE (name, content_hash)
    );
    CREATE TABLE turns (
        transcript_id INTEGER NOT NULL REFERENCES transcripts (transcript_id) ON DELETE CASCADE,
        turn_number INTEGER NOT NULL,
        speaker TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('interviewer', 'participant')),
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        word_count INTEGER NOT NULL,
        timestamp TEXT,
        PRIMARY KEY (transcript_id, turn_number)
    );
    CREATE TABLE codebook_versions (
        codebook_version_id INTEGER PRIMARY KEY,
        content_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        language TEXT NOT NULL,
        source_path TEXT NOT NULL,
        yaml TEXT NOT NULL,
        added_at TEXT NOT NULL
    );
    CREATE TABLE codes (
        codebook_version_id INTEGER NOT NULL REFERENCES codebook_versions (codebook_version_id),
        code_id TEXT NOT NULL,
        parent_id TEXT,
        label TEXT NOT NULL,
        color TEXT NOT NULL,
        position INTEGER NOT NULL,
        PRIMARY KEY (codebook_version_id, code_id)
    );
    CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        codebook_version_id INTEGER NOT NULL REFERENCES codebook_versions (codebook_version_id),
        pipeline TEXT NOT NULL,
        spacy_version TEXT NOT NULL,
        ipl_coder_version TEXT NOT NULL,
        unit TEXT NOT NULL,
        options_json TEXT NOT NULL DEFAULT '{}',
        transcripts_coded INTEGER NOT NULL DEFAULT 0,
        transcripts_skipped INTEGER NOT NULL DEFAULT 0,
        segments_suggested INTEGER NOT NULL DEFAULT 0,
        words INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE segments (
        segment_id TEXT PRIMARY KEY,
        transcript_id INTEGER NOT NULL REFERENCES transcripts (transcript_id),
        code_id TEXT NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL CHECK (end_char > start_char),
        speaker TEXT NOT NULL,
        turn_number INTEGER,
        unit TEXT NOT NULL,
        text TEXT NOT NULL,
        matched_json TEXT NOT NULL DEFAULT '[]',
        rules_json TEXT NOT NULL DEFAULT '[]',
        origin TEXT NOT NULL DEFAULT 'machine' CHECK (origin IN ('machine', 'human')),
        status TEXT NOT NULL DEFAULT 'pending',
        -- 1 while the latest run over this transcript still suggests it.
        suggested INTEGER NOT NULL DEFAULT 1,
        run_id INTEGER REFERENCES runs (run_id),
        created_at TEXT NOT NULL
    );
    CREATE INDEX segments_by_transcript ON segments (transcript_id, start_char);
    CREATE INDEX segments_by_code ON segments (code_id);
    -- Every human decision, never updated or deleted: the history is the record.
    CREATE TABLE decisions (
        decision_id INTEGER PRIMARY KEY,
        segment_id TEXT NOT NULL REFERENCES segments (segment_id),
        coder TEXT NOT NULL,
        decision TEXT NOT NULL,
        new_code_id TEXT,
        note TEXT,
        decided_at TEXT NOT NULL
    );
    CREATE INDEX decisions_by_segment ON decisions (segment_id);
    """,
    # 2: who the participants are. Front matter travels with a transcript's text;
    # a participants file is the study's register, replaced whenever one is given.
    """
    ALTER TABLE transcripts ADD COLUMN speaker_attributes_json TEXT NOT NULL DEFAULT '{}';
    CREATE TABLE participant_entries (
        entry_id INTEGER PRIMARY KEY,
        transcript_key TEXT NOT NULL,
        speaker TEXT NOT NULL DEFAULT '',
        participant TEXT,
        attributes_json TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL,
        line INTEGER NOT NULL
    );
    CREATE TABLE participant_columns (
        position INTEGER PRIMARY KEY,
        name TEXT NOT NULL
    );
    """,
    # 3: renaming a code carries its segments and decisions along; the rename is recorded,
    # with each segment's old id, so a sheet exported before it still finds its rows.
    """
    CREATE TABLE code_renames (
        rename_id INTEGER PRIMARY KEY,
        old_code_id TEXT NOT NULL,
        new_code_id TEXT NOT NULL,
        codebook_version_id INTEGER NOT NULL REFERENCES codebook_versions (codebook_version_id),
        -- the latest run when renaming: the renamed codebook is current until a later run
        after_run_id INTEGER REFERENCES runs (run_id),
        renamed_at TEXT NOT NULL
    );
    CREATE TABLE segment_renames (
        old_segment_id TEXT PRIMARY KEY,
        new_segment_id TEXT NOT NULL,
        rename_id INTEGER NOT NULL REFERENCES code_renames (rename_id)
    );
    """,
    # 4: review. People add codes (segments with origin 'human', owned by their coder),
    # take decisions back with an 'undo' row, and a recode adds the right code as a
    # part of the same decision. A segment's status and decided_by/decided_at are
    # derived from the decisions still standing and refreshed with every decision.
    """
    ALTER TABLE segments ADD COLUMN coder TEXT;
    ALTER TABLE segments ADD COLUMN decided_by TEXT;
    ALTER TABLE segments ADD COLUMN decided_at TEXT;
    ALTER TABLE decisions ADD COLUMN undoes_decision_id INTEGER REFERENCES decisions (decision_id);
    ALTER TABLE decisions ADD COLUMN part_of_decision_id INTEGER REFERENCES decisions (decision_id);
    ALTER TABLE decisions ADD COLUMN source TEXT;
    CREATE INDEX decisions_by_coder ON decisions (coder, decision_id);
    CREATE INDEX decisions_undone ON decisions (undoes_decision_id);
    CREATE INDEX decisions_parts ON decisions (part_of_decision_id);
    UPDATE segments SET decided_by = (SELECT coder FROM decisions d WHERE d.segment_id = segments.segment_id
                                      AND d.decision != 'note' ORDER BY decision_id DESC LIMIT 1),
                        decided_at = (SELECT decided_at FROM decisions d WHERE d.segment_id = segments.segment_id
                                      AND d.decision != 'note' ORDER BY decision_id DESC LIMIT 1);
    -- Decisions nobody has taken back: an undo takes back a decision and every part of it.
    CREATE VIEW standing_decisions AS
        SELECT d.* FROM decisions d
        WHERE d.decision != 'undo'
          AND NOT EXISTS (SELECT 1 FROM decisions u
                          WHERE u.undoes_decision_id = d.decision_id OR u.undoes_decision_id = d.part_of_decision_id);
    """,
    # 5: an edited transcript is a new version of its text; a decided segment moves to it
    # wherever its passage still is, and its old id is kept so earlier sheets still find it.
    """
    CREATE TABLE segment_moves (
        old_segment_id TEXT PRIMARY KEY,
        new_segment_id TEXT NOT NULL,
        moved_at TEXT NOT NULL
    );
    """,
    # 6: suggestions learned from the team's own decisions (``ipl-coder learn``, ``code --learned``): origin 'model',
    # with the model's score and its reason. SQLite cannot change a CHECK, so segments is rebuilt the documented way
    # (new table, copy, drop, rename; foreign keys are off while it runs, see migrate) with every row kept as it was.
    """
    CREATE TABLE segments_new (
        segment_id TEXT PRIMARY KEY,
        transcript_id INTEGER NOT NULL REFERENCES transcripts (transcript_id),
        code_id TEXT NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL CHECK (end_char > start_char),
        speaker TEXT NOT NULL,
        turn_number INTEGER,
        unit TEXT NOT NULL,
        text TEXT NOT NULL,
        matched_json TEXT NOT NULL DEFAULT '[]',
        rules_json TEXT NOT NULL DEFAULT '[]',
        origin TEXT NOT NULL DEFAULT 'machine' CHECK (origin IN ('machine', 'human', 'model')),
        status TEXT NOT NULL DEFAULT 'pending',
        suggested INTEGER NOT NULL DEFAULT 1,
        run_id INTEGER REFERENCES runs (run_id),
        created_at TEXT NOT NULL,
        coder TEXT,
        decided_by TEXT,
        decided_at TEXT,
        -- for origin 'model': the model's score (0-1) and why (similar accepted passages, the words that weighed most)
        score REAL,
        reason_json TEXT NOT NULL DEFAULT '{}'
    );
    INSERT INTO segments_new (segment_id, transcript_id, code_id, start_char, end_char, speaker, turn_number, unit, text,
                              matched_json, rules_json, origin, status, suggested, run_id, created_at, coder, decided_by,
                              decided_at)
        SELECT segment_id, transcript_id, code_id, start_char, end_char, speaker, turn_number, unit, text, matched_json,
               rules_json, origin, status, suggested, run_id, created_at, coder, decided_by, decided_at FROM segments;
    DROP TABLE segments;
    ALTER TABLE segments_new RENAME TO segments;
    CREATE INDEX segments_by_transcript ON segments (transcript_id, start_char);
    CREATE INDEX segments_by_code ON segments (code_id);
    -- Each 'ipl-coder learn': where its model is, and what it learned from (decisions up to when).
    CREATE TABLE learned_models (
        model_id INTEGER PRIMARY KEY,
        trained_at TEXT NOT NULL,
        folder TEXT NOT NULL,
        seed INTEGER NOT NULL,
        threshold REAL NOT NULL,
        last_decision_id INTEGER,
        last_decided_at TEXT,
        transcripts INTEGER NOT NULL,
        units INTEGER NOT NULL,
        seconds REAL NOT NULL,
        spacy_version TEXT NOT NULL,
        ipl_coder_version TEXT NOT NULL
    );
    -- Per code: how many passages it learned from, or why it was left to the rules.
    CREATE TABLE learned_codes (
        model_id INTEGER NOT NULL REFERENCES learned_models (model_id),
        code_id TEXT NOT NULL,
        positives INTEGER NOT NULL,
        negatives INTEGER NOT NULL,
        from_examples INTEGER NOT NULL,
        trained INTEGER NOT NULL,
        PRIMARY KEY (model_id, code_id)
    );
    """,
    # 7: the model suggests a code only from the score at which its suggestions, tried on the team's own decisions,
    # were right often enough: a learn records that precision asked for instead of one score for every code (NULL for
    # the learns before, which had one), and per code whether the model suggests it (NULL before).
    """
    CREATE TABLE learned_models_new (
        model_id INTEGER PRIMARY KEY,
        trained_at TEXT NOT NULL,
        folder TEXT NOT NULL,
        seed INTEGER NOT NULL,
        precision_target REAL,
        last_decision_id INTEGER,
        last_decided_at TEXT,
        transcripts INTEGER NOT NULL,
        units INTEGER NOT NULL,
        seconds REAL NOT NULL,
        spacy_version TEXT NOT NULL,
        ipl_coder_version TEXT NOT NULL
    );
    INSERT INTO learned_models_new
        SELECT model_id, trained_at, folder, seed, NULL, last_decision_id, last_decided_at, transcripts, units, seconds,
               spacy_version, ipl_coder_version FROM learned_models;
    DROP TABLE learned_models;
    ALTER TABLE learned_models_new RENAME TO learned_models;
    ALTER TABLE learned_codes ADD COLUMN suggested INTEGER;
    """,
)


def schema_version(connection: sqlite3.Connection) -> int:
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: sqlite3.Connection) -> int:
    """Apply every migration the store has not had yet; returns the new version."""
    current = schema_version(connection)
    if current > len(MIGRATIONS):
        from ipl_coder.errors import ProjectError

        raise ProjectError(
            f"this project was written by a newer ipl-coder (schema {current}, this one knows {len(MIGRATIONS)}): "
            "upgrade ipl-coder"
        )
    if current == len(MIGRATIONS):
        return current
    # A migration that rebuilds a table drops the old one: with foreign keys on, that would fail (or cascade). They
    # are switched off around the migrations (it cannot be done inside a transaction) and checked before each commit.
    enforced = bool(connection.execute("PRAGMA foreign_keys").fetchone()[0])
    connection.execute("PRAGMA foreign_keys = OFF")
    try:
        for version, script in enumerate(MIGRATIONS[current:], start=current + 1):
            # executescript commits first, so each migration and its version bump go in one transaction.
            connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\n")
            broken = connection.execute("PRAGMA foreign_key_check").fetchone()
            if broken is not None:
                connection.rollback()
                from ipl_coder.errors import ProjectError

                raise ProjectError(f"the project store has a row pointing at a missing {broken[2]} row (table {broken[0]}), "
                                   f"so it was not upgraded to schema {version}; it is unchanged")  # fmt: skip
            connection.commit()
    except BaseException:
        if connection.in_transaction:
            connection.rollback()
        raise
    finally:
        connection.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
    return len(MIGRATIONS)

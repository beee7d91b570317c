"""The store: schema from migrations, and re-runs that never lose a person's decision."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import TEAM_AND_HOPE
from ipl_coder.coding.coders import Segment
from ipl_coder.coding.project import code_transcripts
from ipl_coder.errors import ProjectError
from ipl_coder.store import COUNTED_STATUSES, ProjectStore
from ipl_coder.store.migrations import MIGRATIONS, migrate, schema_version
from ipl_coder.transcripts import Transcript
from ipl_coder.transcripts.reader import TranscriptFile, read_transcript

CODEBOOK = TEAM_AND_HOPE
TRANSCRIPT = """
Interviewer: Tell me about it.
P1: The team was kind. There was hope. The team changed. Hope again.
"""


def test_migrations_build_the_schema_and_are_idempotent(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "s.sqlite")
    assert migrate(connection) == len(MIGRATIONS) == schema_version(connection)
    assert migrate(connection) == len(MIGRATIONS)
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"transcripts", "turns", "codebook_versions", "codes", "runs", "segments", "decisions"} <= tables


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    with ProjectStore.open(tmp_path, create=True) as store:
        store.connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(ProjectError, match="newer ipl-coder"):
        ProjectStore.open(tmp_path)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "project.sqlite").write_text("not a database")
    with pytest.raises(ProjectError, match="not a usable ipl-coder project store"):
        ProjectStore.open(tmp_path)
    with pytest.raises(ProjectError, match="no project here"):
        ProjectStore.open(tmp_path / "missing")


def test_rerun_after_a_codebook_edit_keeps_every_decision(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("in/t1.txt", TRANSCRIPT)
    project = tmp_path / "project"
    code_transcripts([transcript], write_file("v1.yaml", CODEBOOK), project)
    with ProjectStore.open(project) as store:
        by_text = {segment.text: segment for segment in store.segments()}
        store.record_decision(by_text["There was hope."].segment_id, "ana", "accept", note="clear case")
        store.record_decision(by_text["The team was kind."].segment_id, "ola", "reject")
        store.record_decision(by_text["The team changed."].segment_id, "ola", "recode", new_code_id="hope")

    edited = CODEBOOK.replace("terms: [hope]", "terms: [kind]")  # drops the rule behind an accepted segment
    result = code_transcripts([transcript], write_file("v2.yaml", edited), project)
    assert result.coded[0].kept_decided == 4  # three decided, and the hope code the recode added

    with ProjectStore.open(project) as store:
        rows = {(s.code_id, s.text): s for s in store.segments(statuses=None)}
        accepted = rows[("hope", "There was hope.")]
        assert (accepted.status, accepted.suggested) == ("accepted", False)
        assert [(d.coder, d.decision, d.note) for d in store.decisions(accepted.segment_id)] == [("ana", "accept", "clear case")]
        assert rows[("team", "The team was kind.")].status == "rejected"
        assert rows[("team", "The team changed.")].status == "recoded"
        assert rows[("team", "The team was kind.")].suggested  # still suggested, still rejected
        assert rows[("hope", "The team was kind.")].status == "pending"  # the new term's suggestion
        assert ("hope", "Hope again.") not in rows  # undecided and no longer suggested: gone
        recoded_to = rows[("hope", "The team changed.")]
        assert (recoded_to.origin, recoded_to.coder, recoded_to.status) == ("human", "ola", "accepted")
        counted = {(s.code_id, s.text) for s in store.segments(COUNTED_STATUSES)}
        # Neither the rejected nor the recoded suggestion counts; the recode's right code does.
        assert counted == {("hope", "There was hope."), ("hope", "The team was kind."), ("hope", "The team changed.")}


def test_an_edited_transcript_moves_its_decided_segments_to_the_new_text(write_file: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 13: the decided segment used to stay with the retired version, out of sight."""
    codebook = write_file("cb.yaml", CODEBOOK)
    project = tmp_path / "project"
    transcript = write_file("in/t1.txt", TRANSCRIPT)
    code_transcripts([transcript], codebook, project)
    with ProjectStore.open(project) as store:
        decided = next(segment for segment in store.segments() if segment.text == "There was hope.")
        store.record_decision(decided.segment_id, "ana", "accept")
    write_file("in/t1.txt", TRANSCRIPT.replace("kind", "unkind"))
    code_transcripts([transcript], codebook, project)
    with ProjectStore.open(project) as store:
        assert len(store.transcripts()) == 1
        current = store.transcripts()[0]
        assert "unkind" in current.text
        old_version = store.connection.execute(
            "SELECT COUNT(*) FROM segments JOIN transcripts USING (transcript_id) WHERE is_current = 0"
        ).fetchone()[0]
        assert old_version == 0  # nothing left behind, out of sight
        moved = store.resolve_segment_id(decided.segment_id)
        assert moved is not None and moved != decided.segment_id
        segment = store.segment(moved)
        assert segment is not None and segment.status == "accepted" and segment.text == "There was hope."
        assert current.text[segment.start_char : segment.end_char] == "There was hope."
        assert store.decisions(moved)[0].coder == "ana"


def test_decisions_are_validated(write_file: Callable[..., Path], tmp_path: Path) -> None:
    code_transcripts([write_file("t.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), tmp_path / "p")
    with ProjectStore.open(tmp_path / "p") as store:
        with pytest.raises(ProjectError, match="no segment with id 'nope'"):
            store.record_decision("nope", "ana", "accept")
        segment_id = next(store.segments()).segment_id
        with pytest.raises(ProjectError, match="unknown decision 'maybe'"):
            store.record_decision(segment_id, "ana", "maybe")


def test_identical_transcripts_under_two_names_are_skipped(write_file: Callable[..., Path], tmp_path: Path) -> None:
    result = code_transcripts(
        [write_file("a.txt", TRANSCRIPT), write_file("b.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), tmp_path / "p"
    )
    assert [item.name for item in result.coded] == ["a"]
    assert [(skip.path.name, skip.reason) for skip in result.skipped] == [
        ("b.txt", "same text as transcript 'a' already in the project; skipped")
    ]


def test_a_store_from_before_review_is_upgraded_with_who_decided(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "old.sqlite")
    for version, script in enumerate(MIGRATIONS[:3], start=1):
        connection.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;")
    connection.executescript("""
        INSERT INTO transcripts (transcript_id, name, content_hash, source_path, format, encoding, text, added_at)
            VALUES (1, 't', 'h', 't.txt', 'text', 'utf-8', 'Hope.', 'then');
        INSERT INTO segments (segment_id, transcript_id, code_id, start_char, end_char, speaker, unit, text, status, created_at)
            VALUES ('s1', 1, 'hope', 0, 5, 'P1', 'sentence', 'Hope.', 'accepted', 'then');
        INSERT INTO decisions (segment_id, coder, decision, decided_at) VALUES ('s1', 'ana', 'accept', '2026-01-01T00:00:00+00:00');
        INSERT INTO decisions (segment_id, coder, decision, note, decided_at) VALUES ('s1', 'ola', 'note', 'hm', '2026-01-02T00:00:00+00:00');
    """)
    assert migrate(connection) == len(MIGRATIONS)
    row = connection.execute("SELECT decided_by, decided_at FROM segments WHERE segment_id = 's1'").fetchone()
    assert row == ("ana", "2026-01-01T00:00:00+00:00")  # a note is not a decision
    assert connection.execute("SELECT COUNT(*) FROM standing_decisions").fetchone()[0] == 2


def test_reads_for_one_transcript_are_the_whole_projects_sliced(write_file: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 17: commands walk a project a transcript at a time; what they read must be what reading it all gave."""
    codebook, project = write_file("cb.yaml", CODEBOOK), tmp_path / "project"
    first, second = write_file("in/t1.txt", TRANSCRIPT), write_file("in/t2.txt", TRANSCRIPT.replace("kind", "good"))
    code_transcripts([first, second], codebook, project)
    with ProjectStore.open(project) as store:
        t1 = {segment.text: segment.segment_id for segment in store.segments(transcript="t1")}
        t2 = {segment.text: segment.segment_id for segment in store.segments(transcript="t2")}
        store.record_decision(t1["There was hope."], "ana", "accept", note="gone with the edit")
        store.record_decision(t1["The team was kind."], "ana", "accept", note="kept")
        store.record_decision(t1["The team changed."], "ana", "recode", new_code_id="hope")
        store.record_decision(t2["There was hope."], "ana", "note", note="only a note")
        store.record_decision(t2["The team changed."], "ana", "reject")
        store.record_decision(t2["Hope again."], "ana", "accept")
        store.undo_last_decision("ana")
        store.record_decision(t2["The team was good."], "ola", "accept", note="ola's")
    write_file("in/t1.txt", TRANSCRIPT.replace(" There was hope.", ""))  # its decided passage stays with the old version
    code_transcripts([first], codebook, project)
    with ProjectStore.open(project) as store:
        for coder in ("ana", "ola", "nobody"):
            everything = store.coder_views(coder)
            sliced: dict[str, object] = {}
            for name in ("t1", "t2"):
                ids = {segment.segment_id for segment in store.segments(None, transcript=name)}
                one = store.coder_views(coder, transcript=name)
                assert one == {segment_id: view for segment_id, view in everything.items() if segment_id in ids}
                sliced |= one
            accepted = {s.code_id for s in store.segments(None) if s.status != "withdrawn"
                        and (view := everything.get(s.segment_id)) is not None and view.status == "accepted"}  # fmt: skip
            assert store.accepted_codes(coder) == accepted
            if coder == "ana":
                assert len(sliced) < len(everything)  # the decision on the passage the edit took out is not in any
                assert accepted == {"team", "hope"}
        notes = store.standing_notes()
        assert {segment_id for name in ("t1", "t2") for segment_id in store.standing_notes(transcript=name)} < set(notes)
        for name in ("t1", "t2"):
            ids = {segment.segment_id for segment in store.segments(None, transcript=name)}
            assert store.standing_notes(transcript=name) == {segment_id: by_coder for segment_id, by_coder in notes.items()
                                                              if segment_id in ids}  # fmt: skip
        infos = store.transcript_infos()
        assert [(info.name, info.language, info.attributes) for info in infos] == [
            (row.name, row.language, row.attributes) for row in store.transcripts()
        ]


def _batch_project(write_file: Callable[..., Path], tmp_path: Path) -> tuple[Path, list[Transcript]]:
    """A coded project, and three more transcripts to save into it by hand."""
    project = tmp_path / "project"
    code_transcripts([write_file("in/t0.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), project)
    texts = [TRANSCRIPT.replace("kind", word) for word in ("good", "fine", "new")]
    return project, [read_transcript(TranscriptFile(write_file(f"more/t{n}.txt", text), f"t{n}")) for n, text in enumerate(texts, 1)]


def _segment(transcript: Transcript, end_char: int) -> Segment:
    return Segment(f"{transcript.name}-team", transcript.name, "team", 31, end_char, "P1", 2, "sentence", (), (), "The team")


def test_in_a_batch_a_transcript_the_store_refuses_leaves_the_others_saved(write_file: Callable[..., Path], tmp_path: Path) -> None:
    project, (first, broken, last) = _batch_project(write_file, tmp_path)
    with ProjectStore.open(project) as store:
        run = store.latest_run()
        assert run is not None
        with store.commits_every(60):
            store.save_coded_transcript(first, [_segment(first, 39)], run.run_id)
            with pytest.raises(ProjectError, match="cannot save to the project store"):  # end before start: refused half-way
                store.save_coded_transcript(broken, [_segment(broken, 31)], run.run_id)
            store.save_coded_transcript(last, [_segment(last, 39)], run.run_id)
    with ProjectStore.open(project) as store:
        assert [row.name for row in store.transcripts()] == ["t0", "t1", "t3"]  # no half of t2: no row, no turns
        assert store.connection.execute("SELECT COUNT(*) FROM turns t JOIN transcripts USING (transcript_id)"
                                        " WHERE name = 't2'").fetchone()[0] == 0  # fmt: skip
        assert {segment.transcript for segment in store.segments()} == {"t0", "t1", "t3"}


def test_a_batch_interrupted_keeps_every_transcript_it_finished(write_file: Callable[..., Path], tmp_path: Path) -> None:
    project, (first, second, _) = _batch_project(write_file, tmp_path)
    with ProjectStore.open(project) as store:
        run = store.latest_run()
        assert run is not None
        with pytest.raises(KeyboardInterrupt), store.commits_every(60):
            store.save_coded_transcript(first, [_segment(first, 39)], run.run_id)
            store.save_coded_transcript(second, [_segment(second, 39)], run.run_id)
            raise KeyboardInterrupt  # Ctrl-C before the batch's time is up
    with ProjectStore.open(project) as store:
        assert [row.name for row in store.transcripts()] == ["t0", "t1", "t2"]


def _suggestion_table(project: Path) -> list[tuple[object, ...]]:
    with ProjectStore.open(project) as store:
        latest = store.latest_run()
        rows = store.connection.execute(
            "SELECT s.*, t.name FROM segments s JOIN transcripts t USING (transcript_id) ORDER BY segment_id").fetchall()
        assert latest is not None and all(row["run_id"] == latest.run_id for row in rows)  # each made again by this run
        skipped = {"transcript_id", "run_id", "created_at"}
        return [tuple(row[key] for key in row.keys() if key not in skipped) for row in rows]


def test_a_rerun_keeps_unchanged_suggestions_and_leaves_the_rows_a_fresh_run_would(write_file: Callable[..., Path],
                                                                                    tmp_path: Path) -> None:  # fmt: skip
    transcript = write_file("in/t1.txt", TRANSCRIPT + "P1: A team of hope, and the hope of a team.\n")
    rerun, fresh = tmp_path / "rerun", tmp_path / "fresh"
    code_transcripts([transcript], write_file("v1.yaml", CODEBOOK), rerun)
    # Edited: 'team' loses its term and gains another, 'hope' is the same, 'kind' is new.
    edited = write_file("v2.yaml", CODEBOOK.replace("terms: [team]", "terms: [changed, team of hope]") +
                        "  - id: kind\n    terms: [kind]\n")  # fmt: skip
    code_transcripts([transcript], edited, rerun)
    code_transcripts([transcript], edited, fresh)
    assert _suggestion_table(rerun) == _suggestion_table(fresh)
    with ProjectStore.open(rerun) as store:
        assert {segment.code_id for segment in store.segments()} == {"team", "hope", "kind"}

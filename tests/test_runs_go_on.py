"""Issue 13: one bad file never stops a run for everyone; the run ends and the exports are written."""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

from docx import Document

from conftest import run_cli
from ipl_coder.coding.coders import Segment
from ipl_coder.coding.parallel import code_in_parallel
from ipl_coder.errors import CodebookError, Problem, TranscriptError
from ipl_coder.store import ProjectStore
from ipl_coder.transcripts import Transcript

CODEBOOK = "name: t\nlanguage: en\ncodes:\n  - id: team\n    label: Team\n    terms: [team]\n"


def test_a_turn_over_a_million_characters_is_coded_in_pieces(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    sentence = "The team met on the ward every morning. "
    (tmp_path / "in" / "long.txt").write_text("Interviewer: Tell me.\nP1: " + sentence * 26_000 + "\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    exit_code, _, stderr = run_cli("code", tmp_path / "in", "-c", tmp_path / "cb.yaml", "-p", tmp_path / "p", "--jobs", "1")
    assert exit_code == 0, stderr
    with ProjectStore.open(tmp_path / "p") as store:
        segments = list(store.segments())
        text = store.transcript("long").text  # type: ignore[union-attr]
        assert len(text) > 1_000_000 and len(segments) == 26_000  # every sentence, across the pieces
        assert all(text[s.start_char : s.end_char] == sentence.strip() for s in segments[::997])
        assert store.latest_run() is not None
    assert (tmp_path / "p" / "segments.csv").exists()


def _damaged_docx(path: Path) -> None:
    document = Document()
    document.add_paragraph("Interviewer: How is the team?")
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)


def test_a_damaged_docx_is_skipped_and_the_rest_coded(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    _damaged_docx(folder / "broken.docx")
    (folder / "good.txt").write_text("Interviewer: And the team?\nP1: The team is good.\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    exit_code, _, stderr = run_cli("code", folder, "-c", tmp_path / "cb.yaml", "-p", tmp_path / "p", "--jobs", "1")
    assert exit_code == 0, stderr
    assert f"Skipped {folder / 'broken.docx'}: not a Word .docx file that can be opened (XMLSyntaxError)" in stderr
    assert "unexpected error" not in stderr
    with ProjectStore.open(tmp_path / "p") as store:
        assert [row.name for row in store.transcripts()] == ["good"]
        run = store.connection.execute("SELECT finished_at, transcripts_skipped FROM runs").fetchone()
        assert run["finished_at"] and run["transcripts_skipped"] == 1
    exit_code, stdout, _ = run_cli("transcripts", "check", folder, "--json")
    assert exit_code == 0 and "not a Word .docx file that can be opened (XMLSyntaxError)" in stdout


def test_two_runs_into_one_project_do_not_both_write(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "t.txt").write_text("Interviewer: And the team?\nP1: The team is good.\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    project = tmp_path / "p"
    assert run_cli("code", tmp_path / "in", "-c", tmp_path / "cb.yaml", "-p", project)[0] == 0
    with ProjectStore.open(project, lock="exclusive"):  # another 'code' run, still going
        exit_code, _, stderr = run_cli("code", tmp_path / "in", "-c", tmp_path / "cb.yaml", "-p", project)
        assert exit_code == 1
        assert f"Error: {project}: another ipl-coder command is working on this project" in stderr
        exit_code, _, stderr = run_cli("review", "export", "-p", project, "-o", tmp_path / "sheet.csv", "--coder", "ana")
        assert exit_code == 0, stderr  # reading needs no lock
        exit_code, _, stderr = run_cli("review", "import", tmp_path / "sheet.csv", "-p", project, "--coder", "ana")
        assert exit_code == 1 and "'ipl-coder code' or a codebook rename is changing this project" in stderr
    with ProjectStore.open(project, lock="shared"):  # a colleague's review session
        assert run_cli("review", "import", tmp_path / "sheet.csv", "-p", project, "--coder", "ana")[0] == 0
        assert run_cli("code", tmp_path / "in", "-c", tmp_path / "cb.yaml", "-p", project)[0] == 1
    with ProjectStore.open(project) as store:
        assert store.connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_workers_leave_when_the_run_is_killed(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    for number in range(12):
        (folder / f"t{number}.txt").write_text("Interviewer: Go on.\nP1: " + "The team met on the ward. " * 8000, encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    command = [str(Path(sys.executable).parent / "ipl-coder"), "code", str(folder), "-c", str(tmp_path / "cb.yaml"),
               "-p", str(tmp_path / "p"), "--jobs", "2"]  # fmt: skip
    main = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def workers() -> list[int]:
        children = Path(f"/proc/{main.pid}/task/{main.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    deadline = time.monotonic() + 60
    while not workers() and time.monotonic() < deadline and main.poll() is None:
        time.sleep(0.05)
    started = workers()
    assert started, "the run ended before it started workers; give it more to do"
    os.kill(main.pid, signal.SIGKILL)
    main.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in started if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_links_out_of_the_folder_are_skipped_unless_followed(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (outside / "more").mkdir(parents=True)
    (outside / "secret.txt").write_text("Interviewer: Team?\nP1: The team, yes.\n", encoding="utf-8")
    (outside / "more" / "deep.txt").write_text("Interviewer: And?\nP1: The team again.\n", encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "own.txt").write_text("Interviewer: Team?\nP1: Our team.\n", encoding="utf-8")
    (folder / "linked.txt").symlink_to(outside / "secret.txt")
    (folder / "linked-folder").symlink_to(outside / "more")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    exit_code, _, stderr = run_cli("code", folder, "-c", tmp_path / "cb.yaml", "-p", tmp_path / "p")
    assert exit_code == 0, stderr
    assert f"Skipped {folder / 'linked.txt'}: a link to {outside / 'secret.txt'}, outside {folder}; give --follow-links" in stderr
    assert f"Skipped {folder / 'linked-folder'}: a link to the folder {outside / 'more'}, outside {folder}" in stderr
    exit_code, _, stderr = run_cli("code", folder, "-c", tmp_path / "cb.yaml", "-p", tmp_path / "p", "--follow-links")
    assert exit_code == 0, stderr
    with ProjectStore.open(tmp_path / "p") as store:
        assert [row.name for row in store.transcripts()] == ["linked", "linked-folder/deep", "own"]


def test_files_a_crashed_export_left_are_removed(tmp_path: Path) -> None:
    import os

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "t.txt").write_text("Interviewer: Team?\nP1: The team.\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    project = tmp_path / "p"
    assert run_cli("code", tmp_path / "in", "-c", tmp_path / "cb.yaml", "-p", project)[0] == 0
    stale, fresh = project / ".segments.csv.k1ll3d.csv", project / ".segments.jsonl.wr1t1ng.jsonl"
    for leftover in (stale, fresh):
        leftover.write_text("half a file")
    os.utime(stale, (0, 0))  # left long ago; the other may be another command's, still writing
    assert run_cli("code", tmp_path / "in", "-c", tmp_path / "cb.yaml", "-p", project)[0] == 0
    assert not stale.exists() and fresh.exists()


def test_files_that_fail_in_the_workers_are_skipped_and_the_rest_coded(tmp_path: Path) -> None:
    """Workers read and code; what they cannot is sent back to the main process as a reason, not a broken pool."""
    folder = tmp_path / "in"
    folder.mkdir()
    _damaged_docx(folder / "broken.docx")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    for number in range(8):
        (folder / f"good{number}.txt").write_text(f"Interviewer: And the team?\nP{number}: The team is good.\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    exit_code, _, stderr = run_cli("code", folder, "-c", tmp_path / "cb.yaml", "-p", tmp_path / "p", "--jobs", "2")
    assert exit_code == 0, stderr
    assert f"Skipped {folder / 'broken.docx'}: not a Word .docx file that can be opened (XMLSyntaxError)" in stderr
    assert f"Skipped {folder / 'empty.txt'}" in stderr
    assert "unexpected error" not in stderr
    with ProjectStore.open(tmp_path / "p") as store:
        assert [row.name for row in store.transcripts()] == [f"good{number}" for number in range(8)]
        assert len(list(store.segments())) == 8  # "the team" in each answer (questions are not coded)


class _FailsOnOne:
    """A coder that breaks on one transcript, as a spaCy component might on text no one foresaw."""

    def code(self, transcript: Transcript) -> list[Segment]:
        if transcript.name == "bad":
            raise ValueError("a component broke")
        return []


def test_a_transcript_that_fails_to_code_in_a_worker_comes_back_as_its_reason(tmp_path: Path) -> None:
    names = ["bad", *(f"good{number}" for number in range(7))]
    transcripts = [Transcript(name, tmp_path / f"{name}.txt", "txt", "utf-8", "", ()) for name in names]
    outcomes = list(code_in_parallel(((t.name, t) for t in transcripts), lambda t: t, _FailsOnOne(), 2, len(names)))
    assert [name for name, _, _ in outcomes] == names
    failed = outcomes[0][1]
    assert isinstance(failed, TranscriptError) and failed.path == tmp_path / "bad.txt"
    assert "could not be coded (ValueError: a component broke)" in failed.reason
    assert all(isinstance(transcript, Transcript) for _, transcript, _ in outcomes[1:])


def test_errors_survive_the_trip_from_a_worker() -> None:
    error = TranscriptError(Path("a.txt"), "why")
    back = pickle.loads(pickle.dumps(error))
    assert (back.path, back.reason, str(back)) == (error.path, error.reason, str(error))
    problem = CodebookError([Problem(Path("cb.yaml"), 3, 4, "what")])
    assert str(pickle.loads(pickle.dumps(problem))) == str(problem)

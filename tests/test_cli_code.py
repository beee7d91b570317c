"""`ipl-coder code` through Typer's CliRunner: the files and the store it leaves, not only exit codes."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import IPL_CODEBOOK, SAMPLES
from ipl_coder.cli import app
from ipl_coder.codebook.model import Codebook
from ipl_coder.store import ProjectStore

runner = CliRunner()
EXPORTS = ("segments.csv", "segments.jsonl", "frequencies.csv")


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("cli") / "out"
    exit_code, stdout, stderr = run("code", SAMPLES, "--codebook", IPL_CODEBOOK, "--project", project,
                                    "--participants", SAMPLES / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    assert "9 transcripts coded, 0 skipped" in stdout and "role-peer" in stdout
    assert "blank:en+simplemma, blank:nb+simplemma" in stdout
    return project


def test_code_writes_the_store_and_the_exports(sample_project: Path) -> None:
    assert sorted(path.name for path in sample_project.iterdir()) == sorted(["project.sqlite", "project.lock", "cache", *EXPORTS])
    # The project holds whole interviews: its folder and files are the owner's only (under the usual umask 022).
    assert sample_project.stat().st_mode & 0o777 == 0o700
    assert {path.name: path.stat().st_mode & 0o777 for path in sample_project.iterdir()} == {
        **dict.fromkeys(["project.sqlite", "project.lock", *EXPORTS], 0o600), "cache": 0o700}
    assert {path.stat().st_mode & 0o777 for path in (sample_project / "cache").rglob("*")} == {0o700, 0o600}
    rows = read_csv(sample_project / "segments.csv")
    assert list(rows[0]) == ["segment_id", "transcript", "participant", "speaker", "turn", "time", "start", "end",
                             "code", "label", "unit", "matched", "rules", "text", "status", "origin", "score", "why", "suggested", "coder",
                             "decided_by", "decided_at", "note",
                             "role", "country", "site", "language"]  # fmt: skip
    jsonl = [json.loads(line) for line in (sample_project / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    with ProjectStore.open(sample_project) as store:
        texts = {transcript.name: transcript.text for transcript in store.transcripts()}
        stored = list(store.segments())
        run_row = store.connection.execute("SELECT pipeline, spacy_version, transcripts_coded FROM runs").fetchone()
    assert len(texts) == 9 and "README" not in texts
    assert len(rows) == len(jsonl) == len(stored) > 100
    for record in jsonl:
        assert texts[record["transcript"]][record["start"] : record["end"]] == record["text"]
    for row, record in zip(rows, jsonl, strict=True):
        assert row["segment_id"] == record["segment_id"] and int(row["start"]) == record["start"]
        assert row["text"].removeprefix("'") == record["text"]
        assert row["rules"] == "; ".join(record["rules"]) and record["status"] == "pending"
    assert tuple(run_row) == ("blank:en+simplemma", __import__("spacy").__version__, 9)
    norwegian = [row for row in rows if row["transcript"] == "NO-PSW-09"]
    assert {row["language"] for row in norwegian} == {"nb"} and {row["time"] for row in norwegian} >= {"00:02:06"}
    assert all(rule.endswith("@nb") for row in norwegian for rule in row["rules"].split("; "))
    assert {row["role"] for row in rows if row["transcript"] == "CA-PSW-01"} == {"peer support worker"}
    assert {record["speaker"] for record in jsonl} >= {"Dr. Hansen", "Peer worker", "P01", "Respondent", "R", "A"}
    assert not any(record["speaker"] in {"Interviewer", "I", "Q", "Int"} for record in jsonl)


def test_frequencies_agree_with_segments_and_roll_up(sample_project: Path, ipl_codebook: Codebook) -> None:
    segments = read_csv(sample_project / "segments.csv")
    frequencies = {row["code"]: row for row in read_csv(sample_project / "frequencies.csv")}
    transcripts = sorted({row["transcript"] for row in segments})
    assert list(next(iter(frequencies.values())))[:6] == ["code", "label", "parent", "level", "segments", "transcripts"]
    assert list(next(iter(frequencies.values())))[6:] == transcripts
    own = Counter((row["code"], row["transcript"]) for row in segments)
    assert list(frequencies) == [code.code_id for code in ipl_codebook.codes]
    for code, row in frequencies.items():
        family = [code, *(sub.code_id for sub in ipl_codebook.descendants(code))]
        for name in transcripts:
            assert int(row[name]) == sum(own[(member, name)] for member in family)
        assert int(row["segments"]) == sum(int(row[name]) for name in transcripts)
        assert int(row["transcripts"]) == sum(1 for name in transcripts if int(row[name]))
        parent = ipl_codebook.code(code).parent_id or ""
        assert (row["parent"], row["level"]) == (parent, "1" if parent else "0")  # ipl.yaml has two levels
    # A parent's row repeats its sub-codes' segments; the rows of level 0 add up to every segment once.
    assert sum(int(row["segments"]) for row in frequencies.values() if row["level"] == "0") == len(segments)


def test_rerunning_gives_byte_identical_exports(sample_project: Path, tmp_path: Path) -> None:
    before = {name: (sample_project / name).read_bytes() for name in EXPORTS}
    assert run("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", sample_project, "--quiet")[0] == 0  # the register is kept
    assert {name: (sample_project / name).read_bytes() for name in EXPORTS} == before
    fresh = tmp_path / "fresh"
    assert run("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", fresh, "-q", "--participants", SAMPLES / "participants.csv")[0] == 0
    assert {name: (fresh / name).read_bytes() for name in EXPORTS} == before


def test_json_output_and_quiet(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("t.txt", "I: Well?\nP1: I was the bridge. I was the bridge again.\n")
    exit_code, stdout, _ = run("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--json")
    result = json.loads(stdout)
    assert exit_code == 0 and result["segments"] == 2 and result["transcripts_coded"] == 1
    assert {"code": "broker", "label": "Broker", "segments": 2, "transcripts": 1} in result["codes"]
    assert run("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--quiet")[1] == ""


def test_formula_like_cells_are_escaped_for_spreadsheets(write_file: Callable[..., Path], tmp_path: Path) -> None:
    codebook = write_file("cb.yaml", "codes:\n  - id: sum\n    terms: [sum]\n")
    turns = ["=SUM(A1) is a sum.", "-sum, she said.", "@ sum too.", "+sum!", "- A sum, she said.", "- HYPERLINK(x) is a sum."]
    transcript = write_file("t.txt", "".join(f"I: Hm?\nP1: {said}\n" for said in turns))
    assert run("code", transcript, "-c", codebook, "-p", tmp_path / "p", "-q")[0] == 0
    texts = [row["text"] for row in read_csv(tmp_path / "p" / "segments.csv")]
    # A dialogue dash is speech, not a formula; a dash before a function call is guarded all the same.
    assert texts == ["'=SUM(A1) is a sum.", "'-sum, she said.", "'@ sum too.", "'+sum!", "- A sum, she said.",
                     "'- HYPERLINK(x) is a sum."]  # fmt: skip
    raw = [json.loads(line)["text"] for line in (tmp_path / "p" / "segments.jsonl").read_text().splitlines()]
    assert raw == turns


def test_a_dialogue_dash_is_text_not_a_formula(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("no.txt", "---\nlanguage: nb\n---\nIntervjuer: Og?\nP1: - Det var grensene, sa hun.\n")
    assert run("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "-q")[0] == 0
    raw = (tmp_path / "p" / "segments.csv").read_bytes().decode("utf-8-sig")
    assert [row["text"] for row in read_csv(tmp_path / "p" / "segments.csv")] == ["- Det var grensene, sa hun."]
    assert "'-" not in raw


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "no such file or folder; check the path"),
        (["--codebook", "missing.yaml"], "missing.yaml:1:1: codebook file not found: check the path"),
    ],
)
def test_errors_are_one_line_with_exit_1(tmp_path: Path, args: list[str], message: str) -> None:
    paths = [str(tmp_path / args[0])] if args == ["nowhere"] else [str(SAMPLES)]
    codebook = ["--codebook", str(tmp_path / args[1])] if args[0] == "--codebook" else ["--codebook", str(IPL_CODEBOOK)]
    exit_code, stdout, stderr = run("code", *paths, *codebook, "--project", tmp_path / "p")
    assert exit_code == 1 and stdout == ""
    assert message in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == (1 if args == ["nowhere"] else 2)
    assert not (tmp_path / "p").exists()


def test_a_broken_codebook_lists_every_problem(write_file: Callable[..., Path], tmp_path: Path) -> None:
    codebook = write_file("bad.yaml", "langauge: en\ncodes:\n  - id: a\n    unit: word\n  - id: b\n    color: red\n    terms: [x]\n")
    exit_code, _, stderr = run("code", SAMPLES, "-c", codebook, "-p", tmp_path / "p")
    assert exit_code == 1 and "Traceback" not in stderr
    assert stderr.splitlines() == [
        f"{codebook}:1:1: unknown key 'langauge' in the codebook; did you mean 'language'?",
        f"{codebook}:4:11: unit 'word' of code 'a' is not one of: sentence, paragraph, turn, exchange",
        f"{codebook}:6:12: colour 'red' of code 'b' is not #RRGGBB (e.g. \"#4E79A7\")",
        f"Error: 3 problems in codebook {codebook}; fix them and run again",
    ]


def test_verbose_shows_the_traceback(tmp_path: Path) -> None:
    exit_code, _, stderr = run("--verbose", "code", tmp_path / "nowhere", "-c", IPL_CODEBOOK, "-p", tmp_path / "p")
    assert exit_code == 1 and "Traceback" in stderr and "InputError" in stderr


def test_verbose_does_not_outlive_its_invocation(tmp_path: Path) -> None:
    run("--verbose", "code", tmp_path / "nowhere", "-c", IPL_CODEBOOK, "-p", tmp_path / "p")
    _, _, stderr = run("code", tmp_path / "nowhere", "-c", IPL_CODEBOOK, "-p", tmp_path / "p")
    assert "Traceback" not in stderr and stderr.startswith("Error:")


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", tmp_path, "--unit", "page")[0] == 2
    assert run("code", SAMPLES, "-c", IPL_CODEBOOK)[0] == 2


def test_help_reads_like_a_manual() -> None:
    exit_code, stdout, _ = run("code", "--help")
    assert exit_code == 0
    for words in ("Pre-code transcripts", "segments.csv", "--unit", "--interviewer", "Examples", "never deleted"):
        assert words in stdout


def test_help_does_not_import_spacy() -> None:
    probe = "import sys; from ipl_coder.cli import app; print('spacy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_parallel_and_sequential_coding_agree(sample_project: Path, tmp_path: Path) -> None:
    participants = SAMPLES / "participants.csv"
    assert run("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", tmp_path / "one", "--jobs", "1", "-q", "--participants", participants)[0] == 0
    for name in EXPORTS:
        assert (tmp_path / "one" / name).read_bytes() == (sample_project / name).read_bytes()


def program(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``ipl-coder`` run as the program it is installed as: its own process, exiting as the program exits."""
    return subprocess.run([sys.executable, "-m", "ipl_coder", *map(str, args)], capture_output=True, text=True, timeout=300)


def test_the_program_leaves_the_same_files_and_store_as_the_app_and_exits_0_1_2(sample_project: Path, tmp_path: Path) -> None:
    # main() freezes the garbage collector's objects on the way out: every file and the store must be complete before.
    project = tmp_path / "p"
    done = program("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "2", "--participants", SAMPLES / "participants.csv")
    assert (done.returncode, done.stderr) == (0, "")
    for name in EXPORTS:
        assert (project / name).read_bytes() == (sample_project / name).read_bytes(), name
    assert sorted(path.name for path in project.iterdir()) == sorted(["project.sqlite", "project.lock", "cache", *EXPORTS])
    with ProjectStore.open(project) as store, ProjectStore.open(sample_project) as reference:
        assert list(store.segments(None)) == list(reference.segments(None))
        assert tuple(store.connection.execute("SELECT transcripts_coded FROM runs").fetchone()) == (9,)  # the run was finished
    assert program("code", tmp_path / "nowhere", "-c", IPL_CODEBOOK, "-p", tmp_path / "q").returncode == 1
    assert program("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", tmp_path / "q", "--unit", "page").returncode == 2
    assert not (tmp_path / "q").exists()


def test_a_pipeline_that_cannot_load_leaves_no_project_behind(tmp_path: Path) -> None:
    exit_code, _, stderr = run("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--model", "no_such_pipeline_xyz")
    assert exit_code == 1 and "cannot load the spaCy pipeline 'no_such_pipeline_xyz'" in stderr
    assert not (tmp_path / "p").exists()


def test_when_every_file_is_skipped_it_says_so_and_fails(write_file: Callable[..., Path], tmp_path: Path) -> None:
    empty = write_file("empty.txt", "")
    for extra in ((), ("--quiet",), ("--json",)):
        exit_code, stdout, stderr = run("code", empty, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", *extra)
        assert exit_code == 1, extra
        assert f"no transcript could be coded: {empty} was skipped, the file is empty; fix or remove it" in " ".join(stderr.split())
    assert json.loads(stdout)["skipped"][0]["reason"] == "the file is empty"


def test_model_loads_a_pipeline_folder(tmp_path: Path) -> None:
    import spacy

    pipeline = tmp_path / "my_pipeline"
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(pipeline)
    exit_code, stdout, stderr = run("code", SAMPLES / "CA-PSW-01.txt", "-c", IPL_CODEBOOK, "-p", tmp_path / "p",
                                    "--model", pipeline, "--json")  # fmt: skip
    assert exit_code == 0, stderr
    result = json.loads(stdout)
    assert result["pipeline"] == "en_pipeline-0.0.0" and result["segments"] > 10
    with ProjectStore.open(tmp_path / "p") as store:
        assert store.connection.execute("SELECT pipeline FROM runs").fetchone()[0] == "en_pipeline-0.0.0"

"""A mixed folder of real files, participants and attributes, freq by group, and transcripts show."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook
from typer.testing import CliRunner

from conftest import IPL_CODEBOOK, SAMPLES
from ipl_coder.cli import app
from ipl_coder.codebook.model import Codebook
from ipl_coder.store import ProjectStore

runner = CliRunner()


def run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    return result.exit_code, result.stdout, result.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def mixed_folder(root: Path) -> Path:
    folder = root / "mixed"
    folder.mkdir()
    document = Document()
    for label, words in (("Interviewer:", " What is your role?"), ("Kari:", " I am the bridge between them and us.")):
        paragraph = document.add_paragraph()
        paragraph.add_run(label).bold = True
        paragraph.add_run(words)
    document.save(str(folder / "word.docx"))
    (folder / "~$word.docx").write_bytes(b"\x00lock")
    (folder / "zoom.vtt").write_text(
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nInterviewer: And then?\n\n"
        "2\n00:00:03.000 --> 00:00:05.000\nOla: I was the broker for the team.\n", encoding="utf-8")  # fmt: skip
    (folder / "call.srt").write_text(
        "1\n00:00:01,000 --> 00:00:02,000\nInterviewer: Go on.\n\n"
        "2\n00:00:02,500 --> 00:00:04,000\nP1: It was them and us.\n", encoding="utf-8")  # fmt: skip
    (folder / "unicode.txt").write_bytes("I: Hei?\nP1: Jeg er en bro, æøå.\n".encode("utf-16"))
    (folder / "windows.txt").write_bytes("I: Well?\nP1: I was the bridge – “æøå”.\n".encode("cp1252"))
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    return folder


def test_a_mixed_folder_codes_every_good_file_and_reports_each_bad_one(tmp_path: Path) -> None:
    folder = mixed_folder(tmp_path)
    exit_code, stdout, stderr = run("code", folder, "-c", IPL_CODEBOOK, "-p", tmp_path / "p")
    assert exit_code == 0, stderr
    assert "5 transcripts coded, 2 skipped" in stdout
    skipped = [line for line in stderr.splitlines() if line.startswith("Skipped")]
    assert skipped == [
        f"Skipped {folder / 'binary.txt'}: this is a binary file, not text (it holds NUL bytes)",
        f"Skipped {folder / 'empty.txt'}: the file is empty",
    ]
    assert "Warning windows: not UTF-8 (byte 0x96 on line 2, column 22): read as cp1252" in stderr
    with ProjectStore.open(tmp_path / "p") as store:
        stored = {row.name: row.text for row in store.transcripts()}
        encodings = dict(store.connection.execute("SELECT name, encoding FROM transcripts").fetchall())
        segments = list(store.segments())
    assert sorted(stored) == ["call", "unicode", "windows", "word", "zoom"]
    assert stored["windows"] == "I: Well?\nP1: I was the bridge – “æøå”.\n"
    assert encodings == {"call": "utf-8", "unicode": "utf-16 (with BOM)", "windows": "cp1252 (guessed)",
                         "word": "docx", "zoom": "utf-8"}  # fmt: skip
    found = {(segment.transcript, segment.code_id, segment.timestamp) for segment in segments}
    assert {("zoom", "broker", "00:00:03"), ("call", "boundary-divide", "00:00:02"), ("word", "broker", None)} <= found
    rows = read_csv(tmp_path / "p" / "segments.csv")
    assert {(row["transcript"], row["time"]) for row in rows if row["code"] == "broker"} >= {("zoom", "00:00:03")}

    exit_code, stdout, stderr = run("code", folder, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--strict")
    assert exit_code == 1 and "5 transcripts coded, 2 skipped" in stdout
    assert stderr.splitlines()[-1] == "Error: 2 files skipped and --strict is on; the others were coded"


@pytest.fixture(scope="module")
def grouped_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("groups") / "p"
    exit_code, _, stderr = run("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "-q",
                               "--participants", SAMPLES / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    return project


def test_freq_by_country_and_role_agrees_with_segments_csv(grouped_project: Path, tmp_path: Path, ipl_codebook: Codebook) -> None:
    out = tmp_path / "f.csv"
    exit_code, stdout, stderr = run("freq", "--project", grouped_project, "--by", "country", "--by", "Role", "--out", out)
    assert exit_code == 0, stderr
    table = read_csv(out)
    assert list(table[0]) == ["code", "parent", "level", "country", "role", "segments", "participants",
                              "participants_with_code", "share", "per_1000_words"]  # fmt: skip
    segments = read_csv(grouped_project / "segments.csv")
    group_of = {row["id"]: (row["country"], row["role"]) for row in read_csv(SAMPLES / "participants.csv")}
    with ProjectStore.open(grouped_project) as store:  # one participant per interview in the samples
        words = {row.transcript: row.words for row in store.speakers() if row.role == "participant"}
    assert stdout.startswith(f"Wrote {len(ipl_codebook.codes) * len(set(group_of.values()))} rows")
    by_code: dict[tuple[str, str, str], list[dict[str, str]]] = defaultdict(list)
    for row in segments:
        for code in ipl_codebook.codes:  # a parent counts its sub-codes' segments
            family = {code.code_id, *(sub.code_id for sub in ipl_codebook.descendants(code.code_id))}
            if row["code"] in family:
                by_code[(code.code_id, row["country"], row["role"])].append(row)
    assert {(row["code"], row["country"], row["role"]) for row in table} == {
        (code.code_id, *group) for code in ipl_codebook.codes for group in group_of.values()
    }
    for row in table:
        group = (row["country"], row["role"])
        members = by_code[(row["code"], *group)]
        people = [name for name, its_group in group_of.items() if its_group == group]
        assert int(row["segments"]) == len(members)
        assert int(row["participants_with_code"]) == len({member["participant"] for member in members})
        assert int(row["participants"]) == len(people)
        group_words = sum(words[name] for name in people)
        assert float(row["per_1000_words"]) == pytest.approx(1000 * len(members) / group_words, abs=0.005)
        assert float(row["share"]) == pytest.approx(len({m["participant"] for m in members}) / len(people), abs=0.0005)
    # A parent's row repeats its sub-codes' segments; the rows of level 0 add up to every segment once.
    parents = {code.code_id: code.parent_id or "" for code in ipl_codebook.codes}
    assert {(row["code"], row["parent"], row["level"]) for row in table} == {
        (code, parent, "1" if parent else "0") for code, parent in parents.items()  # ipl.yaml has two levels
    }
    for group in set(group_of.values()):
        top = [row for row in table if (row["country"], row["role"]) == group and row["level"] == "0"]
        assert sum(int(row["segments"]) for row in top) == sum(1 for row in segments if (row["country"], row["role"]) == group)
    peer_workers_in_norway = {row["code"]: row for row in table if row["role"] == "peer support worker" and row["country"] == "Norway"}
    assert peer_workers_in_norway["boundary"]["participants"] == "2"


def test_freq_by_country_prints_a_table_and_counts_people(grouped_project: Path) -> None:
    exit_code, stdout, stderr = run("freq", "-p", grouped_project, "--by", "country")
    assert exit_code == 0, stderr
    assert "Codes by country" in stdout and "Norway" in stdout and "Canada" in stdout
    assert "5/5" in stdout or "4/5" in stdout  # Norway has five participants


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "contry"], "no attribute 'contry' in the project; did you mean 'country'?"),
        (["--by", "shoe size"], "no attribute 'shoe size' in the project; the project has: role, country, site, language"),
    ],
)
def test_freq_names_unknown_attributes(grouped_project: Path, args: list[str], message: str) -> None:
    exit_code, stdout, stderr = run("freq", "-p", grouped_project, *args)
    assert exit_code == 1 and stderr.strip() == f"Error: {message}"


def test_freq_without_a_project_says_what_to_do(tmp_path: Path) -> None:
    exit_code, _, stderr = run("freq", "-p", tmp_path / "none")
    assert exit_code == 1 and "no project here" in stderr and "run 'ipl-coder code' first" in stderr


def focus_group(root: Path) -> Path:
    (root / "FG-01.txt").write_text(
        "Moderator: What about the team?\nAnna: It was them and us.\nBen: I was the bridge.\n"
        "Moderator: And now?\nAnna: I learned a lot from them.\n", encoding="utf-8")  # fmt: skip
    (root / "INT-02.txt").write_text("I: Well?\nP1: I was the broker.\n", encoding="utf-8")
    workbook = Workbook()
    sheet = workbook.active
    for row in (["transcript", "speaker", "participant", "role", "age"],
                ["FG-01", "Anna", "p-anna", "nurse", 41.0],
                ["FG-01", "Ben", "p-ben", "peer worker", 35],
                ["INT-02", None, "p-carl", "manager", 50],
                ["INT-99", None, "p-dora", "nurse", 29]):  # fmt: skip
        sheet.append(row)
    workbook.save(root / "people.xlsx")
    return root / "people.xlsx"


def test_focus_group_speakers_are_people_with_their_own_attributes(tmp_path: Path) -> None:
    register = focus_group(tmp_path)
    exit_code, _, stderr = run("code", tmp_path / "FG-01.txt", tmp_path / "INT-02.txt", "-c", IPL_CODEBOOK,
                               "-p", tmp_path / "p", "--participants", register)  # fmt: skip
    assert exit_code == 0, stderr
    assert f"Note {register}: line 5 names 'INT-99', which is not a transcript in the project" in stderr
    rows = read_csv(tmp_path / "p" / "segments.csv")
    assert {(row["speaker"], row["participant"], row["role"], row["age"]) for row in rows} == {
        ("Anna", "p-anna", "nurse", "41"), ("Ben", "p-ben", "peer worker", "35"), ("P1", "p-carl", "manager", "50"),
    }  # fmt: skip
    exit_code, _, _ = run("freq", "-p", tmp_path / "p", "--by", "role", "--out", tmp_path / "f.csv")
    table = {(row["code"], row["role"]): row for row in read_csv(tmp_path / "f.csv")}
    assert table[("boundary", "nurse")]["participants_with_code"] == "1"
    assert table[("broker", "peer worker")]["segments"] == "1"
    assert {row["participants"] for row in table.values()} == {"1"}


def test_front_matter_attributes_and_language(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("no.txt", "---\ncountry: Norway\nlanguage: norsk\n---\nIntervjuer: Og?\nP1: Grensene var tydelige.\n")
    exit_code, stdout, stderr = run("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--json")
    assert exit_code == 0, stderr
    result = json.loads(stdout)
    assert result["coded"][0]["language"] == "nb" and result["pipeline"] == "blank:nb+simplemma"
    rows = read_csv(tmp_path / "p" / "segments.csv")
    assert [(row["code"], row["matched"], row["country"], row["rules"]) for row in rows] == [
        ("boundary", "Grensene", "Norway", "boundary:terms@nb")
    ]


def test_a_language_the_codebook_lacks_is_skipped_with_a_reason(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("fr.txt", "---\nlanguage: fr\n---\nI: Et?\nP1: La frontière.\n")
    exit_code, _, stderr = run("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p")
    assert exit_code == 1  # the only file: nothing was coded
    assert "it is in 'fr' (from its front matter), but the codebook has rules only in en, nb" in stderr


def test_transcripts_show_reports_how_a_file_is_read(tmp_path: Path) -> None:
    exit_code, stdout, stderr = run("transcripts", "show", SAMPLES / "NO-PSW-09.txt", "--participants",
                                    SAMPLES / "participants.csv", "--json")  # fmt: skip
    assert exit_code == 0, stderr
    report = json.loads(stdout)
    assert report["format"] == "text" and report["encoding"] == "utf-8" and report["language"] == "nb"
    assert report["attributes"]["country"] == "Norway"
    assert report["people"] == {"Deltaker": {"participant": "NO-PSW-09", "attributes": report["attributes"] | {"language": "nb"}}}
    first = report["turns"][0]
    assert (first["speaker"], first["role"], first["time"]) == ("Intervjuer", "interviewer", "00:00:04")
    text = (SAMPLES / "NO-PSW-09.txt").read_text(encoding="utf-8")
    assert text[first["start"] : first["end"]] == first["text"]
    exit_code, stdout, _ = run("transcripts", "show", SAMPLES / "NO-PSW-09.txt")
    assert exit_code == 0 and "Deltaker" in stdout and "00:00:12" in stdout and "nb (detected from the text" in stdout


def test_transcripts_show_on_bad_input(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    exit_code, _, stderr = run("transcripts", "show", tmp_path / "empty.txt")
    assert exit_code == 1 and stderr.strip() == f"Error: {tmp_path / 'empty.txt'}: the file is empty"
    exit_code, _, stderr = run("transcripts", "show", tmp_path / "missing.txt")
    assert exit_code == 1 and "cannot read the file" in stderr
    exit_code, _, stderr = run("transcripts", "show", tmp_path)
    assert exit_code == 1 and stderr.strip() == f"Error: {tmp_path}: this is a folder; give one transcript file ('ipl-coder code' takes folders)"

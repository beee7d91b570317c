"""Transcripts that were once mis-read in silence, each a fixture in tests/fixtures, and the warnings that catch the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.store import ProjectStore
from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Transcript
from ipl_coder.transcripts.reader import TranscriptFile, read_transcript

FIXTURES = Path(__file__).parent / "fixtures"
MISREAD = FIXTURES / "misread"
I, P = INTERVIEWER, PARTICIPANT  # noqa: E741 - the rows below read as a table


def read(path: Path, *labels: str) -> Transcript:
    return read_transcript(TranscriptFile(path, path.stem), labels)


def roles(transcript: Transcript) -> list[tuple[str, str]]:
    return [(turn.speaker, turn.role) for turn in transcript.turns]


# 1. A participant label used once


@pytest.mark.parametrize(
    ("fixture", "answer", "encoding"),
    [
        (MISREAD / "label_once.txt", "Peer worker", "utf-8"),
        (FIXTURES / "encodings" / "label_once_utf16.txt", "Daniel", "utf-16 (with BOM)"),
        (FIXTURES / "encodings" / "label_once_cp1252.txt", "Daniel", "cp1252 (guessed)"),
    ],
)
def test_a_label_used_once_that_answers_the_interviewer_is_a_speaker(fixture: Path, answer: str, encoding: str) -> None:
    transcript = read(fixture)
    assert transcript.encoding == encoding
    assert roles(transcript) == [("Interviewer", I), (answer, P)]
    assert transcript.turn_word_counts[1] > 50  # the whole answer, no longer the interviewer's
    assert not [warning for warning in transcript.warnings if "cp1252" not in warning]
    line = transcript.text.count("\n", 0, transcript.turns[1].start_char) + 1
    assert transcript.notes == (f"read '{answer}' (line {line}) as a speaker: used once, but answering the interviewer",)


def test_speech_with_a_colon_between_two_questions_stays_speech(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("t.txt", """
        Interviewer: What did the nurse say when you asked?
        What she said was: no, not on this ward.
        Interviewer: And then?
        Respondent: Then I went to the manager.
        Interviewer: Did that help?
        Example: the care meetings, where I now sit in.
        Respondent: Yes, in the end.
    """))
    assert roles(transcript) == [("Interviewer", I), ("Interviewer", I), ("Respondent", P), ("Interviewer", I), ("Respondent", P)]
    assert "What she said was: no" in transcript.turn_text(transcript.turns[0])
    assert "Example: the care meetings" in transcript.turn_text(transcript.turns[3])  # followed by a participant, not the interviewer


def test_several_people_answering_once_each_are_all_speakers(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("focus.txt", """
        Moderator: What does a peer worker bring to the team?
        Anna: Hope, mostly.
        Bjørn: Another way of seeing the patient.
        Moderator: Thank you both.
    """))
    assert roles(transcript) == [("Moderator", I), ("Anna", P), ("Bjørn", P), ("Moderator", I)]


# 2. Two interviewer-like labels


def test_of_two_interviewer_labels_the_one_asking_is_the_interviewer() -> None:
    transcript = read(MISREAD / "two_interviewer_labels.txt")
    assert {speaker: role for speaker, role in roles(transcript)} == {"Interviewer": I, "Researcher": P}
    assert transcript.notes == (
        "two interviewer labels: took 'Interviewer' as the interviewer (it asks 3 of the 3 questions) and read 'Researcher' "
        "as a participant; if both interview, name each with --interviewer or 'interviewer:' in the front matter",
    )
    assert not transcript.warnings


def test_an_interviewer_label_the_researcher_names_is_never_changed() -> None:
    transcript = read(MISREAD / "two_interviewer_labels.txt", "Researcher")
    assert {role for _, role in roles(transcript)} == {I} and not transcript.notes


def test_numbered_interviewers_are_one_label(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("t.txt", "Interviewer 1: Hello?\nP1: Hi.\nInterviewer 2: And you?\nP1: Fine.\n"))
    assert [role for _, role in roles(transcript)] == [I, P, I, P] and not transcript.notes


# 3. A .docx laid out as a table


def _table_docx(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None) -> Path:
    document = Document()
    document.add_paragraph("Interview W-12. Transcribed by a service.")
    table = document.add_table(rows=0, cols=len(rows[0]))
    for cells in ([header] if header else []) + rows:
        for cell, text in zip(table.add_row().cells, cells, strict=True):
            cell.text = text
    document.save(str(path))
    return path


ANSWER = "I had been a patient there myself. When the job was advertised I thought I could use what I went through."


def test_a_time_speaker_text_table_is_read_as_turns() -> None:
    transcript = read(MISREAD / "table.docx")
    assert [(t.speaker, t.role, t.timestamp) for t in transcript.turns] == [
        ("Interviewer", I, "00:00:05"), ("Kari", P, "00:00:14"), ("Interviewer", I, "00:01:02"), ("Kari", P, "00:01:06"),
    ]  # fmt: skip
    assert transcript.turn_text(transcript.turns[1]).startswith("I had been a patient there myself")
    assert transcript.notes == ("a table of 4 rows read as turns (speaker in column 2, text in column 3, time in column 1)",)
    assert not transcript.warnings


@pytest.mark.parametrize(
    ("rows", "header", "expected"),
    [
        ([("Interviewer", "How did you start?"), ("Daniel", ANSWER)], None, [("Interviewer", I, None), ("Daniel", P, None)]),
        (
            [("0:00.0 - 0:04.2", "How did you start?", "Interviewer"), ("0:04.2 - 0:15.3", ANSWER, "Daniel")],
            ("Timespan", "Content", "Speaker"),
            [("Interviewer", I, "00:00:00"), ("Daniel", P, "00:00:04")],
        ),
        (
            [("Speaker 1:", "How did you start?"), ("", "Could you say more?"), ("Speaker 2:", ANSWER)],
            ("Speaker", "Transcript"),
            [("Speaker 1", P, None), ("Speaker 2", P, None)],
        ),
    ],
)
def test_table_layouts_from_services_and_nvivo(tmp_path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] | None,
                                               expected: list[tuple[str, str, str | None]]) -> None:  # fmt: skip
    transcript = read(_table_docx(tmp_path / "t.docx", rows, header))
    assert [(t.speaker, t.role, t.timestamp) for t in transcript.turns] == expected
    assert transcript.turn_text(transcript.turns[-1]) == ANSWER


def test_a_table_that_is_not_turns_is_read_cell_by_cell(tmp_path: Path) -> None:
    path = _table_docx(tmp_path / "t.docx", [("Date", "3 March 2025"), ("Site", "Toronto")])
    document = Document(str(path))
    document.add_paragraph("Interviewer: How did you start?")
    document.add_paragraph("P1: " + ANSWER)
    document.save(str(path))
    transcript = read(path)
    assert roles(transcript) == [("Interviewer", I), ("P1", P)] and not transcript.notes
    assert "Date\n3 March 2025\nSite\nToronto" in transcript.text


# 4. A transcript in another language with no language set


def test_an_unset_language_is_detected_and_coded_with_its_rules(tmp_path: Path) -> None:
    exit_code, _, stderr = run_cli("code", MISREAD / "norwegian_unset.txt", "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--jobs", "1")
    assert exit_code == 0, stderr
    assert "no language is set, and the text reads as 'nb' (detected from the text," in stderr
    with ProjectStore.open(tmp_path / "p") as store:
        assert store.transcript_languages() == {"norwegian_unset": "nb"}
        assert len(list(store.segments())) >= 3  # 0 when it was coded with the English rules


def test_a_text_too_short_to_tell_its_language_is_coded_in_the_codebooks_with_a_warning(
    tmp_path: Path, write_file: Callable[..., Path]
) -> None:
    # Norwegian, but too short to detect: a two-language codebook codes it with its first language's rules, and says so.
    transcript = write_file("kort.txt", "I: Hvordan?\nP1: Jeg er en bro mellom teamet og brukerne.\n")
    coded = _coded(transcript, IPL_CODEBOOK, tmp_path / "p")
    assert coded["language"] == "en"
    assert coded["warnings"] == [
        "no language is set, and the text is too short or too mixed to tell which it is in; it is coded with the "
        "codebook's 'en' rules: set 'language:' in its front matter or the participants file if it is in another"
    ]
    english_only = write_file("en.yaml", "name: en only\nlanguage: en\ncodes:\n  - id: team\n    label: Team\n    terms: [team]\n")
    assert _coded(transcript, english_only, tmp_path / "p2")["warnings"] == []  # one language: nothing else to choose


def _coded(transcript: Path, codebook: Path, project: Path) -> dict[str, Any]:
    """What code --json says of the one transcript it coded."""
    exit_code, stdout, stderr = run_cli("code", transcript, "-c", codebook, "-p", project, "--jobs", "1", "--json")
    assert exit_code == 0, stderr
    coded: dict[str, Any] = json.loads(stdout)["coded"][0]
    return coded


def test_a_set_language_the_text_contradicts_is_kept_with_a_warning(tmp_path: Path) -> None:
    text = (MISREAD / "norwegian_unset.txt").read_text(encoding="utf-8")
    path = tmp_path / "in" / "set_en.txt"
    path.parent.mkdir()
    path.write_text("---\nlanguage: en\n---\n" + text, encoding="utf-8")
    coded = _coded(path, IPL_CODEBOOK, tmp_path / "p")
    assert coded["language"] == "en"
    assert coded["warnings"] == [
        "its language is set to 'en' (from its front matter), but the text reads as 'nb' (detected from the text, 100% sure); "
        "it is coded as 'en': correct the setting if it is wrong"
    ]


def test_a_detected_language_the_codebook_lacks_is_skipped_with_what_to_do(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    codebook = write_file("en.yaml", "name: en only\nlanguage: en\ncodes:\n  - id: team\n    label: Team\n    terms: [team, teamet]\n")
    exit_code, _, stderr = run_cli("code", MISREAD / "norwegian_unset.txt", "-c", codebook, "-p", tmp_path / "p", "--jobs", "1")
    assert exit_code == 1  # the only file: nothing was coded
    assert ("norwegian_unset.txt: it is in 'nb' (detected from the text, 100% sure), but the codebook has rules only in en; "
            "add 'nb:' terms to the codebook or set 'language:' in its front matter or the participants file if that is wrong") in stderr


# 5. The safety net

NAMES = ("Kari", "Ola", "Liv", "Per")


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        ("Interviewer: " + "Tell me about the team. " * 10 + "\n\nInterviewer: And the ward? " + "It was busy, she said. " * 5,
         "no participant words: every turn is read as the interviewer's"),
        ("Interviewer: " + "So what I wanted to ask, and this is a long one, is how the team works. " * 12
         + "\nR: Fine.\nInterviewer: " + "And then, if I may follow up on the morning meetings and the rounds, " * 8 + "\nR: Yes.\n",
         "the interviewer holds 99% of the words: a participant's label may have been missed"),
        ("I: Start?\nR: " + "The team met every morning and we talked about the patients. " * 20
         + "\nI: And?\nR: Good.\nI: More?\nR: No.\n",
         "turn 2 (R) holds 98% of the words: labels inside it may have been missed"),
        ("I: Start?\nR: Well.\n" + "".join(f"{name}: I think the ward is fine and the team is good.\n" for name in NAMES),
         "4 lines start like a speaker label but were not read as one ('Kari:' on line 3, 'Ola:' on line 4, "
         "'Liv:' on line 5 and 1 more)"),
    ],
)
def test_each_warning_is_shown_by_code_show_and_check(tmp_path: Path, text: str, warning: str) -> None:
    path = tmp_path / "in" / "odd.txt"
    path.parent.mkdir()
    path.write_text(text, encoding="utf-8")
    assert any(warning in line for line in read(path).warnings)
    _, stdout, stderr = run_cli("code", path, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--jobs", "1", "--json")
    assert any(warning in line for line in json.loads(stdout)["coded"][0]["warnings"])
    _, _, stderr = run_cli("code", path, "-c", IPL_CODEBOOK, "-p", tmp_path / "p", "--jobs", "1")
    assert f"Warning odd: {warning}" in stderr
    _, stdout, _ = run_cli("transcripts", "show", path)
    assert "Warning" in stdout and warning in " ".join(stdout.split())
    exit_code, stdout, _ = run_cli("transcripts", "check", path.parent, "--strict")
    assert exit_code == 1 and f"Warning {path}: {warning}" in stdout


# transcripts check


def test_check_on_the_samples_warns_about_nothing() -> None:
    exit_code, stdout, stderr = run_cli("transcripts", "check", SAMPLES, "--participants", SAMPLES / "participants.csv",
                                        "--strict", "--json")  # fmt: skip
    assert exit_code == 0, stderr
    result = json.loads(stdout)
    assert len(result["files"]) == 9 and not result["warned"] and not result["notes"]
    by_name = {file["name"]: file for file in result["files"]}
    assert by_name["NO-PSW-09"]["language"] == "nb" and by_name["NO-PSW-09"]["language_source"].endswith("participants.csv, line 10")
    assert by_name["CA-PSW-01"]["speakers"] == [
        {"label": "Interviewer", "role": I, "turns": 31, "words": 308}, {"label": "P01", "role": P, "turns": 30, "words": 2071},
    ]  # fmt: skip
    assert all(not file["warnings"] and not file["unreadable"] for file in result["files"])


def test_check_on_the_fixtures_warns_only_about_the_file_with_no_labels() -> None:
    exit_code, stdout, _ = run_cli("transcripts", "check", MISREAD, "--json")
    assert exit_code == 0
    warned = {file["name"]: file["warnings"] for file in json.loads(stdout)["files"] if file["warnings"]}
    assert warned == {"no_labels": ["no speaker labels found: the whole file is read as one participant turn"]}
    exit_code, stdout, _ = run_cli("transcripts", "check", MISREAD, "--strict")
    assert exit_code == 1
    assert "5 files checked: 1 with a warning or unreadable, 4 read without a warning." in stdout
    assert "Warning " + str(MISREAD / "no_labels.txt") in stdout


def test_check_reports_unreadable_files_and_bad_paths(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    exit_code, stdout, _ = run_cli("transcripts", "check", tmp_path, "--json")
    assert exit_code == 0
    assert {file["name"]: file["unreadable"] for file in json.loads(stdout)["files"]} == {
        "empty": "the file is empty", "old": "'.doc' files cannot be read: an old Word file: open it in Word and save it as .docx",
    }  # fmt: skip
    exit_code, _, stderr = run_cli("transcripts", "check", tmp_path / "nowhere")
    assert exit_code == 1 and "nowhere: no such file or folder; check the path" in stderr
    exit_code, stdout, _ = run_cli("transcripts", "check", "--help")
    assert exit_code == 0 and "--strict" in stdout and "--participants" in stdout

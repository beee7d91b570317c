from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ipl_coder.errors import InputError, TranscriptError
from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Transcript
from ipl_coder.transcripts.plain import split_turns
from ipl_coder.transcripts.reader import (
    TranscriptFile,
    find_transcripts,
    normalise_text,
    read_transcript,
)


def read(path: Path, *labels: str) -> Transcript:
    return read_transcript(TranscriptFile(path, path.stem), labels)


def speakers(transcript: Transcript) -> list[tuple[str, str, str]]:
    return [(turn.speaker, turn.role, transcript.turn_text(turn)) for turn in transcript.turns]


@pytest.mark.parametrize(
    ("interviewer", "participant"),
    [
        ("Interviewer:", "P07:"), ("I:", "R:"), ("Q:", "A:"), ("Int:", "Respondent:"), ("Moderator:", "Peer worker:"),
        ("Interviewer:", "Dr. Hansen:"), ("<I>", "<R>"), ("**Interviewer:**", "**Respondent:**"), ("INTERVIEWER:", "P3:"),
    ],
)  # fmt: skip
def test_speaker_label_styles(write_file: Callable[..., Path], interviewer: str, participant: str) -> None:
    path = write_file("t.txt", f"{interviewer} How did it start?\n{participant} Slowly.\nIt took a year.\n\n"
                               f"{interviewer} And then?\n\n{participant} Then it was fine.\n")  # fmt: skip
    label = interviewer.strip("<>*:")
    answer = participant.strip("<>*:")
    assert speakers(read(path)) == [
        (label, INTERVIEWER, "How did it start?"), (answer, PARTICIPANT, "Slowly.\nIt took a year."),
        (label, INTERVIEWER, "And then?"), (answer, PARTICIPANT, "Then it was fine."),
    ]  # fmt: skip


def test_a_colon_in_speech_is_not_a_speaker(write_file: Callable[..., Path]) -> None:
    path = write_file("t.txt", """
        Interviewer: What did the nurse say?
        Ola Nordmann: She said one thing.
        What she told me was: no way. At 10:30 sharp.
        Interviewer: Really?
        Ola Nordmann: Really.
    """)
    transcript = read(path)
    assert [turn.speaker for turn in transcript.turns] == ["Interviewer", "Ola Nordmann", "Interviewer", "Ola Nordmann"]
    assert transcript.turn_text(transcript.turns[1]).endswith("What she told me was: no way. At 10:30 sharp.")


def test_interviewer_labels_are_configurable(write_file: Callable[..., Path]) -> None:
    path = write_file("t.txt", "KB: Tell me.\nP1: Well.\nKB: Go on.\nP1: Fine.\n")
    assert [turn.role for turn in read(path).turns] == [PARTICIPANT] * 4
    assert [turn.role for turn in read(path, "kb").turns] == [INTERVIEWER, PARTICIPANT] * 2


def test_text_is_normalised_once_and_offsets_point_into_it(write_file: Callable[..., Path]) -> None:
    decomposed = unicodedata.normalize("NFD", "Åse på Bodø")
    path = write_file("t.txt", b"\xef\xbb\xbfInterviewer: Hei\r\nP1: " + decomposed.encode() + b" \xf0\x9f\x98\x8a\r\n")
    transcript = read(path)
    assert transcript.text == "Interviewer: Hei\nP1: Åse på Bodø 😊\n"
    assert transcript.encoding == "utf-8 (with BOM)"
    assert transcript.turn_text(transcript.turns[1]) == "Åse på Bodø 😊"
    assert transcript.turns[1].start_char == len("Interviewer: Hei\nP1: ")


def test_a_file_without_labels_is_one_turn_with_a_warning(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("notes.md", "\n\n# Notes\nShe talked about the team.\n"))
    assert speakers(transcript) == [("", PARTICIPANT, "# Notes\nShe talked about the team.")]
    assert transcript.warnings == ("no speaker labels found: the whole file is read as one participant turn",)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "the file is empty"),
        ("blank.txt", b"\xef\xbb\xbf \n\n", "the file is empty"),
        ("scan.pdf", b"%PDF-1.4", "'.pdf' files cannot be read: a PDF: export its text as .txt or .docx"),
        ("notes.xyz", b"I: Hi", "'.xyz' files cannot be read: use .txt, .md, .docx, .vtt, .srt"),
    ],
)  # fmt: skip
def test_unreadable_transcripts_say_why(write_file: Callable[..., Path], name: str, content: bytes, message: str) -> None:
    path = write_file(name, content)
    with pytest.raises(TranscriptError) as caught:
        read(path)
    assert str(caught.value) == f"{path}: {message}"


def test_folders_are_walked_in_a_stable_order_and_skip_non_transcripts(write_file: Callable[..., Path], tmp_path: Path) -> None:
    for name in ["b/z.txt", "a.md", "b/a.txt", ".hidden.txt", "~$lock.txt", "README.md", "notes.csv", ".git/x.txt"]:
        write_file(f"corpus/{name}", "I: hi\n")
    found = find_transcripts([tmp_path / "corpus", write_file("extra/single.txt", "I: x\n")])
    assert [item.name for item in found] == ["a", "b/a", "b/z", "single"]


def test_missing_paths_and_clashing_names_are_input_errors(write_file: Callable[..., Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or folder"):
        find_transcripts([tmp_path / "nowhere"])
    first, second = write_file("one/x.txt", "I: a\n"), write_file("two/x.md", "I: b\n")
    with pytest.raises(InputError, match="would both be called 'x'"):
        find_transcripts([first, second])


labels = st.sampled_from(["Interviewer", "I", "P07", "Respondent", "Dr. Hansen", "Peer worker"])
words = st.text(alphabet="abcæøå ÅØ😊.,!?\t", min_size=1, max_size=40).filter(lambda text: text.strip())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(labels, words, st.sampled_from(["\n", "\r\n", "\n\n", "\r"])), min_size=1, max_size=8))
def test_turn_offsets_always_bound_the_spoken_words(lines: list[tuple[str, str, str]]) -> None:
    text = normalise_text("".join(f"{label}: {said}{newline}" for label, said, newline in lines))
    turns = split_turns(text)
    previous_end = 0
    for turn in turns:
        body = text[turn.start_char : turn.end_char]
        assert body == body.strip() and body
        assert previous_end <= turn.start_char < turn.end_char <= len(text)
        previous_end = turn.end_char
    assert "\r" not in text and unicodedata.is_normalized("NFC", text)

"""Real Word, caption and legacy-encoded files: speakers, turns, timestamps and offsets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from docx import Document

from ipl_coder.errors import TranscriptError
from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Transcript
from ipl_coder.transcripts.reader import (
    TranscriptFile,
    find_transcripts,
    read_transcript,
)

I, P = INTERVIEWER, PARTICIPANT  # noqa: E741 - the rows below read as a table


def read(path: Path, *labels: str) -> Transcript:
    return read_transcript(TranscriptFile(path, path.stem), labels)


def turns(transcript: Transcript) -> list[tuple[str, str, str | None, str]]:
    for turn in transcript.turns:  # every offset is a code point index into the normalised text
        assert 0 <= turn.start_char < turn.end_char <= len(transcript.text)
    return [(t.speaker, t.role, t.timestamp, transcript.turn_text(t)) for t in transcript.turns]


def test_docx_with_bold_colon_labels_and_label_paragraphs(tmp_path: Path) -> None:
    document = Document()
    document.add_heading("Interview with a peer worker", level=1)
    paragraph = document.add_paragraph()
    paragraph.add_run("Interviewer:").bold = True
    paragraph.add_run(" How did you start on the ward?")
    paragraph = document.add_paragraph()
    paragraph.add_run("Kari:").bold = True  # one word, speaking once: only the bold vouches for it
    paragraph.add_run(" Slowly. The nurses kept their distance – æøå.")
    document.add_paragraph("It took a year before I was one of the team.")
    document.add_paragraph().add_run("Interviewer").bold = True  # a label paragraph, the words follow
    document.add_paragraph("And now?")
    document.add_paragraph().add_run("Kari").bold = True
    document.add_paragraph("Now we plan together.")
    path = tmp_path / "kari.docx"
    document.save(str(path))

    transcript = read(path)
    assert transcript.format == "docx"
    assert turns(transcript) == [
        ("Interviewer", I, None, "How did you start on the ward?"),
        ("Kari", P, None, "Slowly. The nurses kept their distance – æøå.\nIt took a year before I was one of the team."),
        ("Interviewer", I, None, "And now?"),
        ("Kari", P, None, "Now we plan together."),
    ]
    assert transcript.text.startswith("Interview with a peer worker\nInterviewer: How did")


def test_docx_turns_in_a_table_and_a_bold_phrase_that_is_not_a_label(tmp_path: Path) -> None:
    document = Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("Very important").bold = True
    paragraph.add_run(" was the first meeting.")
    table = document.add_table(rows=2, cols=1)
    table.rows[0].cells[0].text = "Interviewer [00:00:05]: Tell me about it."
    table.rows[1].cells[0].text = "P2 [00:00:09]: It was hard."
    path = tmp_path / "table.docx"
    document.save(str(path))
    assert turns(read(path)) == [
        ("Interviewer", I, "00:00:05", "Tell me about it."),
        ("P2", P, "00:00:09", "It was hard."),
    ]


def test_a_broken_docx_is_refused_in_words(write_file: Callable[..., Path]) -> None:
    path = write_file("broken.docx", b"PK\x03\x04 not really a zip")
    with pytest.raises(TranscriptError, match="not a Word .docx file that can be opened"):
        read(path)


VTT_TEAMS = """WEBVTT

NOTE Teams writes a voice tag per cue

a1b2c3/12-0
00:00:01.000 --> 00:00:04.500
<v Jane Smith>Thanks for joining. How did it start?</v>

a1b2c3/13-0
00:00:05.000 --> 00:00:08.000
<v Kari Nordmann>It started on the ward &amp; in the</v>

a1b2c3/13-1
00:00:08.000 --> 00:00:11.000
<v Kari Nordmann>day centre. <i>Grensene</i> var tydelige.</v>

00:01:02.250 --> 00:01:05.000
<v Jane Smith>And then?</v>
"""

VTT_ZOOM = """WEBVTT

1
00:00:01.040 --> 00:00:03.100
Interviewer: Tell me about your role.

2
00:00:03.500 --> 00:00:07.900
Ola: I am the peer worker here.

3
00:00:08.000 --> 00:00:10.000
I have been there myself.

4
01:02:03.000 --> 01:02:05.000
Interviewer: Thank you.
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
Interviewer: Welcome.

2
00:00:03,500 --> 00:00:06,000
Speaker 2: I work with <i>[name]</i> at XXX.

3
00:00:06,000 --> 00:00:09,000
Speaker 2: We are one of the staff.
- [laughs] Mostly.
"""


def test_teams_vtt_voice_tags_merge_cues_and_keep_start_times(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("teams.vtt", VTT_TEAMS), "Jane Smith")
    assert turns(transcript) == [
        ("Jane Smith", I, "00:00:01", "Thanks for joining. How did it start?"),
        ("Kari Nordmann", P, "00:00:05", "It started on the ward & in the day centre. Grensene var tydelige."),
        ("Jane Smith", I, "00:01:02", "And then?"),
    ]
    assert transcript.text.splitlines()[1] == "Kari Nordmann: It started on the ward & in the day centre. Grensene var tydelige."


def test_zoom_vtt_name_prefixes_and_unlabelled_cues_continue_the_speaker(write_file: Callable[..., Path]) -> None:
    assert turns(read(write_file("zoom.vtt", VTT_ZOOM))) == [
        ("Interviewer", I, "00:00:01", "Tell me about your role."),
        ("Ola", P, "00:00:03", "I am the peer worker here. I have been there myself."),
        ("Interviewer", I, "01:02:03", "Thank you."),
    ]


def test_srt_cues_with_redactions_kept_as_written(write_file: Callable[..., Path]) -> None:
    assert turns(read(write_file("call.srt", SRT))) == [
        ("Interviewer", I, "00:00:01", "Welcome."),
        ("Speaker 2", P, "00:00:03", "I work with [name] at XXX. We are one of the staff. - [laughs] Mostly."),
    ]


def test_captions_without_speakers_or_cues(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("plain.srt", "1\n00:00:01,000 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,000 --> 00:00:03,000\nBye.\n"))
    assert turns(transcript) == [("", P, "00:00:01", "Hello there. Bye.")]
    assert "no speaker labels" in transcript.warnings[0]
    with pytest.raises(TranscriptError, match="no caption cues"):
        read(write_file("empty.vtt", "WEBVTT\n\nNOTE nothing here\n"))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig", "utf-32"])
def test_unicode_files_with_a_bom(write_file: Callable[..., Path], encoding: str) -> None:
    text = "Intervjuer: Hva med grensene?\r\nP1: Blåbær og Ærlighet, Øystein. 😀\r\n"
    raw = text.encode(encoding)
    if encoding == "utf-16-be":
        raw = b"\xfe\xff" + raw
    transcript = read(write_file("t.txt", raw))
    assert transcript.encoding.endswith("(with BOM)") and not transcript.warnings
    assert turns(transcript) == [
        ("Intervjuer", I, None, "Hva med grensene?"), ("P1", P, None, "Blåbær og Ærlighet, Øystein. 😀"),
    ]  # fmt: skip


def test_windows_1252_is_guessed_and_named_in_a_warning(write_file: Callable[..., Path]) -> None:
    transcript = read(write_file("t.txt", "I: Hei\nR: Blåbær – “æøå”.\n".encode("cp1252")))
    assert transcript.encoding == "cp1252 (guessed)"
    assert transcript.warnings == (
        "not UTF-8 (byte 0xe5 on line 2, column 6): read as cp1252, the likeliest encoding; check its æøå, or save it as UTF-8",
    )
    assert turns(transcript)[1] == ("R", P, None, "Blåbær – “æøå”.")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("Привет, я работаю в больнице много лет.".encode("koi8_r"), "its encoding cannot be told with confidence"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is a binary file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "this is a zip file"),
    ],
)
def test_undecodable_files_are_refused_not_mangled(write_file: Callable[..., Path], content: bytes, message: str) -> None:
    with pytest.raises(TranscriptError, match=message):
        read(write_file("t.txt", content))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[00:01:23] Interviewer: Hi.\n[00:01:30] P1: Hello.\n", [("Interviewer", I, "00:01:23", "Hi."), ("P1", P, "00:01:30", "Hello.")]),
        ("00:01:23 Interviewer: Hi.\n00:01:30 P1: Hello.\n", [("Interviewer", I, "00:01:23", "Hi."), ("P1", P, "00:01:30", "Hello.")]),
        ("(01:23) I: Hi.\n(1:30) R: Hello.\n", [("I", I, "00:01:23", "Hi."), ("R", P, "00:01:30", "Hello.")]),
        ("Interviewer [00:01:23]: Hi.\nP1 (00:01:30): Hello.\n", [("Interviewer", I, "00:01:23", "Hi."), ("P1", P, "00:01:30", "Hello.")]),
        ("Speaker 1 (00:01:23): Hi.\nSpeaker 2 (00:01:30): Hello.\n", [("Speaker 1", P, "00:01:23", "Hi."), ("Speaker 2", P, "00:01:30", "Hello.")]),
        ("Interviewer: [00:01:23] Hi.\nP1: (00:01:30) Hello.\n", [("Interviewer", I, "00:01:23", "Hi."), ("P1", P, "00:01:30", "Hello.")]),
        # Otter: the label and time on a line of their own, the words below.
        ("Interviewer  0:03\nHi, welcome.\n\nOla Nordmann  0:15\nThanks.\nIt was [name] who said it.\n",
         [("Interviewer", I, "00:00:03", "Hi, welcome."), ("Ola Nordmann", P, "00:00:15", "Thanks.\nIt was [name] who said it.")]),
        # Teams text export: a name line with a time, then the words.
        ("Jane Smith 00:00:05\nHow are you?\nKARI 00:00:09\nFine.\n",
         [("Jane Smith", P, "00:00:05", "How are you?"), ("KARI", P, "00:00:09", "Fine.")]),
        ("INTERVIEWER: Hi.\nXXX: I met XXX at [hospital].\nINTERVIEWER: Go on.\nXXX: No.\n",
         [("INTERVIEWER", I, None, "Hi."), ("XXX", P, None, "I met XXX at [hospital]."), ("INTERVIEWER", I, None, "Go on."), ("XXX", P, None, "No.")]),
    ],
)  # fmt: skip
def test_plain_text_layouts(write_file: Callable[..., Path], text: str, expected: list) -> None:
    assert turns(read(write_file("t.txt", text))) == expected


def test_lone_lines_that_are_not_labels(write_file: Callable[..., Path]) -> None:
    text = "Interviewer: What happened?\nP1: Well.\nYes.\nNothing\nmuch happened.\nInterviewer: Ok.\n"
    assert [t[0] for t in turns(read(write_file("t.txt", text)))] == ["Interviewer", "P1", "Interviewer"]


def test_front_matter_gives_attributes_and_is_taken_off_the_text(write_file: Callable[..., Path]) -> None:
    path = write_file("fg.md", """
        ---
        role: nurse
        country: Norway
        language: nb
        interviewer: KB
        speakers:
          P1: {participant: NO-FG-P1, role: peer worker}
        ---
        KB: Hva tenker dere?
        P1: Grensene er tydelige.
        P2: Enig.
    """)
    transcript = read(path)
    assert transcript.attributes == {"role": "nurse", "country": "Norway", "language": "nb"}
    assert transcript.speaker_attributes == {"P1": {"participant": "NO-FG-P1", "role": "peer worker"}}
    assert transcript.language == "nb"
    assert transcript.text.startswith("KB: Hva")
    assert turns(transcript)[0] == ("KB", I, None, "Hva tenker dere?")


def test_broken_front_matter_is_reported(write_file: Callable[..., Path]) -> None:
    with pytest.raises(TranscriptError, match="front matter on line 3 is not valid YAML"):
        read(write_file("t.txt", "---\nrole: nurse\ncountry: [Norway\n---\nI: Hi\nP: Yes\n"))


def test_folder_walk_skips_lock_files_and_reports_other_documents(write_file: Callable[..., Path], tmp_path: Path) -> None:
    for name in ("b/two.vtt", "a.docx", "~$a.docx", ".hidden.txt", "notes.pdf", "c.srt", "participants.csv"):
        write_file(f"in/{name}", "x")
    assert [(f.name, f.path.name) for f in find_transcripts([tmp_path / "in"])] == [
        ("a", "a.docx"), ("b/two", "two.vtt"), ("c", "c.srt"), ("notes", "notes.pdf"),
    ]  # fmt: skip
    with pytest.raises(TranscriptError, match="a PDF: export its text as .txt or .docx"):
        read(tmp_path / "in" / "notes.pdf")


def test_glob_patterns(write_file: Callable[..., Path], tmp_path: Path) -> None:
    for name in ("CA-1.txt", "CA-2.txt", "NO-1.txt"):
        write_file(f"in/{name}", "I: Hi\nP: Yes\n")
    assert [f.name for f in find_transcripts([tmp_path / "in" / "CA-*.txt"])] == ["CA-1", "CA-2"]

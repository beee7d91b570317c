"""Inputs that once passed a check and then failed later, or ended in "unexpected error" (issue 13).

Each test here failed before its fix. The random search for more of them is tests/test_fuzz_readers.py.
"""

from __future__ import annotations

import csv
import gc
import io
import struct
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, run_cli


def test_a_code_with_only_exclude_terms_codes_nothing_and_breaks_nothing(write_file: Callable[..., Path], tmp_path: Path) -> None:
    codebook = write_file("cb.yaml", """
        codes:
          - id: vetoes-alone
            exclude_terms: [stock broker]
          - id: broker
            terms: [broker]
    """)
    transcript = write_file("t.txt", "Interviewer: Work?\nP1: My uncle is a stock broker. I am a broker too.\n")
    assert run_cli("codebook", "validate", codebook)[0] == 0
    exit_code, _, stderr = run_cli("code", transcript, "-c", codebook, "-p", tmp_path / "p", "-q", "--jobs", "1")
    assert exit_code == 0, stderr
    with (tmp_path / "p" / "segments.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    # Another code's exclude_terms veto only that code: both sentences are 'broker'.
    assert [(row["code"], row["text"]) for row in rows] == [
        ("broker", "My uncle is a stock broker."), ("broker", "I am a broker too."),
    ]  # fmt: skip


def test_a_pattern_too_open_to_match_quickly_is_refused_at_validation(write_file: Callable[..., Path]) -> None:
    stars = ", ".join(['{OP: "*"}'] * 200)
    codebook = write_file("cb.yaml", f"""
        codes:
          - id: fine
            patterns:
              - [{{LEMMA: tell}}, {{OP: "{{,4}}"}}, {{LOWER: team}}]
              - [{{LOWER: said}}, {{OP: "*"}}, {{OP: "?"}}, {{OP: "?"}}, {{LOWER: team}}]
          - id: wild
            patterns:
              - [{stars}]
              - [{{OP: "{{100000000}}"}}]
    """)
    exit_code, _, stderr = run_cli("codebook", "validate", codebook)
    assert exit_code == 1
    assert f"{codebook}:8:9: malformed pattern in pattern rule 1 of code 'wild': too open to match quickly: 1200 optional tokens" in stderr
    assert "write '{,4}' rather than '*'" in stderr
    assert f"{codebook}:9:9: malformed pattern in pattern rule 2 of code 'wild': too long to match quickly: 100000000 tokens" in stderr
    assert "code 'fine'" not in stderr and "2 problems in codebook" in stderr


def test_a_pattern_on_custom_attributes_is_refused_at_validation_not_on_the_first_transcript(write_file: Callable[..., Path]) -> None:
    codebook = write_file("cb.yaml", "codes:\n  - id: custom\n    patterns:\n      - [{LOWER: peer}, {_: {x: 1}}]\n")
    exit_code, _, stderr = run_cli("codebook", "validate", codebook)
    assert exit_code == 1 and f"{codebook}:4:9: malformed pattern in pattern rule 1 of code 'custom': token 2: '_' (custom " \
        "extension attributes) cannot be used: ipl-coder's pipelines register none" in stderr


def test_an_unclosed_bracket_or_quote_is_reported_where_it_opens(write_file: Callable[..., Path]) -> None:
    at_the_end = write_file("end.yaml", "name: x\ncodes:\n  - id: broker\n    terms: [broker, bridge\n")
    exit_code, _, stderr = run_cli("codebook", "validate", at_the_end)
    assert exit_code == 1
    assert f"{at_the_end}:4:12: YAML syntax: this '[' is never closed with ']': the file ends first" in stderr
    further_on = write_file("on.yaml", "codes:\n  - id: broker\n    terms: [broker, bridge\n    label: Broker\n")
    assert f"{further_on}:3:12: YAML syntax: this '[' is never closed with ']': expected ',' or ']', but got ':' on line 4" \
        in run_cli("codebook", "validate", further_on)[2]
    quote = write_file("quote.yaml", 'codes:\n  - id: broker\n    label: "Broker\n')
    assert f"{quote}:3:12: YAML syntax: this quote (\") is never closed: the file ends first" in run_cli("codebook", "validate", quote)[2]


def test_control_characters_and_runaway_nesting_in_a_codebook_are_located(write_file: Callable[..., Path]) -> None:
    control = write_file("control.yaml", "codes:\n  - id: broker\n    label: Bro\x02ker\n")
    exit_code, _, stderr = run_cli("codebook", "validate", control)
    assert exit_code == 1 and "unexpected error" not in stderr
    assert f"{control}:3:15: a control character (U+0002) YAML does not allow; delete it" in stderr
    for name, text in (("flow.yaml", "codes: " + "[" * 1000 + "]" * 1000 + "\n"),
                       ("block.yaml", "codes:\n" + "".join(" " * depth + "a:\n" for depth in range(1, 1000)))):  # fmt: skip
        deep = write_file(name, text)
        exit_code, _, stderr = run_cli("codebook", "validate", deep)
        assert exit_code == 1 and "unexpected error" not in stderr
        assert "lists or mappings nested hundreds of levels deep, about here: a codebook needs only a few levels" in stderr


@pytest.mark.parametrize("depth", [1000, 100_000])  # deep enough to crash libyaml's parser (ruamel.yaml.clib), not raise
def test_runaway_nesting_in_a_transcripts_front_matter_is_one_line(write_file: Callable[..., Path], depth: int) -> None:
    transcript = write_file("t.txt", "---\nrole: " + "[" * depth + "]" * depth + "\n---\nI: Hi?\nP1: Hello.\n")
    exit_code, _, stderr = run_cli("transcripts", "show", transcript)
    assert exit_code == 1 and stderr.strip().splitlines() == [
        f"Error: {transcript}: the YAML front matter nests lists or mappings hundreds of levels deep; it needs 'name: value' lines"
    ]


def test_an_escape_that_is_half_a_character_is_refused_where_it_is_written(write_file: Callable[..., Path], tmp_path: Path) -> None:
    # YAML's "\udc00" is half of a UTF-16 pair: Python holds it, but no file or database can store it.
    codebook = write_file("cb.yaml", 'codes:\n  - id: broker\n    terms: [bridge, "\\udc00"]\n')
    exit_code, _, stderr = run_cli("codebook", "validate", codebook)
    assert exit_code == 1
    assert f"{codebook}:3:21: '\\udc00' is not a character (half of a UTF-16 pair); write the character itself" in stderr
    transcript = write_file("t.txt", '---\nrole: "nurse\\ud800"\n---\nI: Hi?\nP1: I am a bridge.\n')
    exit_code, _, stderr = run_cli("transcripts", "show", transcript)
    assert exit_code == 1 and f"Error: {transcript}: the YAML front matter holds '\\ud800', which is not a character" in stderr
    exit_code, _, stderr = run_cli("code", transcript, "-c", IPL_CODEBOOK, "-p", tmp_path / "p")
    assert f"Skipped {transcript}: the YAML front matter holds '\\ud800'" in stderr  # as any unreadable file
    assert exit_code == 1 and "no transcript could be coded" in stderr  # it was the only one


def test_square_brackets_in_labels_are_printed_as_written(write_file: Callable[..., Path], tmp_path: Path) -> None:
    # rich reads '[/]' as markup: a speaker label or code label holding it was an unexpected MarkupError.
    captions = write_file("t.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v [/]Interviewer>How did you come here?\n\n"
                                   "00:00:05.000 --> 00:00:09.000\n<v Kari>I was a bridge.\n")  # fmt: skip
    participants = write_file("participants.csv", "transcript;speaker;participant\nt;[/]Interviewer;P-[/red]\n")
    exit_code, stdout, stderr = run_cli("transcripts", "show", captions, "--participants", participants)
    assert exit_code == 0, stderr
    assert "speaker [/]Interviewer: participant P-[/red]" in stdout
    codebook = write_file("cb.yaml", "codes:\n  - id: broker\n    label: '[/] broker [bold'\n    terms: [bridge]\n")
    exit_code, stdout, stderr = run_cli("code", captions, "-c", codebook, "-p", tmp_path / "p")
    assert exit_code == 0, stderr
    assert "[/] broker [bold" in stdout


# --- spreadsheets -------------------------------------------------------------------------------------


def test_offsets_in_a_sheet_must_be_ascii_digits(fresh_project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    rows = [["segment_id", "decision", "transcript", "code", "start", "end"], ["", "", "CA-PSW-01", "broker", "²", "5"],
            ["", "", "CA-PSW-01", "broker", "1", "9" * 5000]]  # fmt: skip
    sheet.write_text("\n".join(",".join(row) for row in rows) + "\n", encoding="utf-8")
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 1 and "unexpected error" not in stderr
    assert f"{sheet} row 2: start '²' and end '5' must both be whole numbers (character offsets)" in stderr
    assert f"{sheet} row 3: start '1' and end '999" in stderr and "2 bad rows" in stderr


def test_a_csv_cell_longer_than_pythons_default_limit_is_read(write_file: Callable[..., Path]) -> None:
    transcript = write_file("CA-1.txt", "Interviewer: Hello?\nP1: Hello.\n")
    notes = "word " * 30_000  # 150,000 characters: Python's csv module stops at 131,072 unless told otherwise
    participants = write_file("participants.csv", f"transcript;notes;country\nCA-1;{notes};Canada\n")
    exit_code, stdout, stderr = run_cli("transcripts", "show", transcript, "--participants", participants, "--json")
    assert exit_code == 0, stderr
    assert '"country": "Canada"' in stdout


# --- damaged and hostile zip files (.docx, .xlsx, .qdpx) ----------------------------------------------


def _rezip(data: bytes, replace: dict[str, bytes], *, store_as: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The zip file ``data`` with some members' content replaced (or added)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", store_as) as archive:
        for name, content in {**members, **replace}.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _flip_compressed_bytes(data: bytes, member: str) -> bytes:
    """Damage ``member``'s compressed bytes (not its header): unpacking it fails."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_length + extra_length
    damaged = bytearray(data)
    for offset in range(start + 2, start + min(info.compress_size, 40)):
        damaged[offset] ^= 0x5A
    return bytes(damaged)


def _docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("Interviewer: How did you come to the ward?")
    document.add_paragraph("Kari: I am a bridge between the patients and the staff.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["transcript", "country"])
    sheet.append(["CA-1", "Canada"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _qdpx(tmp_path: Path) -> bytes:
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text("codes:\n  - id: broker\n    terms: [broker]\n", encoding="utf-8")
    assert run_cli("codebook", "export", codebook, "--format", "qdc", "--out", tmp_path / "codebook.qdc")[0] == 0
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", (tmp_path / "codebook.qdc").read_bytes())
        archive.writestr("sources/s1.txt", "A source.")
    return buffer.getvalue()


def _one_line_error(result: tuple[int, str, str], path: Path, message: str) -> None:
    exit_code, _, stderr = result
    assert exit_code == 1 and "unexpected error" not in stderr and "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines() == [f"Error: {path}: {message}"] or message in stderr and len(stderr.strip().splitlines()) == 1, stderr


def test_damaged_word_excel_and_qdpx_files_are_one_line_naming_the_file(tmp_path: Path) -> None:
    transcript, participants = tmp_path / "CA-1.txt", tmp_path / "p.xlsx"
    transcript.write_text("Interviewer: Hello?\nP1: Hello.\n", encoding="utf-8")
    docx = tmp_path / "t.docx"
    for content in (_rezip(_docx(), {"word/document.xml": b"<w:document"}), _flip_compressed_bytes(_docx(), "word/document.xml")):
        docx.write_bytes(content)
        _one_line_error(run_cli("transcripts", "show", docx), docx, "open it in Word and save it as .docx")
    with zipfile.ZipFile(io.BytesIO(_xlsx())) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").replace(b'<c r="A1" t="inlineStr">', b'<c r="Z1" t="n"><v>x</v></c><c r="A1" t="inlineStr">')
    participants.write_bytes(_rezip(_xlsx(), {"xl/worksheets/sheet1.xml": sheet}))  # a number cell holding 'x'

    _one_line_error(run_cli("transcripts", "show", transcript, "--participants", participants), participants,
                    "cannot read the first sheet (")  # fmt: skip
    qdpx = tmp_path / "project.qdpx"
    qdpx.write_bytes(_flip_compressed_bytes(_qdpx(tmp_path), "project.qde"))
    _one_line_error(run_cli("codebook", "import", qdpx, "--out", tmp_path / "out.yaml"), qdpx,
                    "a damaged .qdpx that cannot be unpacked (")  # fmt: skip


def test_zip_bombs_are_refused_before_any_member_is_read(tmp_path: Path) -> None:
    zeros = b"\0" * (30 * 1024 * 1024)  # packs about 1,000 to 1; real documents pack 3 to 30 to 1
    qdpx = tmp_path / "bomb.qdpx"
    qdpx.write_bytes(_rezip(_qdpx(tmp_path), {"project.qde": zeros}))
    _one_line_error(run_cli("codebook", "import", qdpx, "--out", tmp_path / "out.yaml"), qdpx,
                    "'project.qde' inside would unpack to 1")  # fmt: skip
    assert "times its packed size (30 MB); real documents do not, so it is not read" in run_cli(
        "codebook", "import", qdpx, "--out", tmp_path / "out.yaml")[2]  # fmt: skip
    # A member that claims a gigabyte is refused on that claim, before a byte of it is unpacked.
    small = _qdpx(tmp_path)
    claimed = bytearray(small)
    with zipfile.ZipFile(io.BytesIO(small)) as archive:
        info = archive.getinfo("project.qde")
    central = next(at for at in range(len(small)) if small.startswith(b"PK\x01\x02", at) and small[at + 46 : at + 57] == b"project.qde")
    struct.pack_into("<I", claimed, info.header_offset + 22, 1024**3)  # the member's own header
    struct.pack_into("<I", claimed, central + 24, 1024**3)  # the central directory, which zipfile believes
    qdpx.write_bytes(bytes(claimed))
    _one_line_error(run_cli("codebook", "import", qdpx, "--out", tmp_path / "out.yaml"), qdpx,
                    "'project.qde' inside would unpack to 1,024 MB, more than the 256 MB ipl-coder reads")  # fmt: skip
    docx = tmp_path / "bomb.docx"
    docx.write_bytes(_rezip(_docx(), {"word/media/image1.png": zeros}))
    _one_line_error(run_cli("transcripts", "show", docx), docx, "'word/media/image1.png' inside would unpack to")
    participants, transcript = tmp_path / "bomb.xlsx", tmp_path / "CA-1.txt"
    transcript.write_text("Interviewer: Hello?\nP1: Hello.\n", encoding="utf-8")
    participants.write_bytes(_rezip(_xlsx(), {"xl/sharedStrings.xml": zeros}))
    _one_line_error(run_cli("transcripts", "show", transcript, "--participants", participants), participants,
                    "'xl/sharedStrings.xml' inside would unpack to")  # fmt: skip


def test_codes_nested_too_deep_in_a_qdc_are_refused_naming_the_qdc(tmp_path: Path) -> None:
    inner = "".join(f'<Code guid="g{level}" name="c{level}" isCodable="true">' for level in range(100)) + "</Code>" * 100
    qdc = tmp_path / "deep.qdc"
    qdc.write_text(f'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{inner}</Codes></CodeBook>',
                   encoding="utf-8")  # fmt: skip
    _one_line_error(run_cli("codebook", "import", qdc, "--out", tmp_path / "out.yaml"), qdc,
                    "codes nested more than 50 levels deep; a codebook needs a few levels")  # fmt: skip


# --- a full disk --------------------------------------------------------------------------------------


@contextmanager
def files_limited_to(size: int) -> Iterator[None]:
    """No file of this process may grow past ``size`` bytes: writes fail as on a full disk (EFBIG, not ENOSPC)."""
    resource = pytest.importorskip("resource")  # Unix; Python ignores SIGXFSZ, so the write fails with an error
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def test_a_full_disk_while_coding_is_one_line_and_the_project_survives(write_file: Callable[..., Path], tmp_path: Path) -> None:
    from ipl_coder.transcripts.detect import detect_language

    project = tmp_path / "p"
    assert run_cli("code", write_file("a.txt", "I: Well?\nP1: I was the bridge.\n"), "-c", IPL_CODEBOOK, "-p", project, "-q")[0] == 0
    detect_language("I was the bridge between the team and the patients. " * 20)  # its model unpacks to a temporary file once
    big = write_file("b.txt", "I: Well?\nP1: I was the bridge between them, the team and the patients. " * 2000)
    with files_limited_to((project / "project.sqlite").stat().st_size):
        exit_code, _, stderr = run_cli("code", big, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1")
    assert exit_code == 1 and "unexpected error" not in stderr
    assert stderr.strip().splitlines() == [
        f"Error: {project / 'project.sqlite'}: cannot save to the project store (disk I/O error), so this change was not saved; "
        "free some disk space (or check the disk) and run again"
    ]
    exit_code, _, stderr = run_cli("code", big, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1")
    assert exit_code == 0, stderr  # with room again, the same run works on the same store


def test_the_store_reports_database_or_disk_is_full_as_a_project_error(tmp_path: Path) -> None:
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.errors import ProjectError
    from ipl_coder.store import ProjectStore

    with ProjectStore.open(tmp_path / "p", create=True) as store:
        pages = store.connection.execute("PRAGMA page_count").fetchone()[0]
        store.connection.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own way to be out of room
        with pytest.raises(ProjectError) as raised:
            store.record_codebook(load_codebook(IPL_CODEBOOK))
    assert str(raised.value) == (
        f"{tmp_path / 'p' / 'project.sqlite'}: cannot save to the project store (database or disk is full), so this change "
        "was not saved; free some disk space (or check the disk) and run again"
    )


@pytest.mark.parametrize("room", ["openpyxl's own temporary files", "the sheet"])
def test_an_xlsx_sheet_that_cannot_be_written_is_one_line_and_no_traceback(write_file: Callable[..., Path], tmp_path: Path,
                                                                          room: str) -> None:  # fmt: skip
    # openpyxl writes each worksheet to a temporary file of its own, then zips it into the sheet around styles and
    # a theme: a long sheet fails on the former first, a short one on the latter.
    answers = "P1: I was the bridge. I was the bridge again.\n" * (300 if room == "openpyxl's own temporary files" else 1)
    project, sheet = tmp_path / "p", tmp_path / "sheet.xlsx"
    assert run_cli("code", write_file("a.txt", f"I: Well?\n{answers}"), "-c", IPL_CODEBOOK, "-p", project, "-q")[0] == 0
    assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ana")[0] == 0
    limit = 16_384 if room == "openpyxl's own temporary files" else sheet.stat().st_size - 1500
    sheet.unlink()
    dropped: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, dropped.append  # where "Exception ignored in ..." tracebacks go
    try:
        with files_limited_to(limit):
            exit_code, _, stderr = run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ana")
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert exit_code == 1 and "unexpected error" not in stderr, stderr
    assert dropped == [] and not sheet.exists()
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith(f"Error: {sheet}: cannot write it (") and stderr.strip().endswith("); free some disk space and run again")
    assert list(tmp_path.glob(".sheet.xlsx*")) == []  # nor a half-written temporary file


def test_a_full_disk_when_a_project_is_created_says_so(tmp_path: Path) -> None:
    """It said the new store was 'not a usable ipl-coder project store', as if the project were damaged."""
    from ipl_coder.errors import ProjectError
    from ipl_coder.store import ProjectStore

    with files_limited_to(4096), pytest.raises(ProjectError) as raised:
        ProjectStore.open(tmp_path / "p", create=True)
    assert "cannot save to the project store" in str(raised.value) and "free some disk space" in str(raised.value)

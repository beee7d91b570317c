"""Fuzzing every reader of people's files through the CLI: no input may end in "unexpected error".

Each test starts from real, valid files (a codebook, transcripts in every format,
participants and review sheets as CSV and XLSX, a REFI-QDA .qdc and .qdpx) and
damages them the way files get damaged: bytes flipped, inserted, deleted or
repeated, the file cut short, control characters, byte-order marks, runaway
brackets, cells of 200,000 characters, digits that are not ASCII; zip files
(.docx, .xlsx, .qdpx) are damaged as a whole or member by member. Codebooks and
sheets are also generated from their own vocabulary (known keys, nested values,
real segment ids), so the search gets past the first check.

Whatever the input, the command must either work or end with exit status 1
and an error that names the file, never an "unexpected error" or a traceback.

``make test`` runs a few dozen examples per reader, derandomized, so the suite
stays fast and repeatable; ``make fuzz`` runs the same tests with
``IPL_CODER_FUZZ=1``: many more examples, a fresh random search each time.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli

settings.register_profile(
    "quick", max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)  # fmt: skip
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("IPL_CODER_FUZZ_EXAMPLES", "1000")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)  # fmt: skip
FUZZ = settings.get_profile("fuzz" if os.environ.get("IPL_CODER_FUZZ") else "quick")
FAILURES = Path(tempfile.gettempdir()) / "ipl-coder-fuzz-failures"  # each input that fails, to run the command on by hand


class Damaged(bytes):
    """Bytes that print as their size and start: hypothesis shows the failing example, and a file can be 200 kB."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {bytes(self[:80])!r}...>"

# --- the files the search starts from ---------------------------------------------------------------

CODEBOOK = """\
name: Fuzz seed
version: "1.0"
language: en
codes:
  - id: broker
    label: Broker
    color: "#59A14F"
    definition: Carrying ideas across.
    terms: [broker, bridge, '"been there"']
    exclude_terms: [stock broker]
    patterns:
      - id: tells-team
        pattern: [{LEMMA: tell}, {OP: "{,4}"}, {LOWER: team}]
    boolean:
      - {id: both, all: [team], any: [patient, doctor], none: [football]}
    near:
      - {terms: [nurse], with: [treat], within: 5}
    unit: sentence
    speakers: [participants]
    examples:
      match: [She is a bridge to the team.]
      no_match: [The car broke down.]
    codes:
      - id: broker-informal
        terms:
          en: [go-between]
          nb: [brobygger]
        unit: turn
"""
TRANSCRIPT = """\
---
role: peer support worker
language: en
interviewer: Interviewer
speakers:
  P1: {participant: P-01, gender: f}
---
Interviewer: How did you come to the ward? [00:00:05]
P1: I was a patient there myself. Now I am a bridge between the patients and the team.
Interviewer (laughs): And the doctors?
P1: They ask me what the patients told me.
"""
VTT = """\
WEBVTT

00:00:01.000 --> 00:00:04.000
<v Interviewer>How did you come to the ward?

00:00:05.000 --> 00:00:09.500
<v Kari>I was a bridge between the patients and the staff.
"""
SRT = """\
1
00:00:01,000 --> 00:00:04,000
Interviewer: How did you come to the ward?

2
00:00:05,000 --> 00:00:09,500
Kari: I was a bridge between the patients and the staff.
"""
PARTICIPANTS = "transcript;speaker;participant;role;country;language\nt;;;peer worker;Norway;en\nt;P1;P-01;nurse;Norway;\n"
PROJECT_TRANSCRIPT = "Interviewer: How is the team?\nP1: I am the bridge to the team. I broker the talks.\nInterviewer: And?\nP1: A bridge again.\n"

NASTY = [
    b"\x00", b"\x01", b"\x1b[31m", b"\x7f", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xe2\x80",
    "\u2028".encode(), "\u202e".encode(), "\ufeff".encode(), "\U0001d518".encode(), "\u00b2\u00b3".encode(),
    "\u0663\u0664".encode(), b"\r", b"\r\n", b"\n" * 50, b"\t", b" " * 30, b"[" * 300, b"{" * 300, b"[" * 1200, b"- " * 1200, b"]}", b'"', b"'",
    b"---\n", b"...\n", b"- ", b": ", b"? ", b"&a ", b"*a", b"!!binary ", b"!!python/object:os.system ", b"%YAML 1.1\n", b'"\\ud800"', b'"\\x00\\e"',
    b"<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>", b"&e;", b"<![CDATA[", b"]]>", b"<Code name='x'>" * 50,
    b"</Code>", b"=1+1", b"@SUM(A1)", b"[bold]", b"[/]", b"[/red]", b"-->", b"WEBVTT", b"00:00:01.000 --> 00:00:00.000",
    b"99999999999999999999999999999", b"9" * 5000, b"-1", b"1e400", b"NaN", b"A" * 140_000, b";" * 200, b"," * 200,
    b"Interviewer:", b"P1:", b"Q:", b"A:",
]


def nasty() -> st.SearchStrategy[bytes]:
    """One of NASTY; drawn by index, so a failing example's report is not kilobytes of strategy."""
    return st.integers(0, len(NASTY) - 1).map(NASTY.__getitem__)


def _build_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Interview 7", level=1)
    paragraph = document.add_paragraph()
    paragraph.add_run("Interviewer:").bold = True
    paragraph.add_run(" How did you come to the ward?")
    paragraph = document.add_paragraph()
    paragraph.add_run("Kari:").bold = True
    paragraph.add_run(" I am a bridge between the patients and the staff.")
    table = document.add_table(rows=0, cols=3)
    for cells in (("00:00:05", "Interviewer", "And then?"), ("00:00:09", "Kari", "The team listened to me.")):
        row = table.add_row()
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return Damaged(buffer.getvalue())


def _xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:  # what openpyxl cannot write, Excel cannot either
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return Damaged(buffer.getvalue())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A tiny coded project, its review sheets and a .qdc exported from the seed codebook."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    (root / "t.txt").write_text(PROJECT_TRANSCRIPT, encoding="utf-8")
    assert run_cli("code", root / "t.txt", "-c", root / "codebook.yaml", "-p", root / "project", "-q", "--jobs", "1")[0] == 0
    for suffix in ("csv", "xlsx"):
        assert run_cli("review", "export", "-p", root / "project", "-o", root / f"sheet.{suffix}", "--coder", "ana")[0] == 0
    assert run_cli("codebook", "export", root / "codebook.yaml", "--format", "qdc", "--out", root / "codebook.qdc")[0] == 0
    yield root


# --- damage -------------------------------------------------------------------------------------------


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with one to four kinds of damage."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["flip", "insert", "nasty", "delete", "cut", "repeat"]))
        if kind == "flip" and data:
            data[min(where, len(data) - 1)] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=20))
        elif kind == "nasty":
            data[where:where] = draw(nasty())
        elif kind == "delete":
            del data[where : where + draw(st.integers(1, 200))]
        elif kind == "cut":
            del data[where:]
        elif kind == "repeat":
            data[where:where] = bytes(data[where : where + draw(st.integers(1, 40))]) * draw(st.integers(2, 2000))
    return Damaged(data)


@st.composite
def damaged_zip(draw: st.DrawFn, seed: bytes) -> bytes:
    """A zip file (.docx, .xlsx, .qdpx) damaged as a whole, or one member damaged, dropped or added."""
    if draw(st.booleans()):
        return draw(damaged(seed))
    with zipfile.ZipFile(io.BytesIO(seed)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    name = draw(st.sampled_from(sorted(members)))
    kind = draw(st.sampled_from(["damage", "drop", "empty", "add"]))
    if kind == "damage":
        members[name] = draw(damaged(members[name]))
    elif kind == "drop":
        del members[name]
    elif kind == "empty":
        members[name] = b""
    else:
        members[draw(st.sampled_from(["extra.xml", name.upper(), "../escape.xml", "a/" + name]))] = draw(nasty())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return Damaged(buffer.getvalue())


def _text(alphabet_extra: str = "") -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=30),
        st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list(":-#[]{}\"'*&!|>%@`,?" + alphabet_extra)), max_size=30),
        nasty().map(lambda chunk: chunk.decode("utf-8", "replace")),
    )


def _scalar() -> st.SearchStrategy[object]:
    return st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True), _text())


CODE_KEYS = ["id", "label", "color", "definition", "include", "exclude", "examples", "memo", "codes", "terms", "patterns",
             "boolean", "near", "exclude_terms", "speakers", "unit", "match", "no_match", "pattern", "all", "any", "none",
             "with", "within", "en", "nb", "LOWER", "LEMMA", "OP", "IN", "REGEX", "TEXT", "IS_PUNCT", "_"]  # fmt: skip
OPS = ["*", "+", "?", "!", "{,4}", "{2}", "{1,3}", "{3,}", "{99999999}", "{,100}", "{}", "1"]


def _yaml_value() -> st.SearchStrategy[object]:
    leaf = st.one_of(_scalar(), st.sampled_from(OPS), st.sampled_from(["sentence", "turn", "exchange", "#59A14F", "interviewer"]))
    return st.recursive(
        leaf,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(CODE_KEYS) | _text(), inner, max_size=6),
        max_leaves=30,
    )


@st.composite
def generated_codebook(draw: st.DrawFn) -> bytes:
    """A codebook written from the format's own keys, as JSON (which is YAML), sometimes damaged."""
    codes = draw(st.lists(st.dictionaries(st.sampled_from(CODE_KEYS), _yaml_value(), max_size=8), max_size=4))
    for index, code in enumerate(codes):
        code.setdefault("id", f"code-{index}")
    root = {"name": draw(_scalar()), "language": draw(st.sampled_from(["en", "nb", "xx", "", "english", 5])), "codes": codes}
    text = json.dumps(root, ensure_ascii=draw(st.booleans()), default=str).encode("utf-8", "surrogatepass")
    return draw(damaged(text)) if draw(st.booleans()) else Damaged(text)


TERMS = ["bridge", "broker", "team", '"been there"', "go-between", "lived experience", "nurse", "treat", "the", "-", "'s", "²",
         "grense", "x" * 60, '""', '"', "bridge bridge bridge"]  # fmt: skip


def _term() -> st.SearchStrategy[str]:
    return st.sampled_from(TERMS) | _text()


def _token_spec() -> st.SearchStrategy[dict[str, object]]:
    value = _term() | st.fixed_dictionaries({"IN": st.lists(_term(), max_size=3)}) | st.fixed_dictionaries(
        {"REGEX": st.sampled_from(["^b", "(", "a+", ".*", "[", "(?P<x>"])})  # fmt: skip
    return st.fixed_dictionaries({}, optional={
        "LOWER": value, "LEMMA": value, "TEXT": value, "OP": st.sampled_from(OPS), "IS_PUNCT": st.booleans(),
        "LENGTH": st.integers(-1, 5) | st.fixed_dictionaries({">=": st.integers(0, 3)}), "_": st.just({"x": 1}),
    })  # fmt: skip


@st.composite
def rule_codebook(draw: st.DrawFn) -> bytes:
    """A codebook built from rules of every kind, most of them valid: whatever validates must then code."""
    terms = st.lists(_term(), max_size=4)
    pattern = st.lists(_token_spec(), max_size=6)
    rules = {
        "terms": terms | st.fixed_dictionaries({"en": terms, "nb": terms}),
        "exclude_terms": terms | st.fixed_dictionaries({"nb": terms}),
        "patterns": st.lists(pattern | st.fixed_dictionaries({"pattern": pattern}, optional={"id": st.sampled_from(["p", "p", "q r"])}),
                             max_size=3),
        "boolean": st.lists(st.fixed_dictionaries({}, optional={"all": terms, "any": terms, "none": terms}), max_size=2),
        "near": st.lists(st.fixed_dictionaries({"terms": terms, "with": terms}, optional={"within": st.integers(-1, 120)}), max_size=2),
        "unit": st.sampled_from(["sentence", "turn", "exchange", "paragraph"]),
        "speakers": st.lists(st.sampled_from(["participants", "interviewer", "everyone", "P1", "I", "nobody"]), max_size=2),
        "examples": st.fixed_dictionaries({}, optional={"match": st.lists(_text(), max_size=2), "no_match": st.lists(_text(), max_size=2)}),
        "label": _text(), "definition": _text(),  # printed by 'code'
    }  # fmt: skip
    codes = []
    for index in range(draw(st.integers(1, 3))):
        code = {"id": f"code-{index}", **draw(st.fixed_dictionaries({}, optional=rules))}
        if draw(st.booleans()):
            code["codes"] = [{"id": f"sub-{index}", **draw(st.fixed_dictionaries({}, optional=rules))}]
        codes.append(code)
    return Damaged(json.dumps({"language": draw(st.sampled_from(["en", "en", "nb", "sv"])), "codes": codes}).encode())


# --- running a reader ---------------------------------------------------------------------------------


def assert_handled(result: tuple[int, str, str], path: Path) -> None:
    """Exit status 0, or 1 with an 'Error:' line and the file named; the input is kept for a look if not."""
    exit_code, stdout, stderr = result
    handled = "unexpected error" not in stderr and "Traceback" not in stderr + stdout and exit_code in (0, 1)
    if handled and exit_code == 1:
        handled = stderr.rstrip().splitlines()[-1].startswith("Error:") and path.name in stderr
    if not handled:
        kept = FAILURES / f"{hashlib.sha256(path.read_bytes()).hexdigest()[:12]}-{path.name}"
        FAILURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        pytest.fail(f"{path.name} (kept as {kept}): exit status {exit_code}\n{stderr[-2000:]}")


def fuzz_file(name: str, content: bytes) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="ipl-fuzz-"))
    try:
        path = folder / name
        path.write_bytes(content)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)



def with_file(name: str, content: bytes, check: Callable[[Path], None]) -> None:
    for path in fuzz_file(name, content):
        check(path)


# --- the readers --------------------------------------------------------------------------------------


def test_the_undamaged_seeds_are_read_without_a_warning(workspace: Path) -> None:
    """The search starts from files that work: damage is what makes them fail, not the seeds."""
    seeds = [("t.txt", TRANSCRIPT.encode()), ("t.vtt", VTT.encode()), ("t.srt", SRT.encode("cp1252")), ("t.docx", DOCX)]
    for name, content in seeds:
        for path in fuzz_file(name, content):
            exit_code, stdout, stderr = run_cli("transcripts", "show", path)
            assert exit_code == 0 and "Warning" not in stdout and stderr == "", (name, stdout, stderr)
    for path in fuzz_file("codebook.yaml", CODEBOOK.encode()):
        assert run_cli("codebook", "validate", path)[0] == 0
    for path in fuzz_file("participants.csv", PARTICIPANTS.encode()):
        assert run_cli("transcripts", "show", workspace / "t.txt", "--participants", path)[0] == 0


@FUZZ
@given(content=st.one_of(damaged(CODEBOOK.encode()), generated_codebook()))
def test_codebooks(content: bytes) -> None:
    with_file("codebook.yaml", content, lambda path: assert_handled(run_cli("codebook", "validate", path), path))


FUZZ_TRANSCRIPT = "Interviewer: How is the team?\nP1: I am the bridge to the team. The nurse treats. I have been there, bridge bridge.\n"


@FUZZ
@given(content=rule_codebook())
def test_codebooks_that_validate_also_code(content: bytes) -> None:
    for path in fuzz_file("codebook.yaml", content):
        result = run_cli("codebook", "validate", path)
        assert_handled(result, path)
        if result[0] == 0:
            transcript = path.parent / "t.txt"
            transcript.write_text(FUZZ_TRANSCRIPT, encoding="utf-8")
            assert_handled(run_cli("code", transcript, "-c", path, "-p", path.parent / "project", "--jobs", "1"), path)


@FUZZ
@given(case=st.one_of(
    st.tuples(st.sampled_from(["t.txt", "t.md"]), damaged(TRANSCRIPT.encode())),
    st.tuples(st.just("t.txt"), damaged(TRANSCRIPT.encode("utf-16"))),
    st.tuples(st.just("t.vtt"), damaged(VTT.encode())),
    st.tuples(st.just("t.srt"), damaged(SRT.encode("cp1252"))),
))  # fmt: skip
def test_transcripts(case: tuple[str, bytes]) -> None:
    name, content = case
    with_file(name, content, lambda path: assert_handled(run_cli("transcripts", "show", path, "--full"), path))


DOCX = _build_docx()


@FUZZ
@given(content=damaged_zip(DOCX))
def test_word_transcripts(content: bytes) -> None:
    with_file("t.docx", content, lambda path: assert_handled(run_cli("transcripts", "show", path, "--full"), path))


def _participant_rows() -> st.SearchStrategy[list[list[str]]]:
    header = st.lists(st.sampled_from(["transcript", "file", "id", "speaker", "participant", "language", "role", "Language", ""]) | _text(),
                      min_size=1, max_size=6)  # fmt: skip
    return st.tuples(header, st.lists(st.lists(st.sampled_from(["t", "T.txt", "P1", "en", "nb", "klingon", ""]) | _text(), max_size=7),
                                      max_size=6)).map(lambda parts: [parts[0], *parts[1]])  # fmt: skip


def _csv_bytes(rows: list[list[str]], delimiter: str = ";") -> bytes:
    import csv

    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return Damaged(buffer.getvalue().encode("utf-8", "surrogatepass"))


@FUZZ
@given(case=st.one_of(
    st.tuples(st.just("participants.csv"), damaged(PARTICIPANTS.encode())),
    st.tuples(st.just("participants.csv"), _participant_rows().map(_csv_bytes)),
    st.tuples(st.just("participants.xlsx"), damaged_zip(_xlsx([row.split(";") for row in PARTICIPANTS.splitlines()]))),
))  # fmt: skip
def test_participants(workspace: Path, case: tuple[str, bytes]) -> None:
    name, content = case
    transcript = workspace / "t.txt"
    with_file(name, content, lambda path: assert_handled(run_cli("transcripts", "show", transcript, "--participants", path), path))


def _sheet_rows(workspace: Path) -> st.SearchStrategy[list[list[str]]]:
    import csv

    with (workspace / "sheet.csv").open(encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.reader(handle))
    header, ids = exported[0], [row[0] for row in exported[1:]]
    cell = st.one_of(
        st.sampled_from([*ids, "accept", "reject", "recode", "yes", "broker", "broker-informal", "t", "0", "5", "12", "1e3", "²",
                         "٣", "-1", "9" * 30, "ana", "bob", "2020-01-01T00:00:00", "'=1", "bridge", ""]),
        _text(),
    )  # fmt: skip
    rows = st.lists(st.lists(cell, min_size=len(header), max_size=len(header) + 1), max_size=5)
    shuffled = st.permutations(header) | st.just(header)
    return st.tuples(shuffled, rows).map(lambda parts: [list(parts[0]), *parts[1]])


@FUZZ
@given(data=st.data())
def test_review_sheets(workspace: Path, data: st.DataObject) -> None:
    csv_seed, xlsx_seed = (workspace / "sheet.csv").read_bytes(), (workspace / "sheet.xlsx").read_bytes()
    name, content = data.draw(st.one_of(
        st.tuples(st.just("sheet.csv"), damaged(csv_seed)),
        st.tuples(st.just("sheet.csv"), _sheet_rows(workspace).map(lambda rows: _csv_bytes(rows, ","))),
        st.tuples(st.just("sheet.xlsx"), _sheet_rows(workspace).map(_xlsx)),
        st.tuples(st.just("sheet.xlsx"), damaged_zip(xlsx_seed)),
    ))  # fmt: skip
    for path in fuzz_file(name, content):
        project = Path(shutil.copytree(workspace / "project", path.parent / "project"))
        assert_handled(run_cli("review", "import", path, "-p", project, "--coder", "ana"), path)


def _qdpx(qde: bytes, name: str = "project.qde") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, qde)
        archive.writestr("sources/s1.txt", "A source.")
    return Damaged(buffer.getvalue())


def _nested_codes(depth: int) -> bytes:
    inner = "".join(f'<Code guid="g{level}" name="c{level}" isCodable="true">' for level in range(depth)) + "</Code>" * depth
    return f'<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{inner}</Codes></CodeBook>'.encode()


@FUZZ
@given(data=st.data())
def test_refi_qda_codebooks(workspace: Path, data: st.DataObject) -> None:
    qdc = (workspace / "codebook.qdc").read_bytes()
    name, content = data.draw(st.one_of(
        st.tuples(st.just("codebook.qdc"), damaged(qdc)),
        st.tuples(st.just("codebook.qdc"), st.integers(1, 400).map(_nested_codes)),
        st.tuples(st.just("project.qdpx"), damaged_zip(_qdpx(qdc))),
        st.tuples(st.just("project.qdpx"), damaged(qdc).map(_qdpx)),
    ))  # fmt: skip
    for path in fuzz_file(name, content):
        assert_handled(run_cli("codebook", "import", path, "--out", path.parent / "imported.yaml"), path)

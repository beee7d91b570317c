"""`ipl-coder import qdpx`: round trips, positions from other tools, the shared real files, and hostile archives."""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from ipl_coder.exchange.refi_qda.qdc_writer import code_guid
from ipl_coder.exchange.refi_qda.qdpx_import import import_qdpx
from ipl_coder.exchange.refi_qda.qdpx_writer import export_qdpx
from ipl_coder.store import ProjectStore

SHARED = ROOT.parent / "shared" / "refi-qda" / "samples"
NEEDS_SHARED = pytest.mark.skipif(not SHARED.exists(), reason="../shared/refi-qda is not here")


def project_state(project: Path) -> dict[str, object]:
    """What a round trip must keep: texts, segments with statuses, each coder's decisions and notes, participants."""
    with ProjectStore.open(project) as store:
        texts = {row.name: row.text for row in store.transcripts()}
        turns = {row.name: [(t.number, t.speaker, t.role, t.start_char, t.end_char) for t in store.turns(row.transcript_id)]
                 for row in store.transcripts()}  # fmt: skip
        segments = sorted((s.segment_id, s.transcript, s.code_id, s.start_char, s.end_char, s.origin, s.status, s.coder or "")
                          for s in store.segments(None))  # fmt: skip
        coders = sorted(summary.coder for summary in store.coders())
        views = {coder: sorted((segment_id, view.decision, view.new_code_id, view.note)
                               for segment_id, view in store.coder_views(coder).items()) for coder in coders}  # fmt: skip
        register = store.participants()
        people = sorted((row.transcript, row.participant, tuple(sorted(row.attributes.items()))) for row in register.entries) \
            if register else []  # fmt: skip
    return {"texts": texts, "turns": turns, "segments": segments, "views": views, "people": people}


def test_a_reviewed_project_comes_back_whole(reviewed: Path, tmp_path: Path) -> None:
    export_qdpx(reviewed, tmp_path / "study.qdpx")
    copy = tmp_path / "copy"
    result = import_qdpx(tmp_path / "study.qdpx", copy)
    assert len(result.transcripts_added) == 9 and result.users == {"ana", "ola"}
    before, after = project_state(reviewed), project_state(copy)
    assert after["texts"] == before["texts"]  # byte for byte
    assert after["turns"] == before["turns"]  # the speaker labels in the text give the same turns
    assert after["segments"] == before["segments"]  # the same ids, codes, places, origins, statuses and owners
    assert after["views"] == before["views"]  # each coder's decisions (accept, reject, recode, add) and notes
    people = {(transcript, participant): dict(attributes) for transcript, participant, attributes in after["people"]}
    assert people[("NO-PSW-09", "NO-PSW-09")]["site"] == "Tromsø"
    assert set(people) == {(name, name) for name in before["texts"]}  # type: ignore[union-attr]
    assert (copy / "imported" / "study" / "CA-PSW-01.txt").read_text(encoding="utf-8") == before["texts"]["CA-PSW-01"]  # type: ignore[index]


def test_importing_twice_adds_nothing(reviewed: Path, tmp_path: Path) -> None:
    export_qdpx(reviewed, tmp_path / "study.qdpx")
    copy = tmp_path / "copy"
    import_qdpx(tmp_path / "study.qdpx", copy)
    state = project_state(copy)
    again = import_qdpx(tmp_path / "study.qdpx", copy)
    assert (again.transcripts_added, again.codings_added, again.suggestions, again.notes) == ([], 0, 0, [])
    assert project_state(copy) == state
    # Into the project it came from: nothing new either.
    state = project_state(reviewed)
    import_qdpx(tmp_path / "study.qdpx", reviewed)
    assert project_state(reviewed) == state


def test_a_qde_with_its_sources_folder_imports_like_the_qdpx(reviewed: Path, tmp_path: Path) -> None:
    export_qdpx(reviewed, tmp_path / "study.qdpx")
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(tmp_path / "study.qdpx").extractall(unpacked)
    result = import_qdpx(unpacked / "project.qde", tmp_path / "copy")
    assert len(result.transcripts_added) == 9 and result.notes == []
    assert project_state(tmp_path / "copy")["segments"] == project_state(reviewed)["segments"]


def qdpx(tmp_path: Path, document: str, sources: dict[str, bytes], name: str = "other.qdpx") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", document)
        for member, data in sources.items():
            archive.writestr(f"sources/{member}", data)
    return path


SOURCE_GUID = "11111111-2222-3333-4444-555555555555"


def other_tool_project(selections: str, origin: str = "NVivo for Windows 14") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="theirs" origin="{origin}">
  <Users><User guid="aaaaaaaa-0000-0000-0000-000000000001" name="Kari"/></Users>
  <CodeBook><Codes>
    <Code guid="{code_guid('boundary')}" name="Whatever they called it" isCodable="true"/>
    <Code guid="bbbbbbbb-0000-0000-0000-000000000002" name="Broker" isCodable="true"/>
    <Code guid="bbbbbbbb-0000-0000-0000-000000000003" name="Weather" isCodable="true"/>
  </Codes></CodeBook>
  <Sources><TextSource guid="{SOURCE_GUID}" name="NO-TEST-01.docx" plainTextPath="internal://{SOURCE_GUID}.txt">{selections}</TextSource></Sources>
</Project>"""


def selection(start: int, end: int, code: str) -> str:
    return (f'<PlainTextSelection guid="{code[:8]}-{start:04d}-0000-0000-{end:012d}" startPosition="{start}" endPosition="{end}" '
            f'creatingUser="aaaaaaaa-0000-0000-0000-000000000001"><Coding guid="cccccccc-{start:04d}-0000-0000-{end:012d}" '
            f'creatingUser="aaaaaaaa-0000-0000-0000-000000000001"><CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>')


def test_positions_from_nvivo_for_windows_land_on_the_same_words(fresh_project: Path, tmp_path: Path) -> None:
    """A BOM, CRLF, a decomposed 'é', an emoji counted as two UTF-16 units: the coded words are still the coded words."""
    raw = "\ufeffIntervjuer: Hva skjedde?\r\nDeltaker: Det var \U0001F600 vi og dem. Cafe\u0301en var stengt.\r\nOg hun var brobyggeren.\r\n"
    utf16 = raw.encode("utf-16-le")

    def units(words: str) -> tuple[int, int]:  # counted after the BOM, as NVivo does
        start = len(raw[1 : raw.index(words)].encode("utf-16-le")) // 2
        return start, start + len(words.encode("utf-16-le")) // 2

    picks = [("vi og dem", code_guid("boundary")), ("brobyggeren", "bbbbbbbb-0000-0000-0000-000000000002"),
             ("Cafe\u0301en var stengt", "bbbbbbbb-0000-0000-0000-000000000003")]  # fmt: skip
    chosen = "".join(selection(*units(words), code) for words, code in picks) + selection(400, 410, code_guid("boundary"))
    path = qdpx(tmp_path, other_tool_project(chosen), {f"{SOURCE_GUID}.txt": utf16.decode("utf-16-le").encode("utf-8")})
    result = import_qdpx(path, fresh_project, codebook_out=tmp_path / "theirs.yaml")
    assert result.transcripts_added == ["NO-TEST-01"] and result.users == {"Kari"}
    assert result.unknown_codes == ["Weather"] and (tmp_path / "theirs.yaml").exists()
    assert any("a selection at 400-410 cannot be placed" in note for note in result.notes)
    with ProjectStore.open(fresh_project) as store:
        coded = {(s.code_id, s.text) for s in store.segments(None) if s.transcript == "NO-TEST-01" and s.coder == "Kari"}
    assert coded == {("boundary", "vi og dem"), ("broker", "brobyggeren")}  # by GUID, then by name


def test_coder_option_owns_every_coding(fresh_project: Path, tmp_path: Path) -> None:
    raw = "Interviewer: Well?\nP1: It was them and us, always.\n"
    start = raw.index("them and us")
    path = qdpx(tmp_path, other_tool_project(selection(start, start + 11, code_guid("boundary")), origin="MAXQDA 24"),
                {f"{SOURCE_GUID}.txt": raw.encode("utf-8")})  # fmt: skip
    exit_code, stdout, stderr = run_cli("import", "qdpx", path, "-p", fresh_project, "--coder", "gold")
    assert exit_code == 0, stderr
    assert "1 transcript added" in stdout and "1 coded passage added" in stdout and "coders: gold." in stdout
    assert "2 codes not in the project's codebook" not in stderr and "Weather" in stderr
    with ProjectStore.open(fresh_project) as store:
        assert [(s.code_id, s.text) for s in store.segments(None) if s.coder == "gold"] == [("boundary", "them and us")]


@NEEDS_SHARED
def test_the_atlas_ti_sample_says_which_sources_are_missing(tmp_path: Path) -> None:
    exit_code, stdout, stderr = run_cli("import", "qdpx", SHARED / "sky-loom__refi-qda" / "TestProject.qdpx", "-p", tmp_path / "p")
    assert exit_code == 0, stderr
    missing = [line for line in stderr.splitlines() if "is not in the file; not imported" in line]
    assert len(missing) == 6 and any("'Mabel.txt'" in line for line in missing)
    assert "0 transcripts added" in stdout


@NEEDS_SHARED
def test_the_nvivo_sample_brings_its_262_codes(tmp_path: Path) -> None:
    out = tmp_path / "nvivo.yaml"
    result = import_qdpx(SHARED / "cproctor__qualitative-coding" / "nvivo_project.qdpx", tmp_path / "p", codebook_out=out)
    with ProjectStore.open(tmp_path / "p") as store:
        assert len(store.latest_codes()) == 262  # the project takes the file's code tree
    assert result.codebook_out == out and out.read_text(encoding="utf-8").count("- id: ") == 262
    # Its two sources are empty Word documents: each is named, none is invented.
    assert sum("is empty" in note for note in result.notes) == 2 and result.transcripts_added == []


def hostile(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.qdpx"
    document = other_tool_project("")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if kind == "doctype":
            entity = '<!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            archive.writestr("project.qde", document.replace('<?xml version="1.0" encoding="utf-8"?>', entity))
            return path
        archive.writestr("project.qde", document)
        if kind == "dotdot":
            archive.writestr("sources/../../evil.txt", "x")
        elif kind == "absolute":
            archive.writestr("/etc/evil.txt", "x")
        elif kind == "link":
            info = zipfile.ZipInfo("sources/link.txt")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
        elif kind == "bomb":
            archive.writestr(f"sources/{SOURCE_GUID}.txt", b"a" * (40 * 1024 * 1024))
    return path


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "link", "bomb", "doctype"])
def test_a_hostile_file_is_refused_in_one_line_and_nothing_is_written(kind: str, fresh_project: Path, tmp_path: Path,
                                                                       write_file: Callable[..., Path]) -> None:  # fmt: skip
    path = hostile(tmp_path, kind)
    state = project_state(fresh_project)
    listing = sorted(p.name for p in fresh_project.iterdir())
    exit_code, _, stderr = run_cli("import", "qdpx", path, "-p", fresh_project)
    assert exit_code == 1 and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and "refused" in stderr
    assert project_state(fresh_project) == state and sorted(p.name for p in fresh_project.iterdir()) == listing
    assert run_cli("import", "qdpx", path, "-p", tmp_path / "new")[0] == 1 and not (tmp_path / "new").exists()


def test_a_file_that_is_not_a_project_is_one_line(tmp_path: Path, write_file: Callable[..., Path]) -> None:
    for path in (write_file("x.qdpx", "not a zip"), tmp_path / "missing.qdpx"):
        exit_code, _, stderr = run_cli("import", "qdpx", path, "-p", tmp_path / "p")
        assert exit_code == 1 and len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()
    exit_code, stdout, _ = run_cli("import", "qdpx", "--help")
    assert exit_code == 0 and "--codebook-out" in stdout and "agreement --against" in stdout
    assert io  # the module is used for building archives above

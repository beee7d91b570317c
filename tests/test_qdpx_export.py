"""`ipl-coder export qdpx`: a whole project as REFI-QDA, checked against the shared XSD and by what the XSD cannot check."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from lxml import etree

from conftest import ROOT, run_cli
from ipl_coder.exchange.refi_qda.qdc_writer import code_guid
from ipl_coder.exchange.refi_qda.qdpx_check import reference_problems
from ipl_coder.exchange.refi_qda.qdpx_writer import MACHINE_USER, export_qdpx, guid
from ipl_coder.store import ProjectStore

XSD = ROOT.parent / "shared" / "refi-qda" / "Project-mrt2019.xsd"
NS = {"q": "urn:QDA-XML:project:1.0"}


def project_document(path: Path) -> tuple[Any, zipfile.ZipFile]:
    archive = zipfile.ZipFile(path)
    return etree.fromstring(archive.read("project.qde")), archive


def test_the_export_validates_and_every_reference_resolves(reviewed: Path, tmp_path: Path) -> None:
    out = tmp_path / "study.qdpx"
    result = export_qdpx(reviewed, out)
    root, archive = project_document(out)
    if XSD.exists():
        schema = etree.XMLSchema(etree.parse(str(XSD)))
        assert schema.validate(root), schema.error_log
    assert reference_problems(root, archive) == []
    assert sorted(archive.namelist())[0] == "project.qde"
    users = {user.get("name"): user.get("guid") for user in root.iterfind("q:Users/q:User", NS)}
    assert users == {MACHINE_USER: guid("user", MACHINE_USER), "ana": guid("user", "ana"), "ola": guid("user", "ola")}
    assert result.users == ("ana", MACHINE_USER, "ola") and result.notes == 3 and result.cases == 9


def test_sources_are_the_stores_text_and_selections_its_offsets(reviewed: Path, tmp_path: Path) -> None:
    out = tmp_path / "study.qdpx"
    export_qdpx(reviewed, out)
    root, archive = project_document(out)
    with ProjectStore.open(reviewed) as store:
        texts = {row.name: row.text for row in store.transcripts()}
        segments = {s.segment_id: s for s in store.segments(None)}
    sources = root.findall("q:Sources/q:TextSource", NS)
    assert {source.get("name") for source in sources} == set(texts)
    for source in sources:
        path = source.get("plainTextPath").removeprefix("internal://")
        assert archive.read(f"sources/{path}") == texts[source.get("name")].encode("utf-8")  # byte for byte, LF, no BOM
        for selection in source.iterfind("q:PlainTextSelection", NS):
            segment = next(s for s in segments.values() if guid("selection", s.segment_id) == selection.get("guid"))
            assert (int(selection.get("startPosition")), int(selection.get("endPosition"))) == (segment.start_char, segment.end_char)
            assert [ref.get("targetGUID") for ref in selection.iterfind("q:Coding/q:CodeRef", NS)] == \
                [code_guid(segment.code_id)] * len(selection.findall("q:Coding", NS))  # fmt: skip


def test_each_user_codes_what_they_accepted_and_decisions_are_described(reviewed: Path, tmp_path: Path) -> None:
    out = tmp_path / "study.qdpx"
    export_qdpx(reviewed, out)
    root, _ = project_document(out)
    names = {user.get("guid"): user.get("name") for user in root.iterfind("q:Users/q:User", NS)}
    codings: dict[str, list[str]] = {}
    descriptions = []
    for selection in root.iter(f"{{{NS['q']}}}PlainTextSelection"):
        codings[selection.get("guid")] = sorted(names[coding.get("creatingUser")] for coding in selection.iterfind("q:Coding", NS))
        descriptions.append(selection.findtext("q:Description", namespaces=NS))
    counted = sorted(tuple(users) for users in codings.values() if users != [MACHINE_USER])
    # ana's two accepts (ola also accepted the first), ana's added broker code, and the right code of her recode.
    assert counted == [("ana",), ("ana",), ("ana", MACHINE_USER), ("ana", MACHINE_USER, "ola")]
    assert sum("ana: reject at" in text for text in descriptions) == 1
    assert sum("ana: recode to boundary at" in text for text in descriptions) == 1
    assert all(text.startswith(("ipl-coder suggestion of ", "ipl-coder: ")) for text in descriptions)
    notes = {note.findtext("q:PlainTextContent", namespaces=NS) for note in root.iterfind("q:Notes/q:Note", NS)}
    assert notes == {"Not about the team.", "She carries it across.", "Clear case."}


def test_accepted_only_leaves_out_what_nobody_accepted(reviewed: Path, tmp_path: Path) -> None:
    result = export_qdpx(reviewed, tmp_path / "accepted.qdpx", "accepted")
    root, archive = project_document(tmp_path / "accepted.qdpx")
    assert reference_problems(root, archive) == []
    assert (result.selections, result.codings) == (4, 5)
    creators = {coding.get("creatingUser") for coding in root.iter(f"{{{NS['q']}}}Coding")}
    assert guid("user", MACHINE_USER) not in creators


def test_participants_are_cases_with_their_attributes(reviewed: Path, tmp_path: Path) -> None:
    export_qdpx(reviewed, tmp_path / "study.qdpx")
    root, _ = project_document(tmp_path / "study.qdpx")
    variables = {variable.get("guid"): variable.get("name") for variable in root.iterfind("q:Variables/q:Variable", NS)}
    assert {"role", "country", "site", "language"} <= set(variables.values())
    case = next(case for case in root.iterfind("q:Cases/q:Case", NS) if case.get("name") == "NO-PSW-09")
    values = {variables[value.find("q:VariableRef", NS).get("targetGUID")]: value.findtext("q:TextValue", namespaces=NS)
              for value in case.iterfind("q:VariableValue", NS)}  # fmt: skip
    assert values["country"] == "Norway" and values["site"] == "Tromsø" and values["language"] == "nb"
    assert [ref.get("targetGUID") for ref in case.iterfind("q:SourceRef", NS)] == [guid("source", "NO-PSW-09")]


def test_two_exports_are_byte_for_byte_the_same(reviewed: Path, tmp_path: Path) -> None:
    export_qdpx(reviewed, tmp_path / "one.qdpx")
    export_qdpx(reviewed, tmp_path / "two.qdpx")
    assert (tmp_path / "one.qdpx").read_bytes() == (tmp_path / "two.qdpx").read_bytes()


def test_cli_writes_the_file_and_says_what_is_in_it(reviewed: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli.qdpx"
    exit_code, stdout, stderr = run_cli("export", "qdpx", "--project", reviewed, "--out", out)
    assert exit_code == 0, stderr
    assert f"Wrote {out}: 9 transcripts" in stdout and "3 users (ana, ipl-coder rules, ola), 3 notes, 9 cases." in stdout
    assert zipfile.is_zipfile(out)
    exit_code, _, stderr = run_cli("export", "qdpx", "--project", tmp_path / "nowhere", "--out", out)
    assert exit_code == 1 and len(stderr.strip().splitlines()) == 1
    assert run_cli("export", "qdpx", "-p", reviewed, "-o", out, "--status", "some")[0] == 2
    exit_code, stdout, _ = run_cli("export", "qdpx", "--help")
    assert exit_code == 0 and "ipl-coder rules" in stdout and "--status" in stdout

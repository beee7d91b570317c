"""`ipl-coder codebook diff|export|import`: a dry run on real data, and REFI-QDA codebooks both ways."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, ROOT, SAMPLES, run_cli
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.store import ProjectStore

SHARED = ROOT.parent / "shared" / "refi-qda"
NVIVO = SHARED / "samples" / "cproctor__qualitative-coding" / "nvivo_project.qdpx"
ATLAS = SHARED / "samples" / "sky-loom__refi-qda" / "TestProject.qdpx"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/refi-qda is not here")


def store_dump(project: Path) -> list[str]:
    with ProjectStore.open(project) as store:
        return list(store.connection.iterdump())


def test_diff_shows_added_and_dropped_segments_and_changes_nothing(tmp_path: Path) -> None:
    project, draft, out = tmp_path / "project", tmp_path / "draft.yaml", tmp_path / "changes.csv"
    assert run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", project, "-q")[0] == 0
    draft.write_bytes(IPL_CODEBOOK.read_bytes())
    assert run_cli("codebook", "add-term", draft, "role", "team")[0] == 0  # a new, broad term
    text = draft.read_text(encoding="utf-8")
    line = "            - education\n"  # a term of expertise-professional
    assert line in text
    draft.write_text(text.replace(line, ""), encoding="utf-8")  # and one dropped
    before = store_dump(project)
    exports = {path.name: path.read_bytes() for path in project.iterdir() if path.suffix in (".csv", ".jsonl")}
    cache = {path: path.read_bytes() for path in (project / "cache").rglob("*") if path.is_file()}
    exit_code, stdout, _ = run_cli("codebook", "diff", IPL_CODEBOOK, draft, "--project", project, "--out", out)
    assert exit_code == 0
    assert store_dump(project) == before
    assert exports == {path.name: path.read_bytes() for path in project.iterdir() if path.suffix in (".csv", ".jsonl")}
    assert cache == {path: path.read_bytes() for path in (project / "cache").rglob("*") if path.is_file()}  # read, not written
    shutil.rmtree(project / "cache")  # what it read there (segments of unchanged codes, Docs) must be what coding makes
    assert run_cli("codebook", "diff", IPL_CODEBOOK, draft, "--project", project, "--out", tmp_path / "fresh.csv")[0] == 0
    assert (tmp_path / "fresh.csv").read_bytes() == out.read_bytes()
    assert not (project / "cache").exists()
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    added = [row for row in rows if row["change"] == "added"]
    dropped = [row for row in rows if row["change"] == "dropped"]
    assert added and all(row["code"] == "role" and "team" in row["matched"].lower() for row in added)
    assert dropped and all(row["code"] == "expertise-professional" and row["matched"].lower() == "education" for row in dropped)
    for row in added[:3]:
        transcript = (SAMPLES / f"{row['transcript']}.txt").read_text(encoding="utf-8")
        assert row["text"] in transcript
    assert f"+{len(added)}" in stdout and f"-{len(dropped)}" in stdout
    assert f"{len(added)} segments added, {len(dropped)} dropped. The project was not changed." in stdout
    # The counts are each code's own suggestions, not what 'code' and 'freq' count, and it says so.
    frequencies = {row["code"]: int(row["segments"])
                   for row in csv.DictReader(io.StringIO((project / "frequencies.csv").read_text(encoding="utf-8-sig")))}  # fmt: skip
    before = {cells[1].strip(): int(cells[2]) for cells in (line.split("│") for line in stdout.splitlines()) if len(cells) == 7}
    assert before["role"] < frequencies["role"]  # role's sub-codes count in frequencies.csv, not in the diff
    assert before["role-peer"] == frequencies["role-peer"]  # a code without sub-codes agrees
    flat = " ".join(stdout.split())
    assert "count the machine's suggestions of each code on its own (not its sub-codes), whatever people decided" in flat


def test_diff_needs_a_coded_project(tmp_path: Path) -> None:
    exit_code, _, stderr = run_cli("codebook", "diff", IPL_CODEBOOK, IPL_CODEBOOK, "--project", tmp_path / "none")
    assert exit_code == 1 and "no project here" in stderr


@needs_shared
def test_qdc_export_validates_and_is_the_same_every_time(tmp_path: Path) -> None:
    from lxml import etree

    first, second = tmp_path / "one.qdc", tmp_path / "two.qdc"
    for out in (first, second):
        exit_code, stdout, _ = run_cli("codebook", "export", IPL_CODEBOOK, "--format", "qdc", "--out", out)
        assert exit_code == 0 and "Wrote 16 codes" in stdout
    assert first.read_bytes() == second.read_bytes()
    schema = etree.XMLSchema(etree.fromstring((SHARED / "Codebook-mrt2019.xsd").read_bytes()))
    document = etree.fromstring(first.read_bytes())
    assert schema.validate(document), schema.error_log
    namespace = {"q": "urn:QDA-XML:codebook:1.0"}
    top = document.findall("q:Codes/q:Code", namespace)
    assert [code.get("name") for code in top] == ["Role", "Expertise", "Perspective", "Boundary", "Broker", "Socialization"]
    assert [child.get("name") for child in top[0].findall("q:Code", namespace)] == ["Role - clinical staff", "Role - peer support worker"]
    assert top[0].get("color") == "#4E79A7"
    assert top[0].find("q:Description", namespace).text.startswith("What a member of the team does")
    guids = [code.get("guid") for code in document.iter("{urn:QDA-XML:codebook:1.0}Code")]
    assert len(set(guids)) == 16


def test_a_folder_code_is_not_codable(tmp_path: Path) -> None:
    from lxml import etree

    codebook = tmp_path / "folder.yaml"
    codebook.write_text("codes:\n  - id: folder\n    codes:\n      - id: leaf\n        terms: [x]\n", encoding="utf-8")
    assert run_cli("codebook", "export", codebook, "--out", tmp_path / "f.qdc")[0] == 0
    codes = list(etree.fromstring((tmp_path / "f.qdc").read_bytes()).iter("{urn:QDA-XML:codebook:1.0}Code"))
    assert [(code.get("name"), code.get("isCodable")) for code in codes] == [("folder", "false"), ("leaf", "true")]


def test_import_of_an_export_gives_back_the_tree_labels_colours_and_definitions(tmp_path: Path) -> None:
    qdc, back = tmp_path / "ipl.qdc", tmp_path / "back.yaml"
    assert run_cli("codebook", "export", IPL_CODEBOOK, "--out", qdc)[0] == 0
    exit_code, stdout, _ = run_cli("codebook", "import", qdc, "--out", back)
    assert exit_code == 0 and "Wrote 16 codes (6 at the top level)" in stdout
    original, imported = load_codebook(IPL_CODEBOOK), load_codebook(back)

    def tree(codebook: object) -> list[tuple[str | None, str, str, str, str, str]]:
        labels = {code.code_id: code.label for code in codebook.codes}  # type: ignore[attr-defined]
        return [(labels.get(code.parent_id), code.label, code.color, code.definition, code.include, code.exclude)
                for code in codebook.codes]  # type: ignore[attr-defined]  # fmt: skip

    assert tree(imported) == tree(original)
    assert imported.code("role").child_ids == ("role-clinical-staff", "role-peer-support-worker")
    exit_code, _, stderr = run_cli("codebook", "import", qdc, "--out", back)
    assert exit_code == 1 and "exists already" in stderr  # never overwrites without --force


def test_import_reads_files_without_a_namespace_and_short_colours(tmp_path: Path) -> None:
    qdc = tmp_path / "plain.qdc"
    qdc.write_text(
        '<?xml version="1.0"?><CodeBook><Codes><Code guid="0b6a3c1e-2f5d-4c1a-9b7e-1d2c3b4a5f60" name="Barriers" '
        'isCodable="false" color="#F00"><Code guid="1b6a3c1e-2f5d-4c1a-9b7e-1d2c3b4a5f61" name="Cost" isCodable="true">'
        "<Description>Price.</Description></Code><Code guid=\"2b6a3c1e-2f5d-4c1a-9b7e-1d2c3b4a5f61\" name=\"Cost\" "
        'isCodable="true"/></Code></Codes></CodeBook>', encoding="utf-8",
    )  # fmt: skip
    assert run_cli("codebook", "import", qdc, "--out", tmp_path / "plain.yaml")[0] == 0
    codebook = load_codebook(tmp_path / "plain.yaml")
    assert [(code.code_id, code.parent_id) for code in codebook.codes] == [("barriers", None), ("cost", "barriers"), ("cost-2", "barriers")]
    assert codebook.code("barriers").color == "#FF0000" and codebook.code("cost").definition == "Price."


@needs_shared
def test_import_takes_the_codebook_of_an_nvivo_project(tmp_path: Path) -> None:
    out = tmp_path / "nvivo.yaml"
    exit_code, stdout, _ = run_cli("codebook", "import", NVIVO, "--out", out)
    assert exit_code == 0 and "Wrote 262 codes (3 at the top level)" in stdout
    codebook = load_codebook(out)
    assert len(codebook.codes) == 262 and len({code.code_id for code in codebook.codes}) == 262
    assert codebook.code("competencies").parent_id == "rq1_definition"
    assert run_cli("codebook", "validate", out)[0] == 0


@needs_shared
def test_import_reads_an_atlas_project_with_a_capitalised_qde(tmp_path: Path) -> None:
    with zipfile.ZipFile(ATLAS) as archive:
        assert "Project.qde" in archive.namelist()
    exit_code, stdout, _ = run_cli("codebook", "import", ATLAS, "--out", tmp_path / "atlas.yaml")
    assert exit_code == 0 and "Wrote 14 codes" in stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"<CodeBook><Codes>", "not well-formed XML"), (b"<Project/>", "no <CodeBook> with <Codes>"), (b"", "not well-formed XML")],
)
def test_import_refuses_what_is_not_a_codebook(tmp_path: Path, content: bytes, message: str) -> None:
    source = tmp_path / "bad.qdc"
    source.write_bytes(content)
    exit_code, _, stderr = run_cli("codebook", "import", source, "--out", tmp_path / "x.yaml")
    assert exit_code == 1 and message in stderr and "Traceback" not in stderr
    assert not (tmp_path / "x.yaml").exists()


def test_diff_compares_transcript_by_transcript(write_file: Callable[..., Path], tmp_path: Path) -> None:
    """Issue 17: each transcript is compared as the new codebook codes it, the old one's segments waiting on disk."""
    from ipl_coder.codebook.diff import diff_codebooks
    from ipl_coder.coding.project import code_transcripts

    every = "codes:\n  - id: team\n    terms: {en: [team], sv: [lag], nb: [lag]}\n  - id: hope\n    terms: [hope]\n"
    old = write_file("old.yaml", "codes:\n  - id: team\n    terms: {en: [team], sv: [lag]}\n  - id: hope\n    terms: [hope]\n")
    new = write_file("new.yaml", "codes:\n  - id: team\n    terms: {en: [team, crew], nb: [lag]}\n  - id: hope\n    terms: [optimism]\n")
    said = ["The team met.", "The crew met.", "We had hope.", "Rain again."]
    paths = [write_file(f"in/c{number}.txt", "I: Well?\nP1: " + " ".join(said[number:] + said[:number]) + "\n") for number in (2, 1, 3)]
    paths += [write_file("in/a-sv.txt", "---\nlanguage: sv\n---\nI: Nå?\nP1: Vi var ett lag.\n"),
              write_file("in/b-nb.txt", "---\nlanguage: nb\n---\nI: Nå?\nP1: Vi var et lag.\n")]  # fmt: skip
    project = tmp_path / "project"
    code_transcripts(paths, write_file("every.yaml", every), project)
    result = diff_codebooks(old, new, project)
    # Each codebook skips a transcript the other codes: both are left out, the old codebook's first.
    assert [line.split(":")[0] for line in result.skipped] == ["b-nb", "a-sv"]
    codes = {code.code_id: code for code in result.codes}
    assert (codes["team"].before, codes["team"].after, codes["hope"].before, codes["hope"].after) == (3, 6, 3, 0)
    assert [(s.transcript, s.text) for s in codes["team"].added] == [(f"c{n}", "The crew met.") for n in (1, 2, 3)]
    assert [(s.transcript, s.text) for s in codes["hope"].dropped] == [(f"c{n}", "We had hope.") for n in (1, 2, 3)]
    assert codes["team"].dropped == [] and codes["hope"].added == [] and result.transcripts == 5

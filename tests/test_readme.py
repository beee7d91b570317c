"""The README's example commands, run as written: they work, and they write nothing into the folder they run in."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import ROOT, run_cli

README = ROOT / "README.md"
ANA_KEYS = "arararar" + "q"  # ana decides the first eight segments in the terminal ...
OLA_DECISIONS = ["accept", "accept", "reject", "reject", "accept", "reject", "accept", "accept"]  # ... and ola in her sheet


def code_blocks() -> list[list[str]]:
    """The commands of each code block: lines ending in a backslash joined, comments dropped."""
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    return [[line.split(" #", 1)[0].strip() for line in block.replace("\\\n", " ").splitlines()
             if line.strip() and not line.lstrip().startswith("#")] for block in blocks]  # fmt: skip


def files_in(folder: Path) -> set[Path]:
    return {path.relative_to(folder) for path in folder.rglob("*")}


def test_the_readme_opens_with_make_demo_and_make_test() -> None:
    assert README.read_text(encoding="utf-8").startswith("# ipl-coder\n\n```\nmake demo ")
    assert code_blocks()[0] == ["make demo", "make test"]


def decide_in_the_sheet(sheet: Path) -> None:
    """What ola does in Excel between 'review export' and 'review import'."""
    workbook = load_workbook(sheet)
    rows = workbook.worksheets[0]
    column = [cell.value for cell in rows[1]].index("decision") + 1
    for row, decision in enumerate(OLA_DECISIONS, start=2):
        rows.cell(row=row, column=column, value=decision)
    workbook.save(sheet)


def test_the_readme_examples_run_and_leave_this_folder_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "ipl-coder"  # this folder, with what the examples read
    for name in ("sample_transcripts", "codebooks"):
        shutil.copytree(ROOT / name, here / name)
    before = files_in(here)
    monkeypatch.chdir(here)
    ran = []
    for command in [command for block in code_blocks()[1:] for command in block]:
        if command.startswith("cp "):
            shutil.copy(*shlex.split(command)[1:])
        if not command.startswith("ipl-coder "):
            continue  # the installing (tests/test_install.py checks it), and the layout of the source
        args = shlex.split(command)
        keys = ANA_KEYS if args[1:2] == ["review"] and "--coder" in args and "export" not in args else None
        exit_code, stdout, stderr = run_cli(*args[1:], keys=keys)
        if args[1] == "learn":  # the tour's sixteen decisions give no code the 5 sentences it needs: learn says so
            message = " ".join(stderr.split())
            assert exit_code == 1 and "no code has enough decisions to learn from (role: people gave it" in message, stderr
            assert "review more transcripts and run 'ipl-coder learn' again" in message and not (tmp_path / "my-project" / "learned").exists()
            ran.append(args[1])
            continue
        assert exit_code == 0, f"{command}\n{stdout}{stderr}"
        if args[1:3] == ["review", "export"]:
            decide_in_the_sheet(Path(args[args.index("-o") + 1]))
        ran.append(args[1])
    assert {"transcripts", "code", "freq", "review", "agreement", "codebook"} <= set(ran)
    assert files_in(here) == before
    project = tmp_path / "my-project"
    written = {path.name for path in project.iterdir()}
    assert {"project.sqlite", "segments.csv", "freq.csv", "review-ola.xlsx", "agreement.csv", "draft.yaml", "ipl.qdc"} <= written
    assert "link person" in (project / "draft.yaml").read_text(encoding="utf-8")

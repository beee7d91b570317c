"""What the commands print: on a pipe, into a pipe that closes, as JSON for scripts, and counts in words."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.cli import app
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.store import NewDecision, ProjectStore


def run_piped(*args: str | Path) -> tuple[int, str, str]:
    """Run ``ipl-coder`` as on a pipe or into a file: not a terminal, and no $COLUMNS to say how wide."""
    result = CliRunner().invoke(app, [str(arg) for arg in args], env={"COLUMNS": None})
    return result.exit_code, result.stdout, result.stderr


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


@pytest.fixture(scope="module")
def grouped_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three samples coded with the participants file, for counts by role and country."""
    project = tmp_path_factory.mktemp("grouped") / "project"
    files = [SAMPLES / "CA-OT-06.txt", SAMPLES / "NO-SU-03.md", SAMPLES / "CA-POL-08.txt"]
    exit_code, _, stderr = run_cli("code", *files, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1",
                                   "--participants", SAMPLES / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    return project


# Piped output


def test_piped_tables_keep_every_row_on_one_line(grouped_project: Path) -> None:
    exit_code, stdout, stderr = run_piped("freq", "-p", grouped_project, "--by", "country", "--by", "role")
    assert exit_code == 0, stderr
    rows = [line for line in stdout.splitlines() if line.startswith("│")]
    # Every row names its group: at 80 columns "occupational therapist" went on over three lines.
    assert rows and all(line.split("│")[2].strip() in ("Canada", "Norway") for line in rows)
    assert any("occupational therapist" in line for line in rows)
    assert any("person receiving peer support" in line for line in rows)
    shown_codes = {line.split("│")[1].strip() for line in rows} - {""}
    codebook_ids = {code.code_id for code in load_codebook(IPL_CODEBOOK).codes}
    assert shown_codes <= codebook_ids and "socialization-protect" in shown_codes  # whole ids, never cut mid-word


def closed_early(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``ipl-coder`` into a pipe whose reader takes one line and goes, as ``| head -1`` does."""
    # No $COLUMNS, as on a pipe: pytest-xdist's workers set COLUMNS=80, which would fold a long path at 80 columns.
    env = {name: value for name, value in os.environ.items() if name not in ("COLUMNS", "LINES")}
    process = subprocess.Popen([sys.executable, "-m", "ipl_coder", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=env)  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    return subprocess.CompletedProcess(args, process.wait(timeout=120), first, stderr)


def test_a_pipe_closed_early_is_not_an_error(tmp_path: Path) -> None:
    # More lines than a pipe holds (64 KiB), so that they are still being written when the reader goes.
    turns = "".join(f"Interviewer: Question {number}?\nP1: {'An answer that goes on for a while. ' * 8}\n" for number in range(400))
    transcript = tmp_path / "long.txt"
    transcript.write_text(turns, encoding="utf-8")
    finished = closed_early(["transcripts", "show", str(transcript), "--full"])
    assert finished.stdout == f"{transcript}\n"
    assert (finished.returncode, finished.stderr) == (0, "")


# --json


def test_freq_json_has_the_rows_of_the_csv(grouped_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "freq.csv"
    exit_code, stdout, stderr = run_cli("freq", "-p", grouped_project, "--by", "role", "--out", out, "--json")
    assert exit_code == 0, stderr
    result = json.loads(stdout)
    assert (result["by"], result["statuses"], result["out"]) == (["role"], ["pending", "accepted"], str(out))
    assert [(row["code"], row["group"]["role"], str(row["segments"]), f"{row['share']:.3f}") for row in result["rows"]] == [
        (row["code"], row["role"], row["segments"], row["share"]) for row in read_csv(out)
    ]
    assert any(row["depth"] == 1 and row["label"] for row in result["rows"])
    exit_code, stdout, _ = run_cli("freq", "-p", grouped_project, "--json")
    assert exit_code == 0 and json.loads(stdout)["rows"][0]["group"] == {}


def test_agreement_json_has_the_figures_of_the_csv(fresh_project: Path, tmp_path: Path) -> None:
    with ProjectStore.open(fresh_project) as store:
        segments = list(store.segments(None, origin="machine"))[:6]
        for coder, accepted in (("ana", [1, 1, 1, 0, 0, 1]), ("ola", [1, 0, 1, 0, 1, 1])):
            store.record_decisions([NewDecision(coder, "accept" if value else "reject", segment.segment_id)
                                    for segment, value in zip(segments, accepted, strict=True)])  # fmt: skip
    out = tmp_path / "agreement.csv"
    exit_code, stdout, stderr = run_cli("agreement", "-p", fresh_project, "--unit", "segment", "--out", out, "--json")
    assert exit_code == 0, stderr
    result = json.loads(stdout)
    assert (result["pair"], result["unit"], result["units_compared"], result["out"]) == (["ana", "ola"], "segment", 6, str(out))
    overall = result["between"][-1]
    assert overall["code"] is None and (overall["items"], overall["both_present"], overall["both_absent"]) == (6, 3, 1)
    assert overall["percent_agreement"] == pytest.approx(4 / 6, abs=1e-4)
    rows = read_csv(out)
    csv_overall = next(row for row in rows if row["code"] == "all codes")
    assert f"{overall['kappa']:.3f}" == csv_overall["kappa"] and f"{overall['alpha']:.3f}" == csv_overall["alpha"]
    machine = [row for row in rows if row["part"] == "machine"]
    assert [(row["code"], row["rule"] or None, int(row["reviewed"]), int(row["accepted"])) for row in result["machine"]] == [
        (row["code"], row["rule"] or None, int(row["reviewed"]), int(row["accepted"])) for row in machine
    ]


def test_codebook_validate_json(write_file: Callable[..., Path]) -> None:
    exit_code, stdout, _ = run_cli("codebook", "validate", IPL_CODEBOOK, "--json")
    result = json.loads(stdout)
    codebook = load_codebook(IPL_CODEBOOK)
    assert exit_code == 0 and result["valid"] is True and result["problems"] == []
    assert (result["codes"], result["sub_codes"], result["languages"]) == (len(codebook.codes), 10, ["en", "nb"])
    broken = write_file("broken.yaml", """
        codes:
          - id: a
            colour: "#123456"
            terms: [x]
    """)
    exit_code, stdout, stderr = run_cli("codebook", "validate", broken, "--json")
    assert exit_code == 1 and f"{broken}:3:5: unknown key 'colour'" in stderr
    assert json.loads(stdout) == {"path": str(broken), "valid": False, "problems": [
        {"file": str(broken), "line": 3, "column": 5, "message": "unknown key 'colour' in code 'a'; did you mean 'color'?"}]}  # fmt: skip


def test_codebook_test_json(write_file: Callable[..., Path]) -> None:
    codebook = write_file("cb.yaml", """
        codes:
          - id: broker
            terms: [broker, bridge]
            examples:
              match: [She is the bridge., He is a go-between.]
              no_match: [The car broke down.]
    """)
    exit_code, stdout, stderr = run_cli("codebook", "test", codebook, "--json")
    assert exit_code == 1 and "1 of 3 examples fails in" in stderr
    result = json.loads(stdout)
    assert (result["examples"], result["passed"], result["failed"]) == (3, 2, 1)
    failure = next(item for item in result["results"] if not item["passed"])
    assert (failure["example"], failure["expected"]) == ("He is a go-between.", "match")
    assert failure["why"] == "no rule fired (tried broker:terms)"
    assert next(item for item in result["results"] if item["example"] == "She is the bridge.")["matched"] == ["bridge"]


def test_codebook_lint_json(write_file: Callable[..., Path]) -> None:
    path = write_file("lint.yaml", """
        codes:
          - id: staff
            terms: [nurse]
          - id: team
            terms: [Nurse]
    """)
    exit_code, stdout, _ = run_cli("codebook", "lint", path, "--json")
    result = json.loads(stdout)
    assert exit_code == 0 and result["path"] == str(path) and result["project"] is None
    assert {"check": "duplicate-term", "code": "team", "line": 4} in [
        {key: warning[key] for key in ("check", "code", "line")} for warning in result["warnings"]
    ]
    _, text, _ = run_cli("codebook", "lint", path)
    assert f"{len(result['warnings'])} warnings (codebook checks)." in text


def test_review_import_json(fresh_project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.csv"
    run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")
    rows = read_csv(sheet)
    rows[0]["decision"], rows[1]["decision"] = "accept", "reject"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    exit_code, stdout, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana", "--json")
    assert exit_code == 0, stderr
    result: dict[str, Any] = json.loads(stdout)
    assert (result["applied"], result["unchanged"]) == (2, len(rows) - 2)
    assert [(change["row"], change["code"], change["change"], change["coder"]) for change in result["changes"]] == [
        (2, rows[0]["code"], "accept", "ana"), (3, rows[1]["code"], "reject", "ana")]  # fmt: skip
    assert {Path(path).name for path in result["exports"]} == {"segments.csv", "segments.jsonl", "frequencies.csv"}
    with ProjectStore.open(fresh_project) as store:
        assert store.coder_views("ana")[rows[1]["segment_id"]].status == "rejected"


# Counts in words


def test_one_of_a_thing_is_singular(write_file: Callable[..., Path], tmp_path: Path) -> None:
    transcript = write_file("one.txt", "P1: I was the only one who spoke.\n")
    exit_code, stdout, _ = run_cli("transcripts", "show", transcript)
    assert exit_code == 0 and "characters, 7 words, 1 turn\n" in stdout
    exit_code, stdout, _ = run_cli("transcripts", "check", transcript)
    assert exit_code == 0 and "1 file checked" in stdout
    codebook = write_file("cb.yaml", """
        codes:
          - id: team
            terms: [team]
            boolean:
              - all: [team, meeting]
            near:
              - terms: [nurse]
                with: [doctor]
            codes:
              - id: team-lead
                terms: [lead]
                examples:
                  match: [She leads the team.]
          - id: hunch
    """)
    exit_code, stdout, _ = run_cli("codebook", "validate", codebook)
    assert exit_code == 0 and "3 codes (1 sub-code), rules 4 in en, 1 example." in stdout
    assert "1 code has no rules, so only people apply it: hunch." in stdout
    exit_code, stdout, _ = run_cli("codebook", "show", codebook)
    assert exit_code == 0 and "en: 1 term, 1 boolean rule, 1 near rule" in stdout and "en: 1 term\n" in stdout
    exit_code, stdout, _ = run_cli("codebook", "show", codebook, "--code", "team")
    assert exit_code == 0 and "within 5 words of doctor" in stdout
    exit_code, stdout, _ = run_cli("codebook", "test", codebook)
    assert exit_code == 0 and "1 of 1 example passes" in stdout
    exit_code, stdout, _ = run_cli("codebook", "export", codebook, "--out", tmp_path / "cb.qdc")
    assert exit_code == 0 and "Wrote 3 codes" in stdout
    single = write_file("single.yaml", "codes:\n  - id: team\n    terms: [team]\n")
    exit_code, stdout, _ = run_cli("codebook", "export", single, "--out", tmp_path / "single.qdc")
    assert exit_code == 0 and "Wrote 1 code to" in stdout

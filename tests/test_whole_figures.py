"""Whole-project figures (freq, report, agreement, review import) checked against counts worked out by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import run_cli
from ipl_coder.coding.project import code_transcripts
from ipl_coder.store import NewDecision, ProjectStore

CODEBOOK = """
codes:
  - id: team
    terms: [team]
  - id: hope
    terms: [hope]
"""
TRANSCRIPT = "Interviewer: Tell me.\nP1: The team met. I hope so. The team had hope.\n"


def _project(write_file: Callable[..., Path], tmp_path: Path) -> Path:
    project = tmp_path / "project"
    code_transcripts([write_file("t1.txt", TRANSCRIPT)], write_file("cb.yaml", CODEBOOK), project)
    return project


def test_freq_counts_the_decided_segments_of_a_code_the_codebook_dropped(write_file: Callable[..., Path], tmp_path: Path) -> None:
    project = _project(write_file, tmp_path)
    with ProjectStore.open(project) as store:
        hope = [s for s in store.segments() if s.code_id == "hope"]
        store.record_decisions([NewDecision("ana", "accept", hope[0].segment_id)])
    code_transcripts([tmp_path / "t1.txt"], write_file("cb.yaml", "codes:\n  - id: team\n    terms: [team]\n"), project)
    exit_code, stdout, stderr = run_cli("freq", "-p", project, "--json")
    assert exit_code == 0, stderr
    rows = {row["code"]: row["segments"] for row in json.loads(stdout)["rows"]}
    # By hand: two 'team' sentences, and the one 'hope' segment ana accepted, kept in the store and in frequencies.csv.
    assert rows == {"team": 2, "hope": 1}
    assert "hope,hope,,0,1," in (project / "frequencies.csv").read_text(encoding="utf-8-sig")
    assert any("hope" in note and "codebook" in note for note in json.loads(stdout)["notes"])

"""Whole-project figures (freq, report, agreement, review import) checked against counts worked out by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import TEAM_AND_HOPE, run_cli
from ipl_coder.coding.project import code_transcripts
from ipl_coder.store import NewDecision, Passage, ProjectStore

CODEBOOK = TEAM_AND_HOPE
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


def test_the_report_counts_a_passage_two_coders_gave_the_same_code_once_as_freq_does(
    write_file: Callable[..., Path], tmp_path: Path
) -> None:
    from lxml import html as lxml_html

    project = _project(write_file, tmp_path)
    start = TRANSCRIPT.index("I hope")
    with ProjectStore.open(project) as store:
        store.record_decisions([NewDecision(coder, "add", new_code_id="team", note=f"{coder} saw it",
                                            passage=Passage("t1", start, start + 6)) for coder in ("ana", "ola")])  # fmt: skip
        hope = [s for s in store.segments() if s.code_id == "hope"]
        store.record_decisions([NewDecision("ana", "accept", hope[0].segment_id)])
    code_transcripts([tmp_path / "t1.txt"], write_file("cb.yaml", "codes:\n  - id: team\n    terms: [team]\n"), project)
    out = tmp_path / "report.html"
    exit_code, stdout, stderr = run_cli("report", "-p", project, "-o", out)
    assert exit_code == 0, stderr
    # By hand: 'team' on two sentences and on "I hope" (once, though two coders gave it); 'hope', dropped from the
    # codebook, on the one sentence ana accepted: 4 segments, as freq counts them.
    assert "4 segments" in stdout
    _, freq_out, _ = run_cli("freq", "-p", project, "--json")
    assert {row["code"]: row["segments"] for row in json.loads(freq_out)["rows"]} == {"team": 3, "hope": 1}
    page = lxml_html.fromstring(out.read_text(encoding="utf-8"))
    for code, segments in (("team", "3"), ("hope", "1")):
        assert page.xpath(f'string(//details[@id="code-{code}"]//*[@data-count="code-segments"])') == segments
    assert "4 segments" in page.xpath('string(//details[@class="transcript"]//summary)')
    shared = [item.text_content() for item in page.xpath('//details[@id="code-team"]//div[@class="segment"]') if "added by" in item.text_content()]
    assert len(shared) == 1 and "added by ana, ola" in shared[0] and "ana saw it" in shared[0] and "ola saw it" in shared[0]


def test_agreement_says_which_decisions_an_edit_took_out_of_sight(write_file: Callable[..., Path], tmp_path: Path) -> None:
    project = _project(write_file, tmp_path)
    with ProjectStore.open(project) as store:
        segments = list(store.segments())
        store.record_decisions([NewDecision(coder, "accept", s.segment_id) for coder in ("ana", "ola") for s in segments])
    # The first sentence goes: its 'team' segment, decided by both, is in no figure from now on.
    edited = write_file("t1.txt", TRANSCRIPT.replace("The team met. ", ""))
    code_transcripts([edited], tmp_path / "cb.yaml", project)
    for args in (("--coders", "ana,ola"), ("--against", "ana")):
        exit_code, stdout, stderr = run_cli("agreement", "-p", project, *args, "--json")
        assert exit_code == 0, stderr
        notes = json.loads(stdout)["notes"]
        assert any(note.startswith("1 passage ana decided is no longer in the text") for note in notes), notes
        assert any(note.startswith("1 passage ola decided") for note in notes) == (args[0] == "--coders")


def test_a_sheet_cannot_decide_a_passage_an_edit_took_out_of_sight(write_file: Callable[..., Path], tmp_path: Path) -> None:
    import csv

    project = _project(write_file, tmp_path)
    with ProjectStore.open(project) as store:
        first = next(s for s in store.segments() if s.code_id == "team")
        store.record_decisions([NewDecision("ana", "accept", first.segment_id)])
    sheet = tmp_path / "ana.csv"
    assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ana")[0] == 0
    code_transcripts([write_file("t1.txt", TRANSCRIPT.replace("The team met. ", ""))], tmp_path / "cb.yaml", project)
    assert run_cli("review", "import", sheet, "-p", project)[0] == 0  # unchanged, it is harmless
    with sheet.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    next(row for row in rows if row["segment_id"] == first.segment_id)["decision"] = "reject"
    with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", project)
    # It would be a decision no figure, list or export shows: refused, and nothing applied.
    assert exit_code == 1 and "is no longer in the text of t1" in stderr
    with ProjectStore.open(project) as store:
        assert [d.decision for d in store.decisions(first.segment_id)] == ["accept"]

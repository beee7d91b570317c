"""Issue 13: nothing a person decided drops out of sight (edited transcripts, old sheets, renames, added rows)."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.review.agreement import compute_agreement
from ipl_coder.store import NewDecision, ProjectStore, SegmentRow
from test_review_sheet import read_sheet, write_sheet

EDITED = "CA-PSW-01"


def segments_csv(project: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((project / "segments.csv").read_text(encoding="utf-8-sig"))))


@pytest.fixture
def own_samples(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the samples we may edit, coded into a project: (folder, project)."""
    folder = tmp_path / "interviews"
    shutil.copytree(SAMPLES, folder)
    project = tmp_path / "project"
    exit_code, _, stderr = run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1")
    assert exit_code == 0, stderr
    return folder, project


def decide_three(project: Path) -> list[SegmentRow]:
    with ProjectStore.open(project) as store:
        chosen = [segment for segment in store.segments(transcript=EDITED)][3:6]
        store.record_decisions([NewDecision("ola", "accept" if n else "reject", s.segment_id) for n, s in enumerate(chosen)])
        store.record_decisions([NewDecision("ana", "accept", s.segment_id, note=f"note {n}") for n, s in enumerate(chosen)])
    return chosen


def test_decisions_follow_an_edited_transcript_everywhere(own_samples: tuple[Path, Path], tmp_path: Path) -> None:
    folder, project = own_samples
    chosen = decide_three(project)
    old_sheet = tmp_path / "before-edit.csv"
    assert run_cli("review", "export", "-p", project, "-o", old_sheet, "--coder", "ana")[0] == 0
    path = folder / f"{EDITED}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nInterviewer: One more thing: thank you.\n", encoding="utf-8")
    exit_code, _, stderr = run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1")
    assert exit_code == 0, stderr
    assert f"Note {EDITED}: its text changed since it was last coded; 3 decided passages moved to the new text" in stderr
    wanted = {(s.code_id, s.text) for s in chosen}
    # segments.csv: accepted, by the coder who decided last
    rows = [row for row in segments_csv(project) if (row["code"], row["text"].removeprefix("'")) in wanted]
    assert len(rows) == 3 and {row["status"] for row in rows} == {"accepted"}
    # the store and freq --status accepted
    with ProjectStore.open(project) as store:
        accepted = {(s.code_id, s.text) for s in store.segments(["accepted"], transcript=EDITED)}
        assert wanted <= accepted
        views = store.coder_views("ana")
        assert sorted(view.note or "" for view in views.values()) == ["note 0", "note 1", "note 2"]
        current_text = store.transcript(EDITED).text  # type: ignore[union-attr]
        for segment in store.segments(["accepted"], transcript=EDITED):
            assert current_text[segment.start_char : segment.end_char] == segment.text
    exit_code, _, stderr = run_cli("freq", "-p", project, "--status", "accepted", "--out", tmp_path / "freq.csv")
    assert exit_code == 0, stderr
    counted = {row["code"]: int(row["segments"]) for row in csv.DictReader(io.StringIO((tmp_path / "freq.csv").read_text("utf-8-sig")))}
    for code_id, _ in wanted:
        assert counted[code_id] >= 1
    # the coder's next sheet
    sheet = tmp_path / "after-edit.csv"
    assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ana")[0] == 0
    decided = [row for row in read_sheet(sheet) if row["decision"]]
    assert sorted(row["note"] for row in decided) == ["note 0", "note 1", "note 2"]
    # agreement between the two coders still sees all three
    result = compute_agreement(project, ["ana", "ola"], "segment")
    assert result.units_compared == 3
    # a sheet exported before the edit still finds its rows
    rows_before = read_sheet(old_sheet)
    for row in rows_before:
        if row["note"] == "note 1":
            row["decision"] = "reject"
    write_sheet(old_sheet, rows_before)
    exit_code, stdout, stderr = run_cli("review", "import", old_sheet, "-p", project, "--coder", "ana")
    assert exit_code == 0, stderr
    assert "1 reject" in stdout


def test_a_decided_passage_the_edit_removed_is_reported(own_samples: tuple[Path, Path]) -> None:
    folder, project = own_samples
    chosen = decide_three(project)
    path = folder / f"{EDITED}.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(chosen[0].text, "[removed by the transcriber]"), encoding="utf-8")
    exit_code, _, stderr = run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1")
    assert exit_code == 0, stderr
    flat = " ".join(stderr.split())
    assert f"Warning {EDITED}: its text changed, and 1 decided passage is no longer in it, so not shown ('{chosen[0].code_id}'" in flat
    assert "Note " + EDITED + ": its text changed since it was last coded; 2 decided passages moved" in flat
    # Put the words back: the decision comes back with them.
    path.write_text(path.read_text(encoding="utf-8").replace("[removed by the transcriber]", chosen[0].text), encoding="utf-8")
    assert run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        assert store.resolve_segment_id(chosen[0].segment_id) == chosen[0].segment_id  # the same text, the same id
        assert store.coder_views("ana")[chosen[0].segment_id].note == "note 0"


def test_an_older_sheet_does_not_put_back_an_older_note(fresh_project: Path, tmp_path: Path) -> None:
    with ProjectStore.open(fresh_project) as store:
        segment = next(store.segments())
        store.record_decision(segment.segment_id, "ana", "note", note="first thought")
    old = tmp_path / "old.csv"
    assert run_cli("review", "export", "-p", fresh_project, "-o", old, "--coder", "ana")[0] == 0
    with ProjectStore.open(fresh_project) as store:
        store.record_decision(segment.segment_id, "ana", "note", note="second thought")
    exit_code, _, stderr = run_cli("review", "import", old, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 1 and "ana changed the note on this segment at" in stderr and "export a fresh sheet" in stderr
    with ProjectStore.open(fresh_project) as store:
        assert store.coder_views("ana")[segment.segment_id].note == "second thought"


def test_an_old_id_after_two_codes_swapped_names_is_refused(fresh_project: Path, tmp_path: Path) -> None:
    with ProjectStore.open(fresh_project) as store:
        spans: dict[tuple[str, int, int], set[str]] = {}
        for segment in store.segments():
            spans.setdefault((segment.transcript, segment.start_char, segment.end_char), set()).add(segment.code_id)
    both = next(key for key, codes in spans.items() if {"expertise-lived", "expertise-professional"} <= codes)
    sheet = tmp_path / "before.csv"
    assert run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")[0] == 0
    codebook = tmp_path / "ipl.yaml"
    shutil.copy(IPL_CODEBOOK, codebook)
    for old, new in (("expertise-lived", "swap"), ("expertise-professional", "expertise-lived"), ("swap", "expertise-professional")):
        assert run_cli("codebook", "rename", codebook, old, new, "--project", fresh_project)[0] == 0
    rows = read_sheet(sheet)
    row = next(r for r in rows if (r["transcript"], int(r["start"]), int(r["end"]), r["code"]) == (*both, "expertise-lived"))
    row["decision"] = "reject"
    write_sheet(sheet, [row])
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 1 and "names two segments since codes were renamed" in stderr
    with ProjectStore.open(fresh_project) as store:
        assert not store.coder_views("ana")
    # A row whose old id names one segment still finds it, under the code's new name.
    alone = next(r for r in rows if r["code"] == "expertise-lived"
                 and spans[(r["transcript"], int(r["start"]), int(r["end"]))] == {"expertise-lived"})  # fmt: skip
    alone["decision"] = "reject"
    write_sheet(sheet, [alone])
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 0, stderr
    with ProjectStore.open(fresh_project) as store:
        [(segment_id, view)] = store.coder_views("ana").items()
        assert view.status == "rejected" and store.segment(segment_id).code_id == "expertise-professional"  # type: ignore[union-attr]


def test_a_row_whose_code_is_not_the_segments_is_refused(fresh_project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "s.csv"
    assert run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")[0] == 0
    row = read_sheet(sheet)[0]
    row.update(decision="accept", code="broker" if row["code"] != "broker" else "role")
    write_sheet(sheet, [row])
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 1 and f"the row's code '{row['code']}' is not the code of segment {row['segment_id']}" in stderr


def test_rows_added_in_a_sheet_belong_to_the_sheets_coder(fresh_project: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.delenv("IPL_CODER_CODER", raising=False)
    sheet = tmp_path / "ana.csv"
    assert run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")[0] == 0
    rows = read_sheet(sheet)
    first = rows[0]
    rows.append(dict.fromkeys(first, "") | {"transcript": first["transcript"], "code": "broker", "start": first["start"],
                                            "end": first["end"]})  # fmt: skip
    write_sheet(sheet, rows)
    exit_code, stdout, stderr = run_cli("review", "import", sheet, "-p", fresh_project)  # no --coder
    assert exit_code == 0, stderr
    with ProjectStore.open(fresh_project) as store:
        added = [segment for segment in store.segments() if segment.origin == "human"]
        assert [(segment.coder, segment.code_id) for segment in added] == [("ana", "broker")]
        assert [summary.coder for summary in store.coders()] == ["ana"]


def test_a_rename_keeps_the_statuses_the_exports_count(own_samples: tuple[Path, Path], tmp_path: Path) -> None:
    """Found by the random cycles: a rename rewrote segments.csv with the default statuses, dropping rejections."""
    folder, project = own_samples
    statuses = [option for status in ("pending", "accepted", "rejected") for option in ("--status", status)]
    assert run_cli("code", folder, "-c", IPL_CODEBOOK, "-p", project, "--jobs", "1", *statuses)[0] == 0
    with ProjectStore.open(project) as store:
        rejected = next(segment for segment in store.segments() if segment.code_id == "broker")
        store.record_decision(rejected.segment_id, "ana", "reject")
    codebook = tmp_path / "ipl.yaml"
    shutil.copy(IPL_CODEBOOK, codebook)
    assert run_cli("codebook", "rename", codebook, "broker", "go-between", "--project", project)[0] == 0
    statuses_after = {row["status"] for row in segments_csv(project) if row["code"] == "go-between"}
    assert "rejected" in statuses_after

"""Review sheets (XLSX and CSV) out and back in, and decisions that survive codebook edits and re-runs."""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

from openpyxl import load_workbook

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.store import NewDecision, ProjectStore


def read_sheet(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".xlsx":
        rows = list(load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True))
        header = [str(cell) for cell in rows[0]]
        return [{name: "" if value is None else str(value) for name, value in zip(header, row, strict=False)} for row in rows[1:]]
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def write_sheet(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def store_dump(project: Path) -> list[str]:
    connection = sqlite3.connect(project / "project.sqlite")
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def test_the_xlsx_sheet_is_ready_for_excel(fresh_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "review.xlsx"
    exit_code, stdout, _ = run_cli("review", "export", "-p", fresh_project, "-o", out, "--coder", "ana")
    assert exit_code == 0 and "for ana" in stdout
    workbook = load_workbook(out)
    sheet = workbook["review"]
    header = [cell.value for cell in sheet[1]]
    assert header[:10] == ["segment_id", "transcript", "speaker", "code", "label", "text", "decision", "new_code", "note", "coder"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold
    assert sheet.cell(2, header.index("text") + 1).alignment.wrap_text
    validations = {cells.split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation for cells in str(v.sqref).split()}
    assert validations["G2"] == '"accept,reject,recode"'
    assert validations["H2"].startswith("codes!$A$2")
    assert [row[0] for row in workbook["codes"].iter_rows(min_row=2, max_col=1, values_only=True)][:2] == ["role", "role-clinical"]
    with ProjectStore.open(fresh_project) as store:
        assert sheet.max_row - 1 == sum(1 for _ in store.segments(None))


def test_a_sheet_with_a_bad_row_changes_nothing_and_names_each_row(fresh_project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")
    rows = read_sheet(sheet)
    rows[0]["decision"] = "accept"
    rows[1]["decision"] = "maybe"
    rows[2]["segment_id"] = "0000000000000000"
    rows[3].update(decision="recode", new_code="")
    rows[4].update(decision="recode", new_code="brokr")
    rows.append(dict.fromkeys(rows[0], "") | {"transcript": "nobody", "code": "broker", "text": "x"})
    write_sheet(sheet, rows)
    before = store_dump(fresh_project)
    exports_before = (fresh_project / "segments.csv").read_bytes()
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 1
    lines = stderr.strip().splitlines()
    assert lines[:5] == [
        f"{sheet} row 3: unknown decision 'maybe'; write accept, reject or recode",
        f"{sheet} row 4: unknown segment id '0000000000000000'; it is not in this project",
        f"{sheet} row 5: recode without a new_code; write the right code in new_code",
        f"{sheet} row 6: unknown code 'brokr' in new_code; did you mean 'broker'?",
        f"{sheet} row {len(rows) + 1}: unknown transcript 'nobody'",
    ]
    assert lines[-1] == f"Error: 5 bad rows in {sheet}; nothing was applied. Fix them and import again"
    assert store_dump(fresh_project) == before and (fresh_project / "segments.csv").read_bytes() == exports_before


def test_a_good_sheet_applies_every_row_once(fresh_project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "review.xlsx"
    run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")
    rows = read_sheet(sheet)
    rows[0]["decision"] = "accept"
    rows[1]["decision"] = "Rejected"
    rows[2].update(decision="recode", new_code="broker" if rows[2]["code"] != "broker" else "role")
    rows[3]["note"] = "=not a formula"
    transcript = rows[0]["transcript"]
    rows.append(dict.fromkeys(rows[0], "") | {"transcript": transcript, "code": "broker", "start": rows[0]["start"], "end": rows[0]["end"]})
    rows.append(dict.fromkeys(rows[0], "") | {"transcript": transcript, "code": "boundary", "text": f'"{rows[1]["text"][:25]}"'})
    csv_sheet = tmp_path / "filled.csv"
    write_sheet(csv_sheet, rows)
    exit_code, stdout, stderr = run_cli("review", "import", csv_sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 0, stderr
    assert "Applied 6 changes (1 accept, 1 reject, 1 recode, 1 note, 2 add)" in stdout
    with ProjectStore.open(fresh_project) as store:
        views = store.coder_views("ana")
        assert views[rows[0]["segment_id"]].status == "accepted"
        assert views[rows[1]["segment_id"]].status == "rejected"
        assert views[rows[2]["segment_id"]].status == "recoded"
        assert views[rows[3]["segment_id"]].note == "=not a formula"
        history = store.decisions(rows[1]["segment_id"])
        assert history[0].source == f"sheet {csv_sheet.name} row 3" and history[0].coder == "ana"
        added = {(s.code_id, s.text[:25]) for s in store.segments() if s.origin == "human"}
        assert ("boundary", rows[1]["text"][:25]) in added
    # The same sheet again changes nothing; a fresh export shows every decision.
    exit_code, stdout, _ = run_cli("review", "import", csv_sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 0 and "Nothing to change" in stdout
    again = tmp_path / "again.csv"
    run_cli("review", "export", "-p", fresh_project, "-o", again, "--coder", "ana")
    by_id = {row["segment_id"]: row for row in read_sheet(again)}
    assert by_id[rows[1]["segment_id"]]["decision"] == "reject" and by_id[rows[3]["segment_id"]]["note"] == "'=not a formula"
    # An old sheet that would overwrite a later decision is refused.
    exit_code, _, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 0  # the xlsx had no decisions in it: nothing conflicts
    rows_old = read_sheet(sheet)
    rows_old[1]["decision"] = "accept"
    stale = tmp_path / "stale.csv"
    write_sheet(stale, rows_old)
    exit_code, _, stderr = run_cli("review", "import", stale, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 1 and "row 3: ana decided 'reject' on this segment at" in stderr


def test_an_added_row_on_a_suggestion_is_reported_as_accepting_it(fresh_project: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "review.csv"
    run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana")
    rows = read_sheet(sheet)
    suggestion, other = rows[0], next(row for row in rows if row["code"] != rows[0]["code"])
    blank = dict.fromkeys(rows[0], "")
    added = [blank | {key: suggestion[key] for key in ("transcript", "code", "start", "end")},  # the machine's very passage
             blank | {"transcript": other["transcript"], "code": suggestion["code"], "start": other["start"], "end": other["end"]}]
    filled = tmp_path / "filled.csv"
    write_sheet(filled, [*rows, *added])
    with ProjectStore.open(fresh_project) as store:
        humans_before = sum(1 for segment in store.segments() if segment.origin == "human")
    exit_code, stdout, stderr = run_cli("review", "import", filled, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 0, stderr
    assert "Applied 2 changes (1 accepted an existing suggestion, 1 add);" in stdout
    assert f"{suggestion['code']} │ accepted an existing suggestion" in stdout
    with ProjectStore.open(fresh_project) as store:
        assert store.coder_views("ana")[suggestion["segment_id"]].status == "accepted"
        [decision] = store.decisions(suggestion["segment_id"])
        assert (decision.decision, decision.coder, decision.source) == ("accept", "ana", f"sheet {filled.name} row {len(rows) + 2}")
        assert sum(1 for segment in store.segments() if segment.origin == "human") == humans_before + 1  # only the second row's
    exit_code, stdout, _ = run_cli("review", "import", filled, "-p", fresh_project, "--coder", "ana", "--json")
    assert exit_code == 0 and json.loads(stdout)["applied"] == 0


def test_decisions_survive_a_codebook_edit_and_a_rerun(tmp_path: Path) -> None:
    """Code the samples; accept 3, reject 2, recode 1, add 1; edit the codebook; code again; nothing is lost."""
    codebook, project = tmp_path / "ipl.yaml", tmp_path / "project"
    shutil.copy(IPL_CODEBOOK, codebook)
    assert run_cli("code", SAMPLES, "-c", codebook, "-p", project, "-q", "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        broker = [s for s in store.segments() if s.code_id == "broker"]
    target = next(s for s in broker if any(rule == "broker:terms" for rule in s.rules))
    keys = "aaarrcrole\n+expertise\n\nq"  # on the first broker suggestions, in reading order
    exit_code, _, stderr = run_cli("review", "-p", project, "--coder", "ana", "--code", "broker", keys=keys)
    assert exit_code == 0, stderr
    with ProjectStore.open(project) as store:
        decided = {segment_id: view for segment_id, view in store.coder_views("ana").items()}
        before = {segment_id: store.decisions(segment_id) for segment_id in decided}
    kinds = sorted(view.decision or "" for view in decided.values())
    assert kinds == ["accept", "accept", "accept", "add", "add", "recode", "reject", "reject"]  # recode's code + the added one

    # Drop the broker term rule and add a term to another code, then code again.
    lines = codebook.read_text(encoding="utf-8").splitlines(keepends=True)
    first = lines.index("    terms:\n", next(i for i, line in enumerate(lines) if line.strip() == "- id: broker"))
    last = first + 1
    while lines[last].startswith("      "):  # the terms' languages and their lists
        last += 1
    codebook.write_text("".join(lines[:first] + lines[last:]), encoding="utf-8")
    assert run_cli("codebook", "add-term", codebook, "role", "colleague")[0] == 0
    exit_code, _, stderr = run_cli("code", SAMPLES, "-c", codebook, "-p", project, "-q", "--jobs", "1")
    assert exit_code == 0, stderr

    with ProjectStore.open(project) as store:
        assert store.coder_views("ana") == decided
        for segment_id, history in before.items():
            assert store.decisions(segment_id) == history  # who, when, what, the note
            assert store.segment(segment_id) is not None
        assert store.segment(target.segment_id).suggested is False  # type: ignore[union-attr]  # its rule is gone
    sheet = tmp_path / "after.csv"
    assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", "ana")[0] == 0
    rows = {row["segment_id"]: row for row in read_sheet(sheet)}
    for segment_id, view in decided.items():
        row = rows[segment_id]
        assert row["decision"] == {"add": "accept"}.get(view.decision or "", view.decision) and row["coder"] == "ana"
        assert row["decided_at"] == view.decided_at
    assert rows[target.segment_id]["suggested"] == "no"


def test_statuses_choose_what_the_exports_count(fresh_project: Path) -> None:
    with ProjectStore.open(fresh_project) as store:
        first = next(store.segments())
        store.record_decision(first.segment_id, "ana", "accept")
    exit_code, stdout, _ = run_cli("code", SAMPLES, "-c", IPL_CODEBOOK, "-p", fresh_project, "--status", "accepted", "--jobs", "1")
    assert exit_code == 0 and "Counts include accepted segments" in stdout
    rows = list(csv.DictReader(io.StringIO((fresh_project / "segments.csv").read_text(encoding="utf-8-sig"))))
    assert [row["segment_id"] for row in rows] == [first.segment_id]
    exit_code, stdout, _ = run_cli("freq", "-p", fresh_project, "--status", "accepted")
    assert exit_code == 0 and "(accepted segments)" in stdout
    # A review afterwards rewrites the exports with the same choice.
    run_cli("review", "-p", fresh_project, "--coder", "ana", keys="aq")
    rows = list(csv.DictReader(io.StringIO((fresh_project / "segments.csv").read_text(encoding="utf-8-sig"))))
    assert len(rows) == 2 and {row["status"] for row in rows} == {"accepted"}


def test_a_sheet_from_before_a_rename_still_finds_its_rows(fresh_project: Path, tmp_path: Path) -> None:
    codebook = tmp_path / "ipl.yaml"
    shutil.copy(IPL_CODEBOOK, codebook)
    sheet = tmp_path / "before.csv"
    run_cli("review", "export", "-p", fresh_project, "-o", sheet, "--coder", "ana", "--code", "broker")
    assert run_cli("codebook", "rename", codebook, "broker", "go-between", "--project", fresh_project)[0] == 0
    rows = read_sheet(sheet)
    rows[0]["decision"] = "accept"
    write_sheet(sheet, rows)
    exit_code, stdout, stderr = run_cli("review", "import", sheet, "-p", fresh_project, "--coder", "ana")
    assert exit_code == 0, stderr
    with ProjectStore.open(fresh_project) as store:
        accepted = [s for s in store.segments(["accepted"]) if s.decided_by == "ana"]
        assert [s.code_id for s in accepted] == ["go-between"]


def test_review_sheet_input_errors(fresh_project: Path, tmp_path: Path) -> None:
    exit_code, _, stderr = run_cli("review", "export", "-p", fresh_project, "-o", tmp_path / "r.ods")
    assert exit_code == 1 and "must be .xlsx or .csv" in stderr
    exit_code, _, stderr = run_cli("review", "export", "-p", fresh_project, "-o", tmp_path / "r.csv", "--code", "brokr")
    assert exit_code == 1 and "did you mean 'broker'" in stderr and not (tmp_path / "r.csv").exists()
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    exit_code, _, stderr = run_cli("review", "import", empty, "-p", fresh_project)
    assert exit_code == 1 and "the review sheet is empty" in stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("segment_id,verdict\nabc,accept\n")
    exit_code, _, stderr = run_cli("review", "import", wrong, "-p", fresh_project)
    assert exit_code == 1 and "row 1 has no 'decision' column" in stderr
    exit_code, _, stderr = run_cli("review", "import", tmp_path / "missing.csv", "-p", fresh_project)
    assert exit_code == 1 and "review sheet not found" in stderr


def test_sheet_cells_are_the_text_exactly(tmp_path: Path) -> None:
    """The .xlsx holds text as text, dialogue dashes and "=" included; both sheets read back exactly."""
    transcript = tmp_path / "NO-01.txt"
    transcript.write_text("---\nlanguage: nb\n---\nIntervjuer: Og?\nP1: - Det var grensene, sa hun.\n", encoding="utf-8")
    project = tmp_path / "project"
    assert run_cli("code", transcript, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1")[0] == 0
    with ProjectStore.open(project) as store:
        (segment,) = store.segments()
        store.record_decision(segment.segment_id, "ana", "accept", note="=not a formula")
        store.record_decision(segment.segment_id, "ola", "reject", note="- tja, æøå")
    for coder, note in (("ana", "=not a formula"), ("ola", "- tja, æøå")):
        sheet = tmp_path / f"review-{coder}.xlsx"
        assert run_cli("review", "export", "-p", project, "-o", sheet, "--coder", coder)[0] == 0
        review = load_workbook(sheet)["review"]
        header = [cell.value for cell in review[1]]
        text, written = review.cell(2, header.index("text") + 1), review.cell(2, header.index("note") + 1)
        assert (text.value, written.value) == ("- Det var grensene, sa hun.", note)
        assert text.data_type == written.data_type == "s" and written.quotePrefix  # Excel keeps them text when edited
        csv_sheet = tmp_path / f"review-{coder}.csv"
        assert run_cli("review", "export", "-p", project, "-o", csv_sheet, "--coder", coder)[0] == 0
        assert read_sheet(csv_sheet)[0]["text"] == "- Det var grensene, sa hun."
        for exported in (sheet, csv_sheet):
            exit_code, stdout, stderr = run_cli("review", "import", exported, "-p", project, "--coder", coder)
            assert exit_code == 0 and "Nothing to change" in stdout, stderr
    # A sheet from an earlier version, which put an apostrophe before every dash, still reads back as it was.
    old = tmp_path / "old.csv"
    write_sheet(old, [read_sheet(tmp_path / "review-ola.csv")[0] | {"text": "'- Det var grensene, sa hun.", "note": "'- tja, æøå"}])
    exit_code, stdout, stderr = run_cli("review", "import", old, "-p", project, "--coder", "ola")
    assert exit_code == 0 and "Nothing to change" in stdout, stderr


def test_the_xlsx_is_written_row_by_row_and_sized_after_the_last(fresh_project: Path, tmp_path: Path) -> None:
    """Issue 17: the sheet streams from the store, a transcript at a time; what depends on the rows is set after them."""
    from ipl_coder.exchange.review_sheet.writer import SHEET_COLUMNS, SPARE_ROWS, WIDTHS

    with ProjectStore.open(fresh_project) as store:
        segments = [s for s in store.segments(None) if s.code_id in ("role-peer", "boundary-divide")][::2]
        store.record_decisions([NewDecision("ana", "accept", s.segment_id) for s in segments])
        wanted = [s for s in store.segments(None) if s.code_id in ("role-peer", "boundary-divide")]
    out = tmp_path / "review.xlsx"
    exit_code, stdout, stderr = run_cli("review", "export", "-p", fresh_project, "-o", out, "--coder", "ana",
                                        "--code", "role-peer", "--code", "boundary-divide")  # fmt: skip
    assert exit_code == 0, stderr
    assert f"Wrote {len(wanted)} segments to {out} for ana ({len(segments)} already decided by them)." in " ".join(stdout.split())
    sheet = load_workbook(out)["review"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, max_col=1, values_only=True)] == [s.segment_id for s in wanted]
    last = len(wanted) + 1
    assert sheet.auto_filter.ref == f"A1:{chr(ord('A') + len(SHEET_COLUMNS) - 1)}{last}"
    ranges = sorted(str(v.sqref) for v in sheet.data_validations.dataValidation)
    assert ranges == sorted([f"G2:G{last + SPARE_ROWS}", f"D{last + 1}:D{last + SPARE_ROWS} H2:H{last + SPARE_ROWS}"])
    assert {column: sheet.column_dimensions[chr(ord("A") + index)].width for index, column in enumerate(SHEET_COLUMNS)
            if column in WIDTHS} == WIDTHS  # fmt: skip
    assert all(sheet.cell(row, SHEET_COLUMNS.index("note") + 1).alignment.wrap_text for row in range(2, last + 1))


def test_a_review_sheet_is_written_without_importing_spacy(fresh_project: Path, tmp_path: Path) -> None:
    """The codebook read back from the store is not checked against spaCy again: spaCy's import is most of a second."""
    import subprocess
    import sys

    script = ("import sys\nfrom ipl_coder.cli import main\n"
              "try:\n    main()\nexcept SystemExit as end:\n    assert end.code in (0, None), end.code\n"
              "print('spacy' in sys.modules)")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", script, "review", "export", "-p", str(fresh_project), "-o",
                             str(tmp_path / "sheet.csv"), "--coder", "ana"], capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False" and (tmp_path / "sheet.csv").stat().st_size > 0

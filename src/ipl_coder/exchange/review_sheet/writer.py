"""The review sheet: one row per segment, for teams that review in Excel.

A coder fills in ``decision`` (accept, reject, recode), ``new_code`` and
``note``, and may add rows of their own (transcript, start and end or the
quoted words in ``text``, and code) for codes the machine missed;
``ipl-coder review import`` reads it back. The sheet shows only its coder's
decisions and added codes, so colleagues can review blind.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ipl_coder.errors import InputError, ProjectError
from ipl_coder.files import FORMULA_STARTS, atomic_file, atomic_path, spreadsheet_safe, spreadsheet_text
from ipl_coder.review.session import (
    ReviewScope,
    did_you_mean,
    open_codebook,
    with_sub_codes,
)
from ipl_coder.store import WITHDRAWN, CoderView, ProjectStore, SegmentRow

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

SHEET_COLUMNS = (
    "segment_id", "transcript", "speaker", "code", "label", "text", "decision", "new_code", "note", "coder",
    "decided_at", "noted_at", "matched", "rules", "start", "end", "time", "origin", "suggested", "score", "why",
)  # fmt: skip
SHEET_DECISIONS = ("accept", "reject", "recode")
# Column widths in characters, for the columns worth more than the default.
WIDTHS = {"segment_id": 18, "transcript": 14, "code": 22, "label": 24, "text": 80, "decision": 10, "new_code": 22, "note": 30,
          "decided_at": 20, "noted_at": 20, "matched": 20, "rules": 24, "why": 60}  # fmt: skip
SPARE_ROWS = 500  # rows below the segments where the drop-downs still work, for codes people add


@dataclass(frozen=True)
class SheetRow:
    segment: SegmentRow
    label: str
    view: CoderView | None


@dataclass(frozen=True)
class SheetExportResult:
    path: Path
    coder: str
    rows: int
    decided: int  # rows already carrying this coder's decision


def export_review_sheet(project_dir: Path, out: Path, coder: str, scope: ReviewScope) -> SheetExportResult:
    """Write the coder's review sheet as .xlsx or .csv (by ``out``'s suffix)."""
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError(f"{out}: the review sheet must be .xlsx or .csv")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder for the review sheet")
    with ProjectStore.open(project_dir) as store:
        codebook = open_codebook(store)
        codes = [(code.code_id, code.label, code.definition) for code in codebook.codes] if codebook else \
            [(code.code_id, code.label, "") for code in store.latest_codes()]  # fmt: skip
        for code_id in scope.code_ids:
            if code_id not in {known for known, _, _ in codes}:
                raise InputError(f"no code '{code_id}' in the project's codebook{did_you_mean(code_id, [c for c, _, _ in codes])}")
        if scope.transcript is not None and store.transcript(scope.transcript) is None:
            raise InputError(f"no transcript '{scope.transcript}' in the project")
        rows = _rows(store, coder, scope, {code_id: label for code_id, label, _ in codes}, with_sub_codes(scope.code_ids, codebook))
    if suffix == ".csv":
        _write_csv(out, coder, rows)
    else:
        _write_xlsx(out, coder, rows, codes)
    return SheetExportResult(out, coder, len(rows), sum(1 for row in rows if row.view and row.view.decision))


def _rows(store: ProjectStore, coder: str, scope: ReviewScope, labels: dict[str, str], wanted: set[str]) -> list[SheetRow]:
    """The coder's rows: every segment but codes taken back and other coders' own codes (hidden for a blind review)."""
    views = store.coder_views(coder)
    rows = []
    for segment in store.segments(None, transcript=scope.transcript):
        if segment.status == WITHDRAWN or (segment.origin == "human" and segment.segment_id not in views):
            continue
        view = views.get(segment.segment_id)
        status = view.status if view else "pending"
        if (wanted and segment.code_id not in wanted) or (scope.statuses and status not in scope.statuses):
            continue
        rows.append(SheetRow(segment, labels.get(segment.code_id, segment.code_id), view))
    return rows


def _values(row: SheetRow, coder: str) -> list[str | int]:
    segment, view = row.segment, row.view
    decision = (view.sheet_decision or "") if view else ""
    values: dict[str, str | int] = {
        "segment_id": segment.segment_id, "transcript": segment.transcript, "speaker": segment.speaker,
        "code": segment.code_id, "label": row.label, "text": segment.text, "decision": decision,
        "new_code": (view.new_code_id or "") if view else "", "note": (view.note or "") if view else "", "coder": coder,
        "decided_at": view.decided_at if view and view.decision else "",
        "noted_at": (view.noted_at or "") if view and view.note else "", "matched": "; ".join(segment.matched),
        "rules": "; ".join(segment.rules), "start": segment.start_char, "end": segment.end_char,
        "time": segment.timestamp or "", "origin": segment.origin, "suggested": "yes" if segment.suggested else "no",
        "score": "" if segment.score is None else f"{segment.score:.2f}", "why": segment.why if segment.origin == "model" else "",
    }  # fmt: skip
    return [values[column] for column in SHEET_COLUMNS]


def _write_csv(out: Path, coder: str, rows: Sequence[SheetRow]) -> None:
    with atomic_file(out, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_COLUMNS)
        for row in rows:
            writer.writerow(spreadsheet_safe(value) for value in _values(row, coder))


def _write_xlsx(out: Path, coder: str, rows: Sequence[SheetRow], codes: Sequence[tuple[str, str, str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    sheet = cast(Worksheet, workbook.active)  # a new workbook starts with one worksheet
    sheet.title = "review"
    sheet.append(SHEET_COLUMNS)
    for number, row in enumerate(rows, start=2):
        _append_text(sheet, number, _values(row, coder))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(SHEET_COLUMNS))}{len(rows) + 1}"
    last_row = len(rows) + 1 + SPARE_ROWS
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(SHEET_COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = WIDTHS.get(column, 12)
        if column in ("text", "note"):
            for (cell,) in sheet.iter_rows(min_row=2, max_row=len(rows) + 1, min_col=index, max_col=index):
                cell.alignment = wrap
    code_sheet = workbook.create_sheet("codes")
    code_sheet.append(("code", "label", "definition"))
    for number, code in enumerate(codes, start=2):
        _append_text(code_sheet, number, code)
    code_sheet.column_dimensions["A"].width, code_sheet.column_dimensions["B"].width = 26, 30
    code_sheet.column_dimensions["C"].width = 100
    decision_column, new_code_column, code_column = (
        get_column_letter(SHEET_COLUMNS.index(name) + 1) for name in ("decision", "new_code", "code")
    )
    decisions = DataValidation(type="list", formula1=f'"{",".join(SHEET_DECISIONS)}"', allow_blank=True,
                               showErrorMessage=True, errorTitle="decision", error="Choose accept, reject or recode.")  # fmt: skip
    new_codes = DataValidation(type="list", formula1=f"codes!$A$2:$A${len(codes) + 1}", allow_blank=True)
    sheet.add_data_validation(decisions)
    sheet.add_data_validation(new_codes)
    decisions.add(f"{decision_column}2:{decision_column}{last_row}")
    new_codes.add(f"{new_code_column}2:{new_code_column}{last_row}")
    new_codes.add(f"{code_column}{len(rows) + 2}:{code_column}{last_row}")  # the code of a row someone adds
    with atomic_path(out) as temporary:
        failure = _save_quietly(workbook, temporary)
        if failure:  # raised inside, so the half-written file does not take the sheet's place
            raise ProjectError(f"{out}: cannot write it ({failure}); free some disk space and run again")


def _save_quietly(workbook: Workbook, path: Path) -> str | None:
    """Save ``workbook``; on a failure (a full disk), say why, without the tracebacks openpyxl leaves behind.

    openpyxl writes each worksheet through a generator into a temporary file of
    its own; when saving fails, those generators are dropped half-way and, as
    they close, print "Exception ignored" tracebacks after the error message.
    They are closed here, with that printing switched off.
    """
    import gc

    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    try:
        try:
            workbook.save(path)
        except Exception as error:  # OSError for the file, lxml's SerialisationError (IO_ENOSPC) for openpyxl's own
            failure = str(getattr(error, "strerror", None) or error or type(error).__name__).splitlines()[0]
        else:
            return None
        gc.collect()  # the dropped generators close now, quietly, not as the program ends
        return failure
    finally:
        sys.unraisablehook = hook


def _append_text(sheet: Worksheet, row: int, values: Sequence[str | int]) -> None:
    """Write a row whose text cells are text: shown exactly as written, and never run, even "=…" or "- Det var …"."""
    for column, value in enumerate(values, start=1):
        if not isinstance(value, str):
            sheet.cell(row, column, value)
            continue
        cell = sheet.cell(row, column, spreadsheet_text(value))
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and Excel would make it one when the cell is edited

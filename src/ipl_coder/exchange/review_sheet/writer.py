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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.errors import InputError, IplCoderError, ProjectError
from ipl_coder.files import FORMULA_STARTS, atomic_file, atomic_path, spreadsheet_safe, spreadsheet_text
from ipl_coder.review.session import (
    ReviewScope,
    did_you_mean,
    open_codebook,
    with_sub_codes,
)
from ipl_coder.store import WITHDRAWN, CoderView, ProjectStore, SegmentRow

if TYPE_CHECKING:
    from openpyxl.cell import Cell
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

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
    """Write the coder's review sheet as .xlsx or .csv (by ``out``'s suffix), row by row as the store gives them."""
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
        rows = _Counted(_rows(store, coder, scope, {code_id: label for code_id, label, _ in codes},
                              with_sub_codes(scope.code_ids, codebook)))  # fmt: skip
        if suffix == ".csv":
            _write_csv(out, coder, rows)
        else:
            _write_xlsx(out, coder, rows, codes)
    return SheetExportResult(out, coder, rows.rows, rows.decided)


class _Counted:
    """The sheet's rows as they stream past, counted on the way: no list of every segment is kept."""

    def __init__(self, rows: Iterable[SheetRow]) -> None:
        self._rows = rows
        self.rows = 0
        self.decided = 0  # rows already carrying this coder's decision

    def __iter__(self) -> Iterator[SheetRow]:
        for row in self._rows:
            self.rows += 1
            self.decided += bool(row.view and row.view.decision)
            yield row


def _rows(store: ProjectStore, coder: str, scope: ReviewScope, labels: dict[str, str], wanted: set[str]) -> Iterator[SheetRow]:
    """The coder's rows: every segment but codes taken back and other coders' own codes (hidden for a blind review).

    One transcript at a time, the coder's decisions on it with it.
    """
    names = [scope.transcript] if scope.transcript is not None else list(store.transcript_languages())
    for name in names:
        views = store.coder_views(coder, transcript=name)
        for segment in store.segments(None, transcript=name):
            if segment.status == WITHDRAWN or (segment.origin == "human" and segment.segment_id not in views):
                continue
            view = views.get(segment.segment_id)
            status = view.status if view else "pending"
            if (wanted and segment.code_id not in wanted) or (scope.statuses and status not in scope.statuses):
                continue
            yield SheetRow(segment, labels.get(segment.code_id, segment.code_id), view)


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


def _write_csv(out: Path, coder: str, rows: Iterable[SheetRow]) -> None:
    with atomic_file(out, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_COLUMNS)
        for row in rows:
            writer.writerow(spreadsheet_safe(value) for value in _values(row, coder))


def _write_xlsx(out: Path, coder: str, rows: Iterable[SheetRow], codes: Sequence[tuple[str, str, str]]) -> None:
    with atomic_path(out) as temporary:
        failure = _write_quietly(temporary, coder, rows, codes)
        if failure:  # raised inside, so the half-written file does not take the sheet's place
            raise ProjectError(f"{out}: cannot write it ({failure}); free some disk space and run again")


def _write_quietly(path: Path, coder: str, rows: Iterable[SheetRow], codes: Sequence[tuple[str, str, str]]) -> str | None:
    """Write the workbook; on a failure (a full disk), say why, without the tracebacks openpyxl leaves behind.

    openpyxl writes each worksheet through a generator into a temporary file of
    its own; when writing fails, those generators are dropped half-way and, as
    they close, print "Exception ignored" tracebacks after the error message.
    They are closed here, with that printing switched off.
    """
    import gc

    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    try:
        try:
            _write_workbook(path, coder, rows, codes)  # the workbook lives only in that call, so it is dropped with it
        except IplCoderError:
            raise  # the store's, not the file's
        except Exception as error:  # OSError for the file, lxml's SerialisationError (IO_ENOSPC) for openpyxl's own
            failure = str(getattr(error, "strerror", None) or error or type(error).__name__).splitlines()[0]
        else:
            return None
        gc.collect()  # the dropped generators close now, quietly, not as the program ends
        return failure
    finally:
        sys.unraisablehook = hook


def _write_workbook(path: Path, coder: str, rows: Iterable[SheetRow], codes: Sequence[tuple[str, str, str]]) -> None:
    """The workbook in openpyxl's write-only mode: each row goes to disk as it is appended.

    So what precedes the rows in the file (column widths, the frozen header) is set before the first,
    and what needs their number (the filter, the drop-downs) after the last.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("review")
    code_sheet = workbook.create_sheet("codes")
    for index, column in enumerate(SHEET_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, 12)
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, column, font=Font(bold=True)) for column in SHEET_COLUMNS])
    wrap = Alignment(wrap_text=True, vertical="top")
    wrapped = {SHEET_COLUMNS.index("text"), SHEET_COLUMNS.index("note")}
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value, alignment=wrap if index in wrapped else None)
                      for index, value in enumerate(_values(row, coder))])  # fmt: skip
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(SHEET_COLUMNS))}{count + 1}"
    last_row = count + 1 + SPARE_ROWS
    code_sheet.column_dimensions["A"].width, code_sheet.column_dimensions["B"].width = 26, 30
    code_sheet.column_dimensions["C"].width = 100
    code_sheet.append([_cell(code_sheet, heading) for heading in ("code", "label", "definition")])
    for code in codes:
        code_sheet.append([_cell(code_sheet, value) for value in code])
    decision_column, new_code_column, code_column = (
        get_column_letter(SHEET_COLUMNS.index(name) + 1) for name in ("decision", "new_code", "code")
    )
    decisions = DataValidation(type="list", formula1=f'"{",".join(SHEET_DECISIONS)}"', allow_blank=True,
                               showErrorMessage=True, errorTitle="decision", error="Choose accept, reject or recode.")  # fmt: skip
    new_codes = DataValidation(type="list", formula1=f"codes!$A$2:$A${len(codes) + 1}", allow_blank=True)
    sheet.data_validations.append(decisions)  # what add_data_validation does, which a write-only sheet lacks
    sheet.data_validations.append(new_codes)
    decisions.add(f"{decision_column}2:{decision_column}{last_row}")
    new_codes.add(f"{new_code_column}2:{new_code_column}{last_row}")
    new_codes.add(f"{code_column}{count + 2}:{code_column}{last_row}")  # the code of a row someone adds
    workbook.save(path)


def _cell(sheet: WriteOnlyWorksheet, value: str | int, font: Font | None = None, alignment: Alignment | None = None) -> Cell:
    """A cell whose text is text: shown exactly as written, and never run, even "=…" or "- Det var …"."""
    from openpyxl.cell import WriteOnlyCell

    if not isinstance(value, str):
        cell = WriteOnlyCell(sheet, value)
    else:
        cell = WriteOnlyCell(sheet, spreadsheet_text(value))
        cell.data_type = "s"  # openpyxl would store "=…" as a formula
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True  # and Excel would make it one when the cell is edited
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    return cell

"""Reading the tables researchers keep in Excel: .xlsx, or CSV as Excel saves it (';', Windows-1252)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from ipl_coder.errors import InputError

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


def read_rows(path: Path, what: str) -> list[list[str]]:
    """Every row of the file's first sheet as text; ``what`` names the file in messages ("participants file")."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"{path}: {what} not found; check the path")
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".tsv", ".txt"):
        return _csv_rows(path)
    raise InputError(f"{path}: a {what} must be .csv or .xlsx")


def _csv_rows(path: Path) -> list[list[str]]:
    from ipl_coder.transcripts.encoding import UndecodableError, decode_transcript_bytes

    try:
        text = decode_transcript_bytes(path.read_bytes()).text  # Excel saves CSV as Windows-1252
    except UndecodableError as error:
        raise InputError(f"{path}: {error}") from None
    # Excel in Norway and much of Europe separates with ";".
    delimiter = max(",;\t", key=text.split("\n", 1)[0].count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    limit = csv.field_size_limit(len(text) + 1)  # a cell may hold a whole transcript; the file is read already
    try:
        return list(reader)
    except csv.Error as error:
        raise InputError(f"{path}: line {reader.line_num} is not CSV a spreadsheet can read ({error}); save it again as CSV") from None
    finally:
        csv.field_size_limit(limit)


def _xlsx_rows(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook

    from ipl_coder.transcripts.archives import ArchiveError, check_archive

    try:
        with zipfile.ZipFile(path) as archive:
            check_archive(archive)  # before openpyxl unpacks anything
        workbook = load_workbook(path, read_only=True, data_only=True)
    except ArchiveError as error:
        raise InputError(f"{path}: {error}") from None
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise InputError(f"{path}: cannot open this spreadsheet ({type(error).__name__}); save it again as .xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as error:  # a damaged sheet inside a workbook that opened
        raise InputError(f"{path}: cannot read the first sheet ({type(error).__name__}); save it again as .xlsx") from None
    finally:
        workbook.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 29 as 29.0
    return str(value).strip()

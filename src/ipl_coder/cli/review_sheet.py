"""``ipl-coder review export|import``: review in a spreadsheet instead of the terminal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, output_console, print_json
from ipl_coder.cli.review import (
    CodeFilterOption,
    CoderOption,
    CoderStatus,
    TranscriptFilterOption,
    review_app,
)
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.exchange.review_sheet.reader import SheetImportResult

SHOWN_CHANGES = 40  # rows of changes listed before a summary takes over


@review_app.command("export", no_args_is_help=True)
def export_command(
    project: Annotated[Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder.", show_default=False)],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE.xlsx|FILE.csv", help="The sheet to write: .xlsx, or .csv.", show_default=False)
    ],
    coder: CoderOption = None,
    code: CodeFilterOption = None,
    transcript: TranscriptFilterOption = None,
    status: Annotated[
        Optional[list[CoderStatus]],
        typer.Option(metavar="STATUS", help="Only segments with this status of the coder's; repeat for several. "
                     "\\[default: every segment, decided or not]", show_default=False),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Write a review sheet: one row per segment, to decide in Excel.

    Fill in three columns and leave the rest as they are:

    • [bold]decision[/]  accept, reject or recode (a drop-down in the .xlsx)

    • [bold]new_code[/]  for recode: the code the passage should have

    • [bold]note[/]      anything you want kept with your decision

    To add a code the machine missed, add a row with [bold]transcript[/], [bold]code[/],
    and either [bold]start[/] and [bold]end[/] or the exact words in [bold]text[/]; leave segment_id empty.

    The sheet carries only this coder's decisions and added codes (so two
    people can review blind), and shows them again when exported later.
    Read it back with 'ipl-coder review import'. Columns: see docs/review.md.

    [bold]Examples[/]

      ipl-coder review export --project my-project --out review-ana.xlsx --coder ana

      ipl-coder review export -p my-project -o broker.csv --code broker --status pending
    """
    from ipl_coder.exchange.review_sheet.writer import export_review_sheet
    from ipl_coder.review.session import ReviewScope, coder_name

    statuses = tuple(item.value for item in status) if status else ()
    result = export_review_sheet(project, out, coder_name(coder), ReviewScope(tuple(code or ()), transcript, statuses))
    output_console().print(
        f"Wrote {count(result.rows, 'segment')} to {escape(str(result.path))} for {escape(result.coder)} "
        f"({result.decided:,} already decided by them)."
    )


@review_app.command("import", no_args_is_help=True)
def import_command(
    sheet: Annotated[Path, typer.Argument(metavar="FILE", help="A review sheet (.xlsx or .csv) filled in.", show_default=False)],
    project: Annotated[Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder.", show_default=False)],
    coder: Annotated[
        Optional[str],
        typer.Option(metavar="NAME", help="Who decided, for rows whose coder column is empty. "
                     "\\[default: $IPL_CODER_CODER, else your user name]", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Apply the decisions in a review sheet, all or nothing.

    Every row is checked first. If any row is bad (an unknown segment id, code
    or decision, or recode without new_code) nothing is applied, and each bad
    row is named with what is wrong. Otherwise every decision is stored with its
    coder, the time, and the sheet and row it came from, and what changed is listed.

    A row with an empty coder cell (a code you added) is filed under --coder if
    given, else under the coder the sheet was exported for.

    Rows already as the project has them are left alone, so importing a sheet
    twice is harmless. An empty decision never takes one back; use undo in
    'ipl-coder review' for that. The project's exports are rewritten afterwards.

    [bold]Example[/]

      ipl-coder review import review-ana.xlsx --project my-project
    """
    from ipl_coder.exchange.review_sheet.reader import import_review_sheet

    result = import_review_sheet(project, sheet, coder)
    if as_json:
        print_json(_as_json(result))
        return
    console = output_console()
    if not result.changes:
        every = "the 1 row is" if result.unchanged == 1 else f"all {result.unchanged:,} rows are"
        console.print(f"Nothing to change: {every} as the project has them.")
        return
    if len(result.changes) <= SHOWN_CHANGES:
        table = Table("row", "transcript", "code", "change", "coder", title=f"Changes from {sheet.name}", title_justify="left")
        for change in result.changes:
            table.add_row(str(change.row), escape(change.transcript), escape(change.code_id), escape(change.change), escape(change.coder))
        console.print(table)
    counts: dict[str, int] = {}
    for change in result.changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    summary = ", ".join(f"{number:,} {kind}" for kind, number in counts.items())
    console.print(f"Applied {count(len(result.changes), 'change')} ({summary}); {count(result.unchanged, 'row')} unchanged.")
    if result.exports:
        console.print("Rewrote " + ", ".join(path.name for path in result.exports))


def _as_json(result: SheetImportResult) -> dict[str, Any]:
    return {
        "sheet": str(result.path), "applied": len(result.changes), "unchanged": result.unchanged,
        "changes": [{"row": change.row, "transcript": change.transcript, "code": change.code_id, "change": change.change,
                     "coder": change.coder} for change in result.changes],
        "exports": [str(path) for path in result.exports],
    }  # fmt: skip

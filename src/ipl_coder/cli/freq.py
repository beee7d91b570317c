"""``ipl-coder freq``: code frequencies by participant group."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_json
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.report.groups import GroupFrequencyResult


class Status(str, Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    recoded = "recoded"


def freq_command(
    project: Annotated[
        Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder 'ipl-coder code' wrote.", show_default=False)
    ],
    by: Annotated[
        Optional[list[str]],
        typer.Option(
            "--by",
            metavar="ATTRIBUTE",
            help="A participant attribute to group by, such as country or role (a column of the participants "
            "file or a front-matter key). Repeat to cross them: --by country --by role.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(
            metavar="FILE.csv",
            help="Write the table to this CSV file (tidy: one row per code and group, with its parent and level) "
            "instead of printing it. A parent's segments include its sub-codes': to total, sum the rows of level 0.",
            show_default=False,
        ),
    ] = None,
    plot: Annotated[
        Optional[Path],
        typer.Option(
            metavar="FILE.svg|FILE.png",
            help="Also draw the counts as a bar chart for a paper and write it here: .svg (sharp at any size, for the web "
            "or an editor) or .png (for a word processor). One cluster of bars per code in codebook order and colours, "
            "one bar per group, each group hatched; segments per 1,000 words with --by, else segments.",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        Optional[list[Status]],
        typer.Option(metavar="STATUS", help="Count segments with this status; repeat for several. \\[default: pending and accepted]",
                     show_default=False),
    ] = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Count codes by participant group: the table a comparative study reports.

    For every code (parents include their sub-codes) and every group of
    participants sharing the attribute values named with --by, it gives:

    • [bold]segments[/]  segments of the code in the group

    • [bold]participants[/]  people in the group

    • [bold]participants_with_code[/] and [bold]share[/]  how many of them have at least one segment of it

    • [bold]per_1000_words[/]  segments per 1,000 words the group's participants spoke

    The interviewer is nobody's group: their turns count neither words nor
    segments. In a focus group mapped speaker by speaker (a 'speaker' column
    in the participants file), each speaker is a participant.

    [bold]Examples[/]

      ipl-coder freq --project my-project --by country

      ipl-coder freq --project my-project --by country --by role --out freq-by-country-role.csv

      ipl-coder freq --project my-project --by country --plot freq-by-country.svg
    """
    from ipl_coder.report.charts import chart_format, plot_group_frequencies
    from ipl_coder.report.groups import code_colors, group_frequencies
    from ipl_coder.store import COUNTED_STATUSES

    if plot is not None:
        chart_format(plot)  # a wrong suffix is told at once, not after the counting
    statuses = tuple(item.value for item in status) if status else COUNTED_STATUSES
    result = group_frequencies(project, tuple(by or ()), statuses, out)
    if as_json:
        if plot is not None:
            plot_group_frequencies(result, code_colors(project), plot)
        print_json(_as_json(result, plot))
        return
    for note in result.notes:
        error_console.print(f"[yellow]Note[/] {escape(note)}", soft_wrap=True)
    if result.out is not None:
        output_console().print(f"Wrote {count(len(result.rows), 'row')} to {escape(str(result.out))}")
    else:
        _print_table(result)
    if plot is not None:
        plot_group_frequencies(result, code_colors(project), plot)
        output_console().print(f"Wrote {escape(str(plot))}")


def _print_table(result: GroupFrequencyResult) -> None:
    table = Table(title=f"Codes by {' × '.join(result.by) or 'all participants'} ({' and '.join(result.statuses)} segments)",
                  title_justify="left")  # fmt: skip
    table.add_column("code", overflow="fold")  # folded, never cut: sub-codes differ at the end
    for name in result.by:
        table.add_column(name, overflow="fold")
    for heading in ("segments", "with code", "share", "per 1,000 words"):
        table.add_column(heading, justify="right")
    for index, row in enumerate(result.rows):
        first_of_code = index == 0 or result.rows[index - 1].code_id != row.code_id
        last_of_code = index + 1 == len(result.rows) or result.rows[index + 1].code_id != row.code_id
        code = "  " * row.depth + row.code_id if first_of_code else ""
        cells = [escape(value) if value else "—" for value in row.group]
        table.add_row(escape(code), *cells, str(row.segments), f"{row.participants_with_code}/{row.participants}",
                      f"{row.share:.0%}", f"{row.per_1000_words:.2f}", end_section=bool(result.by) and last_of_code)  # fmt: skip
    output_console().print(table)


def _as_json(result: GroupFrequencyResult, plot: Path | None) -> dict[str, Any]:
    return {
        "project": str(result.project_dir), "by": list(result.by), "statuses": list(result.statuses),
        "out": str(result.out) if result.out is not None else None, "plot": str(plot) if plot is not None else None,
        "notes": list(result.notes),
        "rows": [
            {"code": row.code_id, "label": row.label, "depth": row.depth, "group": dict(zip(result.by, row.group, strict=True)),
             "segments": row.segments, "participants": row.participants, "participants_with_code": row.participants_with_code,
             "share": round(row.share, 3), "words": row.words, "per_1000_words": round(row.per_1000_words, 2)}
            for row in result.rows
        ],
    }  # fmt: skip

"""``ipl-coder export qdpx``: a whole coded project for NVivo, ATLAS.ti, MAXQDA and QualCoder (REFI-QDA)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ipl_coder.cli.common import JsonOption, VerboseOption, output_console, print_json
from ipl_coder.wording import count

export_app = typer.Typer(rich_markup_mode="rich", help="Write the project in a format other tools read.", no_args_is_help=True)


class ExportStatus(str, Enum):
    all = "all"
    accepted = "accepted"


@export_app.command("qdpx", no_args_is_help=True)
def export_qdpx_command(
    project: Annotated[Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder 'ipl-coder code' wrote.",
                                          show_default=False)],  # fmt: skip
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE.qdpx", help="The REFI-QDA project file to write.", show_default=False)],
    status: Annotated[
        ExportStatus,
        typer.Option(help="all: every suggestion (as the user 'ipl-coder rules') and every coder's codes; "
                     "accepted: only what a coder accepted or added."),
    ] = ExportStatus.all,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write the whole project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    The file holds:

    • the [bold]codebook[/]: the code tree, colours, definitions and criteria (as
      'codebook export' writes them); a code's GUID comes from its id, so codes
      keep their ids when the project comes back

    • every [bold]transcript[/], with exactly the text ipl-coder coded (speaker
      labels included), so every position is the same as in segments.csv

    • every [bold]segment[/] as a coded selection. The machine is a user of its
      own, "ipl-coder rules", so its suggestions can be filtered in the other
      tool; each coder is a user, with a coding for what they accepted or added.
      A selection's description names the rules and words behind it and each
      coder's decision (rejections and recodes included)

    • reviewer [bold]notes[/], and [bold]participants[/] as cases with their attributes

    Exporting the same project twice gives the same file. See docs/exchange.md
    for what each tool does with it.

    [bold]Examples[/]

      ipl-coder export qdpx --project my-project --out study.qdpx

      ipl-coder export qdpx -p my-project -o accepted.qdpx --status accepted
    """
    from ipl_coder.exchange.refi_qda.qdpx_writer import export_qdpx

    result = export_qdpx(project, out, status.value)
    if as_json:
        print_json({"out": str(result.out), "transcripts": result.transcripts, "selections": result.selections,
                    "codings": result.codings, "users": list(result.users), "notes": result.notes, "cases": result.cases})  # fmt: skip
        return
    output_console().print(
        f"Wrote {escape(str(result.out))}: {count(result.transcripts, 'transcript')}, {count(result.selections, 'coded selection')} "
        f"({count(result.codings, 'coding')}), {count(len(result.users), 'user')} ({escape(', '.join(result.users))}), "
        f"{count(result.notes, 'note')}, {count(result.cases, 'case')}.", soft_wrap=True,
    )  # fmt: skip

"""``ipl-coder export qdpx`` and ``import qdpx``: whole coded projects to and from NVivo, ATLAS.ti, MAXQDA and QualCoder."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_json
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

import_app = typer.Typer(rich_markup_mode="rich", help="Bring work from other tools into a project.", no_args_is_help=True)


@import_app.command("qdpx", no_args_is_help=True)
def import_qdpx_command(
    file: Annotated[Path, typer.Argument(metavar="FILE.qdpx", help="A REFI-QDA project (.qdpx), or a .qde with its sources folder.",
                                         show_default=False)],  # fmt: skip
    project: Annotated[Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project to bring it into (created if new).",
                                          show_default=False)],  # fmt: skip
    coder: Annotated[Optional[str], typer.Option(metavar="NAME", help="Whose coding it is. \\[default: each coding's own user]",
                                                 show_default=False)] = None,  # fmt: skip
    codebook_out: Annotated[Optional[Path], typer.Option(metavar="FILE.yaml", help="Also write the file's code tree as a codebook.",
                                                         show_default=False)] = None,  # fmt: skip
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Bring a REFI-QDA project from NVivo, ATLAS.ti, MAXQDA or QualCoder into a project.

    • each text source becomes a [bold]transcript[/], read with the same speaker-label
      rules as a .txt file; its text is written to FOLDER/imported/FILE/ so that
      'ipl-coder code' can code exactly that text

    • each coding becomes a code its user (or --coder) [bold]added[/], so that
      'agreement --against' can score the codebook's rules against it; codes are
      matched to the project's codebook by GUID, id and name, and a new project
      takes the file's code tree as its codebook

    • a file 'ipl-coder export qdpx' wrote comes back whole: suggestions with their
      rules and words, and every coder's decisions

    • cases become the participants register (if the project has none)

    Positions are moved onto ipl-coder's text (LF, NFC, no BOM; NVivo for
    Windows' UTF-16 counting is recognised); a selection that cannot be placed is
    named and left out. Nothing in the project is overwritten, and importing the
    same file twice adds nothing. A file with paths outside the archive, links,
    members that unpack too far, or an XML DOCTYPE is refused before anything is
    written. See docs/exchange.md.

    [bold]Examples[/]

      ipl-coder import qdpx nvivo-study.qdpx --project my-project --codebook-out nvivo-codes.yaml

      ipl-coder import qdpx study.qdpx -p copy-of-study
    """
    from ipl_coder.exchange.refi_qda.qdpx_import import import_qdpx

    result = import_qdpx(file, project, coder, codebook_out)
    if as_json:
        print_json({"source": str(result.source), "project": str(result.project_dir), "folder": str(result.folder),
                    "transcripts_added": result.transcripts_added, "transcripts_present": result.transcripts_present,
                    "codings_added": result.codings_added, "codings_present": result.codings_present,
                    "suggestions": result.suggestions, "users": sorted(result.users), "unknown_codes": result.unknown_codes,
                    "codebook_out": str(result.codebook_out) if result.codebook_out else None, "notes": result.notes})  # fmt: skip
        return
    for note in result.notes:
        error_console.print(f"[yellow]Note[/] {escape(str(file))}: {escape(note)}", soft_wrap=True)
    if result.unknown_codes:
        shown = ", ".join(result.unknown_codes[:10]) + (" …" if len(result.unknown_codes) > 10 else "")
        error_console.print(f"[yellow]Note[/] {escape(str(file))}: {count(len(result.unknown_codes), 'code')} not in the project's "
                            f"codebook, and their codings left out: {escape(shown)}" + ("" if codebook_out else
                            "; --codebook-out FILE.yaml writes them as a codebook"), soft_wrap=True)  # fmt: skip
    console = output_console()
    console.print(
        f"Imported {escape(str(file))} into {escape(str(project))}: {count(len(result.transcripts_added), 'transcript')} added "
        f"({len(result.transcripts_present)} already there), {count(result.codings_added, 'coded passage')} added "
        f"({result.codings_present} already there), {count(result.suggestions, 'suggestion')}; "
        f"coders: {escape(', '.join(sorted(result.users)) or 'none')}.", soft_wrap=True,
    )  # fmt: skip
    if result.codebook_out:
        console.print(f"Wrote {escape(str(result.codebook_out))}")

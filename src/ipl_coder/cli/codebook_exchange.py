"""``ipl-coder codebook diff|export|import``: try an edit on real data, and exchange codebooks with QDA tools."""

from __future__ import annotations

import textwrap
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.codebook import CodebookArgument, codebook_app, console
from ipl_coder.cli.common import VerboseOption, error_console
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.codebook.diff import CodebookDiff

SHOWN_PER_CODE = 5  # segments printed per code and change; --out has them all
# Why these numbers are not the ones 'code' and 'freq' print: each segment is shown under its own code only once.
DIFF_COUNTS = ("Before and after count the machine's suggestions of each code on its own (not its sub-codes), whatever "
               "people decided; 'code' and 'freq' count a parent with its sub-codes, and only the statuses they count.")  # fmt: skip
TEXT_WIDTH = 110


class ExportFormat(str, Enum):
    qdc = "qdc"


@codebook_app.command("diff", no_args_is_help=True)
def diff_command(
    old: Annotated[Path, typer.Argument(metavar="OLD.yaml", help="The codebook as it is.", show_default=False)],
    new: Annotated[Path, typer.Argument(metavar="NEW.yaml", help="The codebook as you would change it.", show_default=False)],
    project: Annotated[Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project whose transcripts to try both on.",
                                          show_default=False)],  # fmt: skip
    out: Annotated[Optional[Path], typer.Option(metavar="FILE.csv", help="Write every added and dropped segment to this CSV file.",
                                                show_default=False)] = None,  # fmt: skip
    show_all: Annotated[bool, typer.Option("--all", metavar="", help=f"Print every changed segment, not the first {SHOWN_PER_CODE} per code.")] = False,
    jobs: Annotated[int, typer.Option(min=0, metavar="N", help="Worker processes; 0 uses one per core.")] = 0,
    verbose: VerboseOption = False,
) -> None:
    """See what a codebook edit would change before you make it: a dry run on a project.

    Both codebooks code every transcript of the project (as stored: the files
    are not read again), with the unit and model of the project's latest run.
    For each code it prints how many segments there were and would be, and the
    text of the segments added and dropped. Nothing in the project changes.

    The counts are the machine's suggestions of each code on its own, whatever
    people decided. So they differ from what 'code' and 'freq' count: a parent
    with its sub-codes, and only the statuses counted (pending and accepted,
    unless --status says otherwise).

    [bold]Example[/]

      cp codebooks/ipl.yaml draft.yaml
      ipl-coder codebook add-term draft.yaml broker "link person"
      ipl-coder codebook diff codebooks/ipl.yaml draft.yaml --project my-project --out changes.csv
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ipl_coder.codebook.diff import diff_codebooks

    columns = (TextColumn("Coding with both"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=error_console, transient=True, disable=not error_console.is_terminal) as bar:
        task = bar.add_task("", total=None)
        result = diff_codebooks(old, new, project, out, jobs,
                                lambda done, total, name: bar.update(task, completed=done, total=total, description=name))  # fmt: skip
    _print_diff(result, show_all)


def _print_diff(result: CodebookDiff, show_all: bool) -> None:
    out = console()
    for line in result.skipped:
        error_console.print(f"[yellow]Skipped[/] {escape(line)}", soft_wrap=True)
    table = Table(title=f"{result.old_path.name} → {result.new_path.name} on {count(result.transcripts, 'transcript')} ({result.unit} units)",
                  title_justify="left")  # fmt: skip
    for heading in ("code", "before", "after", "added", "dropped"):
        table.add_column(heading, justify="left" if heading == "code" else "right")
    for code in result.codes:
        style = "" if code.added or code.dropped else "dim"
        table.add_row(escape(code.code_id), str(code.before), str(code.after), f"+{len(code.added)}", f"-{len(code.dropped)}", style=style)
    out.print(table)
    out.print(DIFF_COUNTS, style="dim", soft_wrap=True)
    for code in result.codes:
        for sign, segments in (("+", code.added), ("-", code.dropped)):
            shown = segments if show_all else segments[:SHOWN_PER_CODE]
            for segment in shown:
                colour = "green" if sign == "+" else "red"
                text = textwrap.shorten(segment.text, TEXT_WIDTH, placeholder=" …")
                out.print(f"[{colour}]{sign} {escape(code.code_id)}[/] {escape(segment.transcript)} "
                          f"{segment.start_char}-{segment.end_char}: {escape(text)}", soft_wrap=True)  # fmt: skip
            if len(segments) > len(shown):
                out.print(f"  … and {len(segments) - len(shown)} more ({'--out' if result.out is None else result.out} lists them all)")
    out.print(f"{count(result.added, 'segment')} added, {result.dropped:,} dropped. The project was not changed.")
    if result.out is not None:
        out.print(f"Wrote the changes to {escape(str(result.out))}.")


@codebook_app.command("export", no_args_is_help=True)
def export_command(
    codebook: CodebookArgument,
    out: Annotated[Path, typer.Option(metavar="FILE.qdc", help="The file to write.", show_default=False)],
    format: Annotated[ExportFormat, typer.Option("--format", help="The exchange format: qdc is the REFI-QDA codebook.")] = ExportFormat.qdc,
    verbose: VerboseOption = False,
) -> None:
    """Write the codebook as a REFI-QDA codebook (.qdc) for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    The code tree becomes nested codes, with labels as names and #RRGGBB
    colours. The definition, then 'Include: …', 'Exclude: …' and 'Memo: …'
    paragraphs go into each code's description. A code with sub-codes and no
    rules of its own is marked not codable (a folder). Rules and examples have
    no place in REFI-QDA and stay in the YAML. Exporting twice gives the same
    file: each code's GUID is derived from its id.

    [bold]Example[/]

      ipl-coder codebook export codebooks/ipl.yaml --format qdc --out ipl.qdc
    """
    from ipl_coder.exchange.refi_qda.qdc_writer import export_qdc

    result = export_qdc(codebook, out)
    console().print(f"Wrote {count(result.codes, 'code')} to {escape(str(result.out))} (REFI-QDA codebook 1.0).")


@codebook_app.command("import", no_args_is_help=True)
def import_command(
    source: Annotated[Path, typer.Argument(metavar="FILE.qdc|FILE.qdpx", help="A REFI-QDA codebook, or a project whose codebook to take.",
                                           show_default=False)],  # fmt: skip
    out: Annotated[Path, typer.Option(metavar="FILE.yaml", help="The codebook file to write.", show_default=False)],
    language: Annotated[str, typer.Option(metavar="LANG", help="The language the codes' terms will be in.")] = "en",
    force: Annotated[bool, typer.Option("--force", metavar="", help="Replace FILE.yaml if it exists.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Turn a REFI-QDA codebook (.qdc), or the codebook of a .qdpx project, into a YAML codebook.

    Names become labels and, made lower-case and joined with '-', ids (unique:
    a repeated name gets '-2'). Colours and the code tree come across, and
    descriptions become definitions (with 'Include:'/'Exclude:' paragraphs as
    criteria). REFI-QDA has no rules, so add terms afterwards with
    'codebook add-term'. An existing FILE.yaml is never replaced without --force.

    [bold]Examples[/]

      ipl-coder codebook import team.qdc --out team.yaml

      ipl-coder codebook import nvivo-project.qdpx --out from-nvivo.yaml
    """
    from ipl_coder.exchange.refi_qda.qdc_reader import import_qdc

    result = import_qdc(source, out, language=language, force=force)
    console().print(f"Wrote {count(result.codes, 'code')} ({result.top_level:,} at the top level) to {escape(str(result.out))}.")
    console().print("REFI-QDA carries no rules: add terms with 'ipl-coder codebook add-term'.")

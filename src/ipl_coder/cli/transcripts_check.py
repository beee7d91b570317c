"""``ipl-coder transcripts check``: how every file in a folder will be read, before coding it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_findings, print_json
from ipl_coder.cli.transcripts import InterviewerOption, ParticipantsOption, transcripts_app
from ipl_coder.transcripts import INTERVIEWER
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.transcripts.describe import FileCheck, FolderCheck


@transcripts_app.command("check", no_args_is_help=True)
def check_command(
    paths: Annotated[list[Path], typer.Argument(metavar="PATHS...", help="Transcript files or folders, as for 'ipl-coder code'.",
                                                show_default=False)],
    participants: ParticipantsOption = None,
    interviewer: InterviewerOption = None,
    strict: Annotated[bool, typer.Option("--strict", metavar="", help="Exit with status 1 if any file has a warning or cannot be read.")] = False,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", metavar="", help="Read links in a folder that point outside it, as 'code --follow-links' does.")
    ] = False,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Check how every transcript in a folder will be read, before coding it.

    One row per file: format, encoding, language (set, or detected from the
    words, and from where), each speaker with their role and words, and the
    interviewer's share of the words. Below the table, every warning (something
    may be read wrongly: look at the file with 'transcripts show') and every
    note (how an ambiguity was settled). It reads each file exactly as
    'ipl-coder code' does, and changes nothing.

    [bold]Examples[/]

      ipl-coder transcripts check interviews/ --participants participants.csv

      ipl-coder transcripts check interviews/ --strict    # exit 1 on any warning, for scripts
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from ipl_coder.transcripts.describe import check_transcripts

    columns = (TextColumn("Reading"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"))
    with Progress(*columns, console=error_console, transient=True, disable=not error_console.is_terminal) as progress:
        task = progress.add_task("", total=None)
        result = check_transcripts(
            paths, tuple(interviewer or ()), participants,
            lambda done, total, name: progress.update(task, completed=done, total=total, description=name), follow_links,
        )  # fmt: skip
    if as_json:
        print_json(_as_json(result))
    else:
        _print_check(result)
    if strict and result.warned:
        raise typer.Exit(1)


def _print_check(result: FolderCheck) -> None:
    console = output_console()
    table = Table(title="How each transcript will be read", title_justify="left")
    for heading, justify in (("file", "left"), ("read as", "left"), ("language", "left"), ("speakers: words", "left"),
                             ("interviewer", "right"), ("check", "left")):  # fmt: skip
        table.add_column(heading, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for file in result.files:
        share = file.interviewer_share
        speakers = "\n".join(f"{escape(s.label or '(unlabelled)')}{' [dim](int.)[/]' if s.role == INTERVIEWER else ''}: {s.words:,}"
                             for s in file.speakers)  # fmt: skip
        table.add_row(
            escape(file.name), f"{file.format}\n[dim]{escape(file.encoding)}[/]" if file.format else "",
            escape(_language(file)), speakers, f"{share:.0%}" if share is not None else "", _verdict(file),
        )  # fmt: skip
    console.print(table)
    for file in result.files:
        if file.unreadable:
            console.print(f"[red]Unreadable[/] {escape(f'{file.path}: {file.unreadable}')}", soft_wrap=True)
        print_findings(console, file.path, file.warnings, file.notes)
    for note in result.notes:
        console.print(f"[cyan]Note[/] {escape(note)}", soft_wrap=True)
    warned = sum(1 for file in result.files if file.warned)
    console.print(f"{count(len(result.files), 'file')} checked: {warned} with a warning or unreadable, "
                  f"{len(result.files) - warned} read without a warning.")  # fmt: skip


def _language(file: FileCheck) -> str:
    return f"{file.language or '—'}\n{file.language_short_source}" if file.language_source else ""


def _verdict(file: FileCheck) -> str:
    if file.unreadable:
        return "[red]unreadable[/]"
    parts = [f"[yellow]{count(len(file.warnings), 'warning')}[/]"] if file.warnings else []
    parts += [count(len(file.notes), "note")] if file.notes else []
    return ", ".join(parts) or "ok"


def _as_json(result: FolderCheck) -> dict[str, Any]:
    return {
        "participants": str(result.participants_file) if result.participants_file else None,
        "warned": result.warned,
        "notes": list(result.notes),
        "files": [
            {"path": str(file.path), "name": file.name, "format": file.format, "encoding": file.encoding,
             "language": file.language, "language_source": file.language_source, "words": file.words,
             "interviewer_share": round(share, 3) if (share := file.interviewer_share) is not None else None,
             "speakers": [{"label": s.label, "role": s.role, "turns": s.turns, "words": s.words} for s in file.speakers],
             "warnings": list(file.warnings), "notes": list(file.notes), "unreadable": file.unreadable}
            for file in result.files
        ],
    }  # fmt: skip

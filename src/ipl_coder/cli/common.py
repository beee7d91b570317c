"""What every command shares: the one error boundary, the consoles and ``--verbose``.

An :class:`IplCoderError` (or a file system error) raised anywhere below a
command becomes a short message on stderr and exit status 1; ``--verbose``
adds the traceback. Usage errors are Click's, with exit status 2. Output into
a pipe that closes early (``ipl-coder ... | head -1``) just stops, with status 0.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ipl_coder.errors import IplCoderError

UNWRAPPED_WIDTH = 100_000  # columns on a pipe or in a file: a line is as long as it needs to be


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """Rich exits with status 1 on a closed pipe; the error boundary ends the command quietly instead."""
        raise BrokenPipeError


def output_console() -> Console:
    """The console a command prints its results on (stdout).

    In a terminal it wraps at the terminal's width. On a pipe or in a file, tables
    and lines are not folded at 80 columns (which split code ids mid-word): every
    row stays one line, for grep, head and the eye. $COLUMNS still sets a width.
    """
    console = _Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = UNWRAPPED_WIDTH
    return console


error_console = _Console(stderr=True, highlight=False, soft_wrap=True)


class _Settings:
    verbose = False


settings = _Settings()


class ErrorBoundaryGroup(TyperGroup):
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        settings.verbose = False  # each invocation starts quiet; --verbose turns it on while parsing
        return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            _stop_writing()  # whoever read the output has all they wanted: not an error
            raise typer.Exit(0) from None
        except IplCoderError as error:
            _report(f"{error}")
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            _report(f"{where}{error.strerror or error}")
        except Exception as error:  # noqa: BLE001 - the last line of defence for the user
            if type(error).__module__.split(".")[0] in {"typer", "click"}:
                raise  # exits and usage errors; Typer >= 0.20 ships its own copy of Click
            _report(f"unexpected error ({type(error).__name__}: {error}). Run again with --verbose and report it.")
        raise typer.Exit(1)


def _stop_writing() -> None:
    """Send what is still buffered for stdout and stderr to nowhere, so exiting does not fail on the closed pipe."""
    for stream in (sys.stdout, sys.stderr):
        try:
            descriptor = stream.fileno()
        except (AttributeError, OSError, ValueError):
            continue  # not a file (CliRunner's streams in tests)
        nowhere = os.open(os.devnull, os.O_WRONLY)
        os.dup2(nowhere, descriptor)
        os.close(nowhere)


def _report(message: str) -> None:
    if settings.verbose:
        error_console.print(traceback.format_exc(), markup=False)
    *details, last = message.splitlines() or [""]
    for line in details:
        error_console.print(line, markup=False)
    error_console.print("[bold red]Error:[/] " + last.replace("[", "\\["))


def set_verbose(value: bool) -> None:
    if value:
        settings.verbose = True


VerboseOption = Annotated[
    bool,
    typer.Option("--verbose", "-v", metavar="", help="On an error, show the full traceback too.", callback=set_verbose, is_eager=True),
]

JsonOption = Annotated[bool, typer.Option("--json", metavar="", help="Print the result as JSON, for scripts.")]


def print_json(data: Any) -> None:
    """Print a result built from a plain function's result object, as --json promises."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def print_findings(console: Console, where: object, warnings: Sequence[str], notes: Sequence[str]) -> None:
    """A file's warnings, then its notes, one line each naming ``where`` (the file or transcript)."""
    from rich.markup import escape

    for warning in warnings:
        console.print(f"[yellow]Warning[/] {escape(f'{where}: {warning}')}", soft_wrap=True)
    for note in notes:
        console.print(f"[cyan]Note[/] {escape(f'{where}: {note}')}", soft_wrap=True)

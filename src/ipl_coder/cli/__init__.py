"""The ``ipl-coder`` command line: thin Typer wrappers around plain functions.

This module holds the one error boundary: an :class:`IplCoderError` (or a file
system error) raised anywhere below a command becomes a short message on
stderr and exit status 1; ``--verbose`` adds the traceback. Usage errors are
Click's, with exit status 2.
"""

from __future__ import annotations

import traceback
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from ipl_coder import __version__
from ipl_coder.errors import IplCoderError

error_console = Console(stderr=True, highlight=False, soft_wrap=True)


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

app = typer.Typer(
    cls=ErrorBoundaryGroup,
    name="ipl-coder",
    help=(
        "Pre-code interview transcripts against a YAML codebook.\n\n"
        "ipl-coder does the first, tedious pass of deductive coding: it finds the passages your "
        "codebook's rules point at, stores them as suggestions for you to review, and counts them. "
        "Every suggestion says which rule and which words made it."
    ),
    epilog="Start with: ipl-coder code sample_transcripts --codebook codebooks/ipl.yaml --project my-project",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ipl-coder {__version__}")
        raise typer.Exit()


@app.callback()
def _global_options(
    verbose: VerboseOption = False,
    version: Annotated[
        bool, typer.Option("--version", metavar="", help="Show the version and exit.", callback=_version, is_eager=True)
    ] = False,
) -> None:
    """Options that apply to every command."""


def _register() -> None:
    from ipl_coder.cli.agreement import agreement_command
    from ipl_coder.cli.code import code_command
    from ipl_coder.cli import codebook_edit, codebook_exchange, review_sheet  # noqa: F401 - they add commands to their groups
    from ipl_coder.cli.codebook import codebook_app
    from ipl_coder.cli.freq import freq_command
    from ipl_coder.cli.review import review_app
    from ipl_coder.cli.transcripts import transcripts_app

    app.command("code", no_args_is_help=True)(code_command)
    app.command("freq", no_args_is_help=True)(freq_command)
    app.add_typer(transcripts_app, name="transcripts")
    app.add_typer(codebook_app, name="codebook")
    app.add_typer(review_app, name="review")
    app.command("agreement", no_args_is_help=True)(agreement_command)


_register()


def main() -> None:
    app()

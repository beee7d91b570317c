"""The ``ipl-coder`` command line: thin Typer wrappers around plain functions.

The app is assembled here; :mod:`ipl_coder.cli.common` holds the one error
boundary every command runs inside, and each command group has its own module.
"""

from __future__ import annotations

import gc
from typing import Annotated

import typer

from ipl_coder import __version__
from ipl_coder.cli.common import ErrorBoundaryGroup, VerboseOption

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
    from ipl_coder.cli import codebook_edit, codebook_exchange, review_sheet, transcripts_check  # noqa: F401 - they add commands to their groups
    from ipl_coder.cli.agreement import agreement_command
    from ipl_coder.cli.code import code_command
    from ipl_coder.cli.codebook import codebook_app
    from ipl_coder.cli.cooccur import cooccur_command
    from ipl_coder.cli.exchange import export_app, import_app
    from ipl_coder.cli.freq import freq_command
    from ipl_coder.cli.learn import learn_command
    from ipl_coder.cli.report import report_command
    from ipl_coder.cli.review import review_app
    from ipl_coder.cli.transcripts import transcripts_app

    app.command("code", no_args_is_help=True)(code_command)
    app.command("freq", no_args_is_help=True)(freq_command)
    app.command("cooccur", no_args_is_help=True)(cooccur_command)
    app.add_typer(transcripts_app, name="transcripts")
    app.add_typer(codebook_app, name="codebook")
    app.add_typer(review_app, name="review")
    app.command("agreement", no_args_is_help=True)(agreement_command)
    app.command("report", no_args_is_help=True)(report_command)
    app.command("learn", no_args_is_help=True)(learn_command)
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")


_register()


def main() -> None:
    """The ``ipl-coder`` program (tests call ``app``): the command, then an exit that skips a last walk over spaCy."""
    try:
        app()
    finally:
        # By now every file is written and closed, the store closed and the workers ended. Python's last garbage
        # collections at exit would still walk every object the pipelines hold (0.2-0.3 s on a big corpus):
        # frozen, they are skipped. atexit handlers and the flushing of stdout and stderr still run as always.
        gc.freeze()

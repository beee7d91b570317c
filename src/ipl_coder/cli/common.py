"""What every command shares: the one error boundary, the error console and ``--verbose``.

An :class:`IplCoderError` (or a file system error) raised anywhere below a
command becomes a short message on stderr and exit status 1; ``--verbose``
adds the traceback. Usage errors are Click's, with exit status 2.
"""

from __future__ import annotations

import traceback
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

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

"""``ipl-coder codebook add|add-term|remove|rename|move``: edit a codebook, keeping its comments and layout."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape

from ipl_coder.cli.codebook import CodebookArgument, codebook_app, console
from ipl_coder.cli.common import VerboseOption, error_console

if TYPE_CHECKING:
    from ipl_coder.codebook.edit import EditResult

KEPT = "Comments, key order and layout are kept; the file is validated before it is written, and written atomically."
ProjectOption = Annotated[
    Optional[Path], typer.Option("--project", "-p", metavar="FOLDER", help="A project coded with this codebook.", show_default=False)
]


def _report(result: EditResult) -> None:
    for line in result.unchanged:
        error_console.print(f"[yellow]Note[/] {escape(line)}", soft_wrap=True)
    for line in (*result.changes, *result.project_changes):
        console().print(escape(line), soft_wrap=True)
    if result.changes:
        console().print(f"Saved {escape(str(result.path))}.")


@codebook_app.command("add", no_args_is_help=True, epilog=KEPT)
def add_command(
    codebook: CodebookArgument,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="The new code's id: letters, digits, '_', '-', '.'.", show_default=False)],
    label: Annotated[str, typer.Option(metavar="TEXT", help="The name people see.", show_default=False)],
    parent: Annotated[Optional[str], typer.Option(metavar="ID", help="Make it a sub-code of this code.", show_default=False)] = None,
    definition: Annotated[Optional[str], typer.Option(metavar="TEXT", help="What the code means.", show_default=False)] = None,
    color: Annotated[Optional[str], typer.Option(metavar="#RRGGBB", help="Its colour. \\[default: an unused one]", show_default=False)] = None,
    term: Annotated[Optional[list[str]], typer.Option("--term", metavar="TERM", help="A term that suggests it; repeat for several.",
                                                      show_default=False)] = None,  # fmt: skip
    verbose: VerboseOption = False,
) -> None:
    """Add a code, at the top level or under a parent code.

    A code without terms is valid: people can apply it in review, and you can
    add terms later with 'codebook add-term'.

    [bold]Example[/]

      ipl-coder codebook add ipl.yaml boundary-object --label "Boundary object" --parent boundary --term "care plan"
    """
    from ipl_coder.codebook.edit import add_code

    _report(add_code(codebook, code_id, label, parent, definition, color, tuple(term or ())))


@codebook_app.command("add-term", no_args_is_help=True, epilog=KEPT)
def add_term_command(
    codebook: CodebookArgument,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="The code to add the terms to.", show_default=False)],
    terms: Annotated[list[str], typer.Argument(metavar="TERM...", help="Terms: words or phrases; quote a phrase in the shell. "
                                               "Put a term in double quotes inside ('\"been there\"') to match it only as written.",
                                               show_default=False)],  # fmt: skip
    language: Annotated[Optional[str], typer.Option(metavar="LANG", help="Add them to the terms in this language, such as nb. "
                                                    "\\[default: the codebook's language]", show_default=False)] = None,  # fmt: skip
    verbose: VerboseOption = False,
) -> None:
    """Add terms to a code; terms it already has are left as they are.

    [bold]Examples[/]

      ipl-coder codebook add-term ipl.yaml broker "go-between" "link person"

      ipl-coder codebook add-term ipl.yaml broker brobygger --language nb
    """
    from ipl_coder.codebook.edit import add_terms

    _report(add_terms(codebook, code_id, terms, language))


@codebook_app.command("remove", no_args_is_help=True, epilog=KEPT)
def remove_command(
    codebook: CodebookArgument,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="The code to remove.", show_default=False)],
    project: ProjectOption = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="Remove it even if the project holds people's decisions on it.")] = False,
    with_sub_codes: Annotated[bool, typer.Option("--with-sub-codes", metavar="", help="Remove its sub-codes too.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Remove a code from the codebook.

    With [bold]--project[/], it refuses if people have decided on segments of the
    code (or recoded segments to it), unless you pass --force. Even then the
    project keeps those decisions: only the codebook changes.

    [bold]Example[/]

      ipl-coder codebook remove ipl.yaml role-peer --project my-project
    """
    from ipl_coder.codebook.edit import remove_code

    _report(remove_code(codebook, code_id, project, force=force, with_sub_codes=with_sub_codes))


@codebook_app.command("rename", no_args_is_help=True, epilog=KEPT)
def rename_command(
    codebook: CodebookArgument,
    old_id: Annotated[str, typer.Argument(metavar="OLD", help="The code's id now.", show_default=False)],
    new_id: Annotated[str, typer.Argument(metavar="NEW", help="Its new id.", show_default=False)],
    project: Annotated[Optional[Path], typer.Option("--project", "-p", metavar="FOLDER",
                                                    help="Rename it in this project's segments and decisions too.",
                                                    show_default=False)] = None,  # fmt: skip
    verbose: VerboseOption = False,
) -> None:
    """Rename a code's id, and with --project carry its segments and decisions along.

    Its rules' ids change with it ('broker:terms' becomes 'NEW:terms'). In the
    project, the code's segments get the new id in one transaction with the
    codebook file, so the two never disagree; the rename is recorded, and the
    exported files are rewritten. The label is not changed: edit it in the file.

    [bold]Example[/]

      ipl-coder codebook rename ipl.yaml broker brokering --project my-project
    """
    from ipl_coder.codebook.edit import rename_code

    _report(rename_code(codebook, old_id, new_id, project))


@codebook_app.command("move", no_args_is_help=True, epilog=KEPT)
def move_command(
    codebook: CodebookArgument,
    code_id: Annotated[str, typer.Argument(metavar="ID", help="The code to move, with its sub-codes.", show_default=False)],
    parent: Annotated[Optional[str], typer.Option(metavar="NEW_PARENT", help="The code to move it under.", show_default=False)] = None,
    top: Annotated[bool, typer.Option("--top", metavar="", help="Move it to the top level instead.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Move a code (with its sub-codes) under another code, or to the top level.

    Counts in 'ipl-coder freq' roll sub-codes up into their parents, so a move
    changes the parents' totals from the next export on; segments keep their code.

    [bold]Examples[/]

      ipl-coder codebook move ipl.yaml boundary-learning --parent broker

      ipl-coder codebook move ipl.yaml boundary-learning --top
    """
    from ipl_coder.codebook.edit import move_code

    if (parent is None) == (not top):
        raise typer.BadParameter("give either --parent NEW_PARENT or --top, not both")
    _report(move_code(codebook, code_id, parent))

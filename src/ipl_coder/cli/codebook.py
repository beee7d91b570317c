"""``ipl-coder codebook validate|show|test|lint``: look at a codebook and check it.

The commands that change a codebook are in :mod:`ipl_coder.cli.codebook_edit`;
``diff``, ``export`` and ``import`` in :mod:`ipl_coder.cli.codebook_exchange`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_json
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.codebook.lint import LintResult
    from ipl_coder.codebook.model import Code, Codebook
    from ipl_coder.codebook.tools import CodebookSummary, ExampleRun

codebook_app = typer.Typer(
    help=(
        "Check, show, test and edit a codebook, see what an edit changes, and exchange it with QDA tools.\n\n"
        "Every command takes the codebook file first. The format is described in docs/codebook.md."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)
CodebookArgument = Annotated[
    Path, typer.Argument(metavar="CODEBOOK.yaml", help="The YAML codebook.", show_default=False)
]
ModelOption = Annotated[
    Optional[str],
    typer.Option(metavar="NAME_OR_FOLDER", help="An installed spaCy pipeline to use instead of the built-in blank one, as for 'ipl-coder code'.",
                 show_default=False),
]  # fmt: skip
DEFINITION_WIDTH = 100  # characters of a definition shown in the tree
LISTED = 8  # code ids named in a one-line summary


def console() -> Console:
    return output_console()


@codebook_app.command("validate", no_args_is_help=True)
def validate_command(codebook: CodebookArgument, as_json: JsonOption = False, verbose: VerboseOption = False) -> None:
    """Check a codebook and list every problem at once.

    Each problem is one line, [bold]file:line:column: message[/], the form editors
    and CI logs link to. The exit status is 1 if there is any problem, so a
    codebook kept in git can be checked on every change.

    [bold]Example[/]

      ipl-coder codebook validate codebooks/ipl.yaml
    """
    from ipl_coder.codebook.tools import summarize_codebook
    from ipl_coder.errors import CodebookError

    try:
        summary = summarize_codebook(codebook)
    except CodebookError as error:
        if as_json:  # the problems as JSON, and as lines on stderr with exit status 1 as always
            problems = [{"file": str(problem.path), "line": problem.line, "column": problem.column, "message": problem.message}
                        for problem in error.problems]  # fmt: skip
            print_json({"path": str(codebook), "valid": False, "problems": problems})
        raise
    if as_json:
        print_json(_summary_json(summary))
        return
    rules = ", ".join(f"{number} in {language}" for language, number in summary.rules.items())
    console().print(
        f"[green]OK[/] {escape(str(codebook))}: {count(summary.codes, 'code')} ({count(summary.sub_codes, 'sub-code')}), "
        f"rules {rules}, {count(summary.examples, 'example')}."
    )
    if summary.without_rules:
        shown = summary.without_rules[:LISTED]
        more = f" and {len(summary.without_rules) - len(shown)} more" if len(summary.without_rules) > len(shown) else ""
        has, them = ("has", "it") if len(summary.without_rules) == 1 else ("have", "them")
        console().print(f"{count(len(summary.without_rules), 'code')} {has} no rules, so only people apply {them}: "
                        f"{escape(', '.join(shown))}{more}.")  # fmt: skip


def _summary_json(summary: CodebookSummary) -> dict[str, Any]:
    return {
        "path": str(summary.path), "valid": True, "problems": [], "name": summary.name, "version": summary.version,
        "languages": list(summary.languages), "codes": summary.codes, "sub_codes": summary.sub_codes,
        "rules": dict(summary.rules), "examples": summary.examples, "without_rules": list(summary.without_rules),
    }  # fmt: skip


@codebook_app.command("show", no_args_is_help=True)
def show_command(
    codebook: CodebookArgument,
    code: Annotated[Optional[str], typer.Option("--code", metavar="ID", help="Show this one code in full: definition, criteria, every rule and example.",
                                                show_default=False)] = None,  # fmt: skip
    verbose: VerboseOption = False,
) -> None:
    """Show the code tree: ids, labels, colours, rules and definitions.

    Each code shows its colour, id and label, how many rules it has in each
    language, and the start of its definition. With [bold]--code ID[/] one code
    is shown in full.

    [bold]Examples[/]

      ipl-coder codebook show codebooks/ipl.yaml

      ipl-coder codebook show codebooks/ipl.yaml --code broker
    """
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.errors import InputError

    loaded = load_codebook(codebook)
    if code is None:
        console().print(_tree(loaded))
        return
    try:
        chosen = loaded.code(code)
    except KeyError:
        raise InputError(f"{codebook}: no code '{code}'; the codes are {', '.join(c.code_id for c in loaded.codes)}") from None
    _print_code(loaded, chosen)


def _tree(codebook: Codebook) -> Tree:
    from ipl_coder.codebook.tools import rule_count

    heading = f"[bold]{escape(codebook.name)}[/] {escape(codebook.version)}  ({', '.join(codebook.languages)}; {count(len(codebook.codes), 'code')})"
    tree = Tree(heading, guide_style="dim")
    nodes: dict[str, Tree] = {}
    views = {language: codebook.in_language(language) for language in codebook.languages}
    for code in codebook.codes:
        counts = [f"{language}: {rule_count(view.code(code.code_id))}" for language, view in views.items()
                  if view.code(code.code_id).has_rules]  # fmt: skip
        label = f"[{code.color}]■[/] [bold]{escape(code.code_id)}[/]  {escape(code.label)}  [dim]{code.color}[/]"
        label += f"  [cyan]{escape('; '.join(counts))}[/]" if counts else "  [yellow]no rules[/]"
        if code.definition:
            label += "\n[dim]" + escape(textwrap.shorten(code.definition, DEFINITION_WIDTH, placeholder=" …")) + "[/]"
        parent = nodes[code.parent_id] if code.parent_id else tree
        nodes[code.code_id] = parent.add(label)
    return tree


def _print_code(codebook: Codebook, code: Code) -> None:
    out = console()
    out.print(f"[{code.color}]■[/] [bold]{escape(code.code_id)}[/]  {escape(code.label)}  {code.color}  (line {code.line})")
    fields = [("parent", code.parent_id or "—"), ("sub-codes", ", ".join(code.child_ids) or "—"),
              ("unit", codebook.effective_unit(code, _default_unit(codebook))),
              ("speakers", ", ".join(codebook.effective_speakers(code))), ("definition", code.definition),
              ("include", code.include), ("exclude", code.exclude), ("memo", code.memo)]  # fmt: skip
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for name, value in fields:
        if value:
            table.add_row(name, escape(value))
    for language in codebook.languages:
        view = codebook.in_language(language).code(code.code_id)
        for name, value in _rule_lines(view):
            table.add_row(name, escape(value))
        for name, examples in (("match", view.examples_match), ("no match", view.examples_no_match)):
            if examples:
                table.add_row(f"{name} ({language})", escape("\n".join(f"• {example}" for example in examples)))
    out.print(table)


def _default_unit(codebook: Codebook) -> str:
    if codebook.default_unit:
        return f"{codebook.default_unit} (the codebook's defaults; 'code --unit' overrides it)"
    return "the run's --unit (sentence unless given)"


def _rule_lines(code: Code) -> list[tuple[str, str]]:
    lines = []
    if code.term_rule:
        lines.append((code.term_rule.rule_id, ", ".join(code.term_rule.terms)))
    for pattern in code.pattern_rules:
        lines.append((pattern.rule_id, str(pattern.pattern)))
    for boolean in code.boolean_rules:
        groups = ", ".join(group[0] if len(group) == 1 else f"({' | '.join(group)})" for group in boolean.all_groups)
        parts = [f"{name}: {terms}" for name, terms in
                 (("all", groups), ("any", ", ".join(boolean.any_terms)), ("none", ", ".join(boolean.none_terms))) if terms]  # fmt: skip
        lines.append((boolean.rule_id, "; ".join(parts)))
    for near in code.near_rules:
        lines.append((near.rule_id, f"{', '.join(near.terms)} within {count(near.within, 'word')} of {', '.join(near.near_terms)}"))
    if code.exclude_terms:
        language = code.term_rule.rule_id.partition("@")[2] if code.term_rule else ""
        lines.append((f"exclude_terms{f' ({language})' if language else ''}", ", ".join(code.exclude_terms)))
    return lines


@codebook_app.command("test", no_args_is_help=True)
def test_command(codebook: CodebookArgument, model: ModelOption = None, as_json: JsonOption = False, verbose: VerboseOption = False) -> None:
    """Run every code's examples through the pipeline 'ipl-coder code' uses.

    Each [bold]match[/] example must get the code (or one of its sub-codes); each
    [bold]no_match[/] example must not. Examples given per language ('nb:' under
    'match:') go through that language's pipeline. Failures are listed with the
    code, the example and which rule fired, or which rules were tried.

    The exit status is 1 if any example fails, so a codebook kept in git can be
    tested in CI like code.

    [bold]Example[/]

      ipl-coder codebook test codebooks/ipl.yaml
    """
    from ipl_coder.codebook.tools import run_examples
    from ipl_coder.errors import CodebookTestFailed

    run = run_examples(codebook, model)
    failed = f"{len(run.failures)} of {count(len(run.results), 'example')} {'fails' if len(run.failures) == 1 else 'fail'} in {codebook}"
    if as_json:
        print_json(_examples_json(run))
        if run.failures:
            raise CodebookTestFailed(failed)
        return
    out = console()
    if run.failures:
        table = Table(title=f"Failing examples in {escape(str(codebook))}", title_justify="left", show_lines=True)
        for heading in ("code", "lang", "expected", "example", "why"):
            table.add_column(heading, overflow="fold")
        for failure in run.failures:
            expected = "match" if failure.expected else "no match"
            table.add_row(escape(failure.code_id), failure.language, expected, escape(failure.example), escape(failure.why))
        out.print(table)
    passed = len(run.results) - len(run.failures)
    out.print(f"{passed} of {count(len(run.results), 'example')} {'passes' if passed == 1 else 'pass'} ({', '.join(run.pipelines)}).")
    if run.codes_without_examples:
        error_console.print(f"[yellow]Note[/] no examples for: {escape(', '.join(run.codes_without_examples))}", soft_wrap=True)
    if run.failures:
        raise CodebookTestFailed(failed)


def _examples_json(run: ExampleRun) -> dict[str, Any]:
    return {
        "path": str(run.path), "pipelines": list(run.pipelines), "examples": len(run.results),
        "passed": len(run.results) - len(run.failures), "failed": len(run.failures),
        "codes_without_examples": list(run.codes_without_examples),
        "results": [
            {"code": result.code_id, "language": result.language, "example": result.example,
             "expected": "match" if result.expected else "no match", "passed": result.passed, "why": result.why,
             "rules": list(result.rules), "matched": list(result.matched), "found_codes": list(result.found_codes)}
            for result in run.results
        ],
    }  # fmt: skip


@codebook_app.command("lint", no_args_is_help=True)
def lint_command(
    codebook: CodebookArgument,
    project: Annotated[Optional[Path], typer.Option("--project", "-p", metavar="FOLDER",
                                                    help="Also check the rules against what this project's latest run suggested.",
                                                    show_default=False)] = None,  # fmt: skip
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Warn about what may not do what you meant: warnings, never errors.

    On the codebook alone:

    • a term in two codes (every match gets both)

    • codes without a definition, without examples, or without rules

    • terms the lemmatizer reads as a different word, or only guesses at
      (Norwegian 'sykepleier', nurse, read as 'sykepleie', nursing)

    With [bold]--project[/], on what the project's latest run suggested:

    • rules that matched nothing

    • a rule behind more than a quarter of all segments, or a word behind more
      than a third of one code's segments: check a sample for false positives

    The exit status is 0 whatever is found; 'codebook validate' is the check that fails.

    [bold]Examples[/]

      ipl-coder codebook lint codebooks/ipl.yaml

      ipl-coder codebook lint codebooks/ipl.yaml --project my-project
    """
    from ipl_coder.codebook.lint import lint_codebook

    result = lint_codebook(codebook, project)
    if as_json:
        print_json(_lint_json(result))
        return
    out = console()
    for note in result.notes:
        error_console.print(f"[yellow]Note[/] {escape(note)}", soft_wrap=True)
    for warning in result.warnings:
        out.print(f"{escape(str(codebook))}:{warning.line}: [yellow]warning[/] [dim]({warning.check})[/] {escape(warning.message)}",
                  soft_wrap=True)  # fmt: skip
    checks = "codebook and project" if project else "codebook"
    out.print(f"{count(len(result.warnings), 'warning')} ({checks} checks).")


def _lint_json(result: LintResult) -> dict[str, Any]:
    return {
        "path": str(result.path), "project": str(result.project) if result.project is not None else None,
        "notes": list(result.notes),
        "warnings": [{"check": warning.check, "code": warning.code_id, "line": warning.line, "message": warning.message}
                     for warning in result.warnings],
    }  # fmt: skip

"""``ipl-coder agreement``: how right the machine was, and how well two coders agree."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_json
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.review.agreement import AgreementResult


class AgreementUnit(str, Enum):
    sentence = "sentence"
    paragraph = "paragraph"
    segment = "segment"


def agreement_command(
    project: Annotated[
        Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder people reviewed in.", show_default=False)
    ],
    coders: Annotated[
        Optional[str],
        typer.Option(metavar="A,B", help="The coders to count, separated by commas; two of them are compared with "
                     "each other. \\[default: everyone who has reviewed]", show_default=False),
    ] = None,
    against: Annotated[
        Optional[str],
        typer.Option(metavar="CODER", help="Score the machine against this coder's coding, cell by cell (unit × code), "
                     "with every disagreement listed; see below.", show_default=False),
    ] = None,
    unit: Annotated[
        AgreementUnit,
        typer.Option(help="What is compared: each sentence × code or each paragraph × code (present or absent), "
                     "or (between two coders only) each suggestion both decided, accepted or not."),
    ] = AgreementUnit.sentence,
    show: Annotated[
        int, typer.Option(metavar="N", min=0, help="With --against: how many disagreements of each kind to list here.")
    ] = 15,
    out: Annotated[
        Optional[Path],
        typer.Option(metavar="FILE.csv", help="Also write every figure to this CSV file (with --against, every disagreement "
                     "to FILE-disagreements.csv beside it).", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Report how right the machine's suggestions were, and how well two coders agree.

    [bold]Machine against people[/], per code and per rule:

    • [bold]precision[/]  of the suggestions people decided on, the share they accepted

    • [bold]recall[/]     of the passages people gave the code (accepted suggestions, codes they
      added, the right code of a recode), the share the machine suggested

    • [bold]F1[/]         the two together; a rule with low precision needs narrowing

    [bold]Between two coders[/] who reviewed the same material blind: percent
    agreement, Cohen's kappa and Krippendorff's alpha, per code and over all
    codes, on each sentence (or paragraph) × code, present or absent, in the participants'
    turns of the transcripts both worked in, or with --unit segment on each
    suggestion both decided. Kappa and alpha are blank where they are undefined
    (both coders said the same thing about everything).

    [bold]Machine against one coder[/] (--against CODER): how well the rules
    reproduce a person's coding, such as a team's past coding imported from a
    sheet or another tool. Each sentence (or paragraph) × code of the
    participants' turns is a cell; a cell is coded when a passage with the code
    (or a sub-code) overlaps it. Every suggestion counts whatever its review
    status. Precision, recall and F1 per code and per rule, and every
    disagreement: what the coder coded that no rule suggested, and what the
    rules suggested that the coder did not code, with the rule and the words.
    See docs/review.md.

    [bold]Examples[/]

      ipl-coder agreement --project my-project

      ipl-coder agreement -p my-project --coders ana,ola --unit segment --out agreement.csv

      ipl-coder agreement -p my-project --against gold --out gold.csv
    """
    from ipl_coder.review.agreement import compute_agreement, write_agreement_csv

    if against is not None:
        from ipl_coder.cli.agreement_against import run_against

        if unit is AgreementUnit.segment or coders:
            raise typer.BadParameter("--against compares sentence or paragraph cells with one coder; drop --coders and --unit segment")
        run_against(project, against, unit.value, out, show, as_json)
        return

    chosen = [name.strip() for name in coders.split(",") if name.strip()] if coders else []
    result = compute_agreement(project, chosen, unit.value)
    if out is not None:
        write_agreement_csv(out, result)
    if as_json:
        print_json(_as_json(result, out))
        return
    for note in result.notes:
        error_console.print(f"[yellow]Note[/] {escape(note)}", soft_wrap=True)
    console = output_console()
    _print_machine(console, result)
    if result.pair:
        _print_between(console, result)
    if out is not None:
        console.print(f"Wrote {escape(str(out))}")


def _print_machine(console: Console, result: AgreementResult) -> None:
    table = Table(title=f"Machine against people ({', '.join(result.coders)})", title_justify="left", box=box.SIMPLE_HEAD,
                  caption="decided: suggestions people decided on; coded: passages people gave the code; "
                  "found: of those, suggested by the machine", caption_justify="left", pad_edge=False)  # fmt: skip
    # A rule is listed under its code, so its id loses the code's name: "role-peer:terms" shows as "  :terms".
    names = [("  (learned model)" if row.rule_id == "model" else f"  :{row.rule_id.split(':', 1)[-1]}") if row.rule_id
             else row.code_id for row in result.machine]  # fmt: skip
    table.add_column("code / rule", overflow="fold")  # folds; the figures never do
    for heading in ("decided", "accepted", "precision", "coded", "found", "recall", "F1"):
        table.add_column(heading, justify="right", no_wrap=True)
    for name, row in zip(names, result.machine, strict=True):
        style = "dim" if row.rule_id else None
        table.add_row(escape(name), str(row.reviewed), str(row.accepted), _share(row.precision), str(row.people_coded),
                      str(row.found), _share(row.recall), _share(row.f1), style=style)  # fmt: skip
    console.print(table)


def _print_between(console: Console, result: AgreementResult) -> None:
    first, second = result.pair or ("", "")
    table = Table(title=f"A = {first} and B = {second}, per {result.unit} × code", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    table.add_column("code", overflow="fold")
    for heading in ("items", "both", "A only", "B only", "neither", "agree", "kappa", "alpha"):
        table.add_column(heading, justify="right", no_wrap=True)
    for index, row in enumerate(result.between):
        cells = row.cells
        table.add_row(escape(row.code_id or "all codes"), f"{row.items:,}", f"{cells[(1, 1)]:,}", f"{cells[(1, 0)]:,}",
                      f"{cells[(0, 1)]:,}", f"{cells[(0, 0)]:,}", _share(row.percent), _figure(row.kappa), _figure(row.alpha),
                      end_section=index == len(result.between) - 2)  # the overall row stands apart  # fmt: skip
    console.print(table)
    if result.unit != "segment":
        what = count(result.units_compared, result.unit) + " (each × code) in participants' turns"
    else:
        what = count(result.units_compared, "suggestion") + " both decided"
    console.print(f"Unit: {result.unit}. Compared {what} in {count(result.transcripts_compared, 'transcript')}.")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _as_json(result: AgreementResult, out: Path | None) -> dict[str, Any]:
    """The figures of the CSV, by the CSV's names; null where a figure is undefined."""
    return {
        "coders": list(result.coders), "pair": list(result.pair) if result.pair else None, "unit": result.unit,
        "units_compared": result.units_compared, "transcripts_compared": result.transcripts_compared,
        "out": str(out) if out is not None else None, "notes": list(result.notes),
        "machine": [
            {"code": row.code_id, "rule": row.rule_id or None, "reviewed": row.reviewed, "accepted": row.accepted,
             "people_coded": row.people_coded, "found": row.found, "precision": _rounded(row.precision),
             "recall": _rounded(row.recall), "f1": _rounded(row.f1)}
            for row in result.machine
        ],
        "between": [
            {"code": row.code_id or None, "items": row.items, "both_present": row.cells[(1, 1)], "first_only": row.cells[(1, 0)],
             "second_only": row.cells[(0, 1)], "both_absent": row.cells[(0, 0)], "percent_agreement": _rounded(row.percent),
             "kappa": _rounded(row.kappa), "alpha": _rounded(row.alpha)}
            for row in result.between
        ],
    }  # fmt: skip


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

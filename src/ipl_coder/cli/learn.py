"""``ipl-coder learn``: learn from the team's own decisions, offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_json
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.learning.learn import LearnResult


def learn_command(
    project: Annotated[
        Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder 'ipl-coder code' wrote.", show_default=False)
    ],
    code: Annotated[
        Optional[list[str]],
        typer.Option("--code", metavar="ID", help="Learn only this code; repeat for several. \\[default: every code]", show_default=False),
    ] = None,
    seed: Annotated[int, typer.Option(metavar="N", help="The random seed: the same decisions and seed give the same model.")] = 18,
    precision: Annotated[
        float,
        typer.Option(min=0.05, max=0.95, metavar="SHARE",
                     help="How often a code's suggestions must have been right, tried on your own decisions, for the model "
                          "to suggest it (0-1): higher suggests less, and more of it right."),
    ] = 0.6,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="Print nothing but errors.")] = False,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Learn, from the project's own decisions, which passages have which code.

    For each code, a text classifier (spaCy's, on this computer: nothing is
    downloaded and nothing leaves the project) learns from:

    • [bold]passages with the code[/]: accepted suggestions, codes people added, the right code of each recode, and the codebook's match examples

    • [bold]passages without it[/]: rejected suggestions, the codebook's no_match examples, and the sentences of reviewed transcripts nobody gave the code

    Besides a sentence's words, the model reads which codes the rules suggested
    on it and around it (people code stories, not only words). Before it is
    kept, the model is tried on your own decisions (trained on half the
    reviewed transcripts, tested on the other half, and the other way round):
    each code is suggested only from the score at which its suggestions were
    right often enough (--precision), and a code whose suggestions never were
    is listed and left to the rules.

    The model is saved in PROJECT/learned/, and the store records what it
    learned from. A code people gave fewer than 5 sentences is left to
    the rules, and listed; when no code has enough, nothing is saved or
    recorded, an earlier model stays in use, and learn exits with an error. Then 'ipl-coder code ... --learned' adds the model's
    suggestions beside the rules', each with its score and why (the words that
    weighed most, the most similar accepted passages). Decide on them as on any
    suggestion; the next 'learn' learns from those decisions too. See docs/learning.md.

    [bold]Examples[/]

      ipl-coder learn --project my-project

      ipl-coder learn -p my-project --code broker --code boundary
    """
    from ipl_coder.learning.learn import learn

    result = learn(project, tuple(code or ()), seed, precision)
    if as_json:
        print_json(result.to_json())
    elif not quiet:
        _print_summary(result)


def _print_summary(result: LearnResult) -> None:
    console = output_console()
    table = Table(title="What the model learned from (sentences)", title_justify="left")
    for heading in ("code", "with it", "without it", "codebook examples", "learned", "suggested"):
        table.add_column(heading, justify="left" if heading == "code" else "right")
    for item in result.codes:
        table.add_row(item.code_id, str(item.positives), str(item.negatives), str(item.from_examples), "yes" if item.trained else "no",
                      "yes" if item.suggested else "no")  # fmt: skip
    console.print(table)
    for item in result.left_to_rules:
        error_console.print(f"[yellow]Note[/] {escape(item.code_id)}: not learned, {result.why_not(item)}; left to the rules",
                            soft_wrap=True)  # fmt: skip
    for code_id in result.not_suggested:
        error_console.print(f"[yellow]Note[/] {escape(code_id)}: learned but not suggested, {result.why_not_suggested(code_id)}; "
                            "left to the rules", soft_wrap=True)  # fmt: skip
    if result.out_of_sight:
        verb = "is" if result.out_of_sight == 1 else "are"
        error_console.print(f"[yellow]Note[/] {count(result.out_of_sight, 'decided passage')} that an edit took out of its "
                            f"transcript's text (as 'code' warned then) {verb} not learned from; decide each again where its words "
                            "now are, and run 'ipl-coder learn' again", soft_wrap=True)  # fmt: skip
    decided = f"decisions up to {result.last_decided_at}" if result.last_decided_at else "no decisions yet (the codebook's examples only)"
    console.print(f"From {count(result.transcripts, 'reviewed transcript')} ({count(result.units, 'sentence')}) and {decided}, "
                  f"in {result.seconds:.1f} s.")  # fmt: skip
    console.print(f"{count(len(result.trained), 'code')} learned, {len(result.suggested)} suggested; "
                  f"the model is in {escape(str(result.folder))}. "
                  "Use it with: ipl-coder code ... --learned")  # fmt: skip

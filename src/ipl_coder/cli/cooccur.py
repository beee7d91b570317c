"""``ipl-coder cooccur``: which codes occur together on the same passage."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, output_console, print_json
from ipl_coder.cli.freq import Status
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.report.cooccurrence import CooccurrenceResult


class CooccurUnit(str, Enum):
    sentence = "sentence"
    paragraph = "paragraph"
    turn = "turn"


def cooccur_command(
    project: Annotated[
        Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder 'ipl-coder code' wrote.", show_default=False)
    ],
    unit: Annotated[
        CooccurUnit,
        typer.Option(help="The passage two codes must share: a sentence, a paragraph (a line of a turn) or a whole turn."),
    ] = CooccurUnit.sentence,
    status: Annotated[
        Optional[list[Status]],
        typer.Option(metavar="STATUS", help="Count segments with this status; repeat for several. By default pending and accepted.",
                     show_default=False),
    ] = None,
    out: Annotated[
        Optional[Path],
        typer.Option(metavar="FILE.csv", help="Write the pairs to this CSV file (code_a, code_b, passages, jaccard, unit) "
                     "instead of printing them.", show_default=False),
    ] = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Count which codes occur together on the same passage of participants' speech.

    Every participant turn is cut into units (sentences by default). A unit has
    a code when a counted segment of the code, or of one of its sub-codes,
    overlaps it. For every two codes that share at least one unit it gives:

    • [bold]passages[/]  units with both codes

    • [bold]jaccard[/]  passages over the units with either code: 1 when the
    two codes always come together, near 0 when they seldom do

    A code is not paired with a code above it: a sub-code's passages are all
    its parent's. Interviewer turns are not counted.

    [bold]Examples[/]

      ipl-coder cooccur --project my-project

      ipl-coder cooccur --project my-project --unit paragraph --status accepted

      ipl-coder cooccur --project my-project --unit turn --out cooccurrence.csv
    """
    from ipl_coder.report.cooccurrence import code_cooccurrence, write_cooccurrence_csv
    from ipl_coder.store import COUNTED_STATUSES

    statuses = tuple(item.value for item in status) if status else COUNTED_STATUSES
    result = code_cooccurrence(project, unit.value, statuses)
    if out is not None:
        write_cooccurrence_csv(out, result)
    if as_json:
        print_json(_as_json(result, out))
        return
    console = output_console()
    if out is not None:
        console.print(f"Wrote {count(len(result.pairs), 'pair')} of codes to {escape(str(out))}")
    elif result.pairs:
        console.print(_table(result))
    else:
        console.print(f"No two codes share a {result.unit}.")
    console.print(f"Per {result.unit}, counting {' and '.join(result.statuses)} segments: "
                  f"{count(result.units, result.unit)} in {count(result.transcripts, 'transcript')}.")  # fmt: skip


def _table(result: CooccurrenceResult) -> Table:
    table = Table(title=f"Codes on the same {result.unit}", title_justify="left")
    table.add_column("code_a", overflow="fold")  # folded, never cut: sub-codes differ at the end
    table.add_column("code_b", overflow="fold")
    table.add_column("passages", justify="right")
    table.add_column("jaccard", justify="right")
    position = {code: index for index, code in enumerate(result.codes)}
    # Most shared first; ties by the stronger bond, then as the codebook lists them.
    ranked = sorted(result.pairs, key=lambda pair: (-pair.passages, -pair.jaccard, position[pair.code_a], position[pair.code_b]))
    for pair in ranked:
        table.add_row(escape(pair.code_a), escape(pair.code_b), str(pair.passages), f"{pair.jaccard:.3f}")
    return table


def _as_json(result: CooccurrenceResult, out: Path | None) -> dict[str, Any]:
    return {
        "project": str(result.project_dir), "unit": result.unit, "statuses": list(result.statuses),
        "units": result.units, "transcripts": result.transcripts, "out": str(out) if out is not None else None,
        "passages_by_code": result.passages_by_code,
        "pairs": [{"code_a": pair.code_a, "code_b": pair.code_b, "passages": pair.passages, "jaccard": round(pair.jaccard, 3)}
                  for pair in result.pairs],
    }  # fmt: skip

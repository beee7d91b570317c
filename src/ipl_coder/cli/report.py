"""``ipl-coder report``: the project's coding as one offline HTML page."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape

from ipl_coder.cli.common import JsonOption, VerboseOption, output_console, print_json
from ipl_coder.cli.freq import Status
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.review.agreement import AgreementResult


def report_command(
    project: Annotated[Path, typer.Option("--project", "-p", metavar="FOLDER", help="The project folder 'ipl-coder code' wrote.",
                                          show_default=False)],  # fmt: skip
    out: Annotated[Path, typer.Option("--out", "-o", metavar="FILE.html", help="The page to write.", show_default=False)],
    status: Annotated[
        Optional[list[Status]],
        typer.Option(metavar="STATUS", help="Which segments the codes, transcripts and charts show (pending, accepted, "
                     "rejected or recoded); repeat for several. "
                     "\\[default: the statuses the project's exports count, pending and accepted unless 'code --status' chose]",
                     show_default=False),
    ] = None,
    by: Annotated[
        Optional[list[str]],
        typer.Option("--by", metavar="ATTRIBUTE", help="A participant attribute to chart the codes by (a column of the "
                     "participants file); repeat for several.", show_default=False),
    ] = None,
    coders: Annotated[
        Optional[str],
        typer.Option(metavar="A,B", help="The coders the agreement section counts, separated by commas; two of them are "
                     "compared with each other, as in 'ipl-coder agreement'. \\[default: everyone who has reviewed]",
                     show_default=False),
    ] = None,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Write the project's coding as one HTML page you can open in any browser, offline.

    [bold]Overview[/]: transcripts, words, segments by status and origin, coders, the last run.

    [bold]Codes[/]: every segment of each code (like a node in NVivo) with the
    sentences around it, its transcript, speaker, participant and attributes,
    status, the rule and words behind it, and reviewers' notes.

    [bold]Transcripts[/]: each with its coded passages highlighted in the codes'
    colours (a passage under several codes shows a line per further code),
    interviewer turns greyed, time stamps kept.

    [bold]Charts[/]: codes by each --by attribute (per 1,000 words, and a
    heatmap of counts), codes by transcript, and which codes fall on the same
    passage at the coding unit.

    [bold]Agreement[/], when people have reviewed: the figures 'ipl-coder
    agreement' gives and every passage two coders decided differently. With
    more than two coders, --coders A,B names the two to compare.

    The page needs nothing else: no internet, no other file; its text is
    searchable, and menus at the top filter the segments by code, status and
    group (it reads the same without them). A project whose page would pass
    about 30 MB gets a folder instead (FILE/index.html, and a page per
    transcript in FILE/transcripts/).

    [bold]Examples[/]

      ipl-coder report --project my-project --out my-project/report.html --by country

      ipl-coder report -p my-project -o accepted.html --status accepted --by role --by country
    """
    from ipl_coder.report.html import build_report
    from ipl_coder.store import ProjectStore

    with ProjectStore.open(project) as store:
        statuses = tuple(item.value for item in status) if status else store.export_statuses()
        reviewed = bool(store.coders())
    agreement: Callable[[], AgreementResult] | None = None
    if reviewed:
        from ipl_coder.review.agreement import compute_agreement

        chosen = tuple(name.strip() for name in coders.split(",") if name.strip()) if coders else ()
        agreement = partial(compute_agreement, project, chosen)  # worked out by build_report when it is best for memory
    result = build_report(project, out, statuses, tuple(by or ()), agreement)
    if as_json:
        print_json({"out": str(result.out), "folder": result.folder, "bytes": result.size, "transcripts": result.transcripts,
                    "segments": result.segments, "charts": result.charts, "seconds": round(result.seconds, 3)})  # fmt: skip
        return
    what = "a folder of pages; open" if result.folder else "one page,"
    output_console().print(
        f"Wrote {escape(str(result.out))} ({what} {result.size / 1_000_000:.1f} MB): {count(result.transcripts, 'transcript')}, "
        f"{count(result.segments, 'segment')}, {count(result.charts, 'chart')}, in {result.seconds:.1f} s.", soft_wrap=True,
    )  # fmt: skip

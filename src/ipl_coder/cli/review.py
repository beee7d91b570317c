"""``ipl-coder review``: go through the suggestions one at a time, with single keys.

``review export`` and ``review import`` (the spreadsheet way) are in
:mod:`ipl_coder.cli.review_sheet`.
"""

from __future__ import annotations

import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.text import Text

from ipl_coder.cli.common import VerboseOption
from ipl_coder.errors import InputError, IplCoderError
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.review.session import ReviewItem, ReviewSession
    from ipl_coder.store import SegmentRow


class CoderStatus(str, Enum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    recoded = "recoded"


KEYS = (
    ("a", "accept"), ("r", "reject"), ("c", "change code"), ("+", "add a code"), ("n", "note"),
    ("s", "skip"), ("u", "undo"), ("q", "quit"), ("?", "help"),
)  # fmt: skip
HELP = """[bold]a[/] accept: the code fits this passage
[bold]r[/] reject: it does not
[bold]c[/] change code: the passage has another code instead (you pick it)
[bold]+[/] add a code: the passage (or words you quote near it) also has another code
[bold]n[/] note: write a note on this segment; it stays on screen
[bold]s[/] skip: leave it pending and go on
[bold]u[/] undo: take back your last decision and show that segment again
[bold]q[/] quit: every decision is already saved; next time you go on from here"""
NO_TERMINAL = "the interactive review needs a terminal; use 'ipl-coder review export' for a spreadsheet instead"

review_app = typer.Typer(rich_markup_mode="rich")  # its help is review_command's docstring
ProjectOption = Annotated[
    Optional[Path], typer.Option("--project", "-p", metavar="FOLDER", help="The project folder 'ipl-coder code' wrote.", show_default=False)
]
CoderOption = Annotated[
    Optional[str],
    typer.Option(metavar="NAME", help="Who is reviewing. \\[default: $IPL_CODER_CODER, else your user name]", show_default=False),
]

CodeFilterOption = Annotated[
    Optional[list[str]],
    typer.Option("--code", metavar="ID", help="Only this code and its sub-codes; repeat for several.", show_default=False),
]
TranscriptFilterOption = Annotated[
    Optional[str], typer.Option(metavar="NAME", help="Only this transcript (its name without suffix).", show_default=False)
]


@review_app.callback(invoke_without_command=True)
def review_command(
    ctx: typer.Context,
    project: ProjectOption = None,
    coder: CoderOption = None,
    code: CodeFilterOption = None,
    transcript: TranscriptFilterOption = None,
    status: Annotated[
        Optional[list[CoderStatus]],
        typer.Option(metavar="STATUS", help="Review segments with this status of yours, to revisit them; repeat for several. "
                     "\\[default: pending, the ones you have not decided]", show_default=False),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Go through the suggestions one at a time, deciding each with one key.

    Each segment is shown with its speaker, the sentences around it, the matched
    words underlined, and the code's definition with what to include and exclude.
    Then press a key: [bold]a[/] accept, [bold]r[/] reject, [bold]c[/] change code,
    [bold]+[/] add another code, [bold]n[/] note, [bold]s[/] skip, [bold]u[/] undo, [bold]q[/] quit.

    Every decision is saved the moment you make it, with your name and the time,
    and the history is kept. Quit whenever you like: the next review goes on
    after your last decision. You see only your own decisions, so two people
    can review the same suggestions blind and compare with 'ipl-coder agreement'.
    The project's segments.csv, segments.jsonl and frequencies.csv are rewritten
    when you quit.

    [bold]Examples[/]

      ipl-coder review --project my-project --coder ana

      ipl-coder review -p my-project --code broker --transcript CA-PSW-01

      ipl-coder review -p my-project --status rejected   (look again at what you rejected)

    For a spreadsheet instead: ipl-coder review export --help
    """
    if ctx.invoked_subcommand is not None:
        return
    if project is None:
        raise typer.BadParameter("give the project folder with --project", param_hint="'--project'")
    if not _keys_can_be_read():
        raise InputError(NO_TERMINAL)
    from ipl_coder.review.session import ReviewScope, coder_name, open_review

    scope = ReviewScope(tuple(code or ()), transcript, tuple(item.value for item in status) if status else ("pending",))
    with open_review(project, coder_name(coder), scope) as session:
        _run(session, Console(highlight=False))


def _run(session: ReviewSession, console: Console) -> None:
    from ipl_coder.review.session import finish_review

    first = session.progress()
    console.print(f"Reviewing as [bold]{escape(session.coder)}[/]: {first.left:,} pending, {first.done:,} done. Press ? for help.")
    message = ""
    while (item := session.current()) is not None:
        _show(console, session, item, message)
        key = _read_key()
        if key in ("q", "\x04", ""):  # q, Ctrl-D, or the end of scripted input
            break
        try:
            message = _act(key, session, console)
        except IplCoderError as error:
            message = f"[red]{escape(str(error))}[/]"
    finished = finish_review(session)
    left = finished.progress.left
    ending = "All done." if left == 0 else f"{left:,} left for next time."
    console.print(f"{count(finished.decisions_made, 'decision')} this session, {finished.progress.done:,} done. {ending}")
    if finished.exports:
        console.print("Rewrote " + ", ".join(path.name for path in finished.exports) + f" in {session.store.path.parent}")


def _keys_can_be_read() -> bool:
    """Whether typer.getchar will get keys, asked before anything is shown.

    It reads the terminal: standard input if that is one, else /dev/tty (so a
    pipe into standard input is fine). Standard input that is no file at all is
    something this process feeds keys through, as Typer's CliRunner does in tests.
    """
    stdin = sys.stdin
    if stdin is None:
        return False
    try:
        stdin.fileno()
    except (AttributeError, OSError, ValueError):
        return True
    if stdin.isatty() or os.name == "nt":  # on Windows getchar reads the console, whatever standard input is
        return True
    try:
        with open("/dev/tty"):
            return True
    except OSError:
        return False


def _read_key() -> str:
    try:
        return typer.getchar()  # Typer's own Click, which its CliRunner feeds in tests
    except (OSError, EOFError):
        raise InputError(NO_TERMINAL) from None
    except KeyboardInterrupt:
        return "q"


def _act(key: str, session: ReviewSession, console: Console) -> str:
    """Do what the key says; what to show at the top of the next screen (markup)."""
    if key == "?":
        return HELP  # on the next screen: drawn before it, it would be cleared at once
    if key == "a":
        return escape(session.accept())
    if key == "r":
        return escape(session.reject())
    if key == "s":
        return escape(session.skip())
    if key == "u":
        return escape(session.undo())
    if key == "n":
        return escape(session.note(typer.prompt("Note", default="", show_default=False)))
    if key in ("c", "+"):
        _list_codes(console, session)
        answer = typer.prompt("Code (number, id, or the start of its label; Enter to cancel)", default="", show_default=False)
        if not answer.strip():
            return "Cancelled."
        code_id = session.resolve_code(answer)  # an unknown code is said before anything else is asked
        if key == "c":
            return escape(session.recode(code_id))
        quote = typer.prompt("Words to code (Enter for this whole passage)", default="", show_default=False)
        return escape(session.add_code(code_id, quote))
    return f"'{escape(key)}' does nothing here; press ? for the keys." if key.strip() else ""


def _show(console: Console, session: ReviewSession, item: ReviewItem, message: str) -> None:
    segment, guide = item.segment, item.guide
    if console.is_terminal:
        console.clear()  # one segment per screen; the outcome of the last key is the first line
    progress = session.progress()
    of_code = next((code for code in progress.per_code if code.code_id == segment.code_id), None)
    code_progress = f" · {segment.code_id}: {of_code.done} done, {of_code.left} left" if of_code else ""
    console.print(Rule(f"{progress.done:,} done / {progress.left:,} left{code_progress}", style="dim"))
    if message:
        console.print(message)
    where = [segment.transcript, segment.speaker, f"turn {segment.turn_number}" if segment.turn_number else "", segment.timestamp or ""]
    yours = f" · you: {item.view.status}" if item.view and item.view.decision else ""
    console.print(escape(" · ".join(part for part in where if part)) + yours, style="bold")
    if item.previous_turn:
        console.print(Text(f"  {item.previous_turn[0]}: {item.previous_turn[1]}", style="dim"))
    console.print(_passage(item))
    console.print(f"[bold]{escape(guide.code_id)}[/] {escape(guide.label)}")
    for heading, text in (("", guide.definition), ("Include: ", guide.include), ("Exclude: ", guide.exclude)):
        if text.strip():
            console.print(Text("  " + heading + " ".join(text.split()), style="dim" if heading else ""))
    if segment.rules:
        console.print(Text(f"  Why: {', '.join(segment.rules)} matched {', '.join(repr(word) for word in segment.matched)}", style="dim"))
    elif segment.origin == "model":
        _print_model_reason(console, segment)
    if item.view and item.view.note:
        console.print(Text(f"  Your note: {item.view.note}", style="italic"))
    console.print("  ".join(f"[bold]{key}[/] {label}" for key, label in KEYS))


def _print_model_reason(console: Console, segment: SegmentRow) -> None:
    """The learned model's reason: its score, the words that weighed most, the accepted passages most like this one."""
    reason = segment.reason
    score = f", score {segment.score:.2f}" if segment.score is not None else ""
    words = ", ".join(f"'{word}' ({weight:+.1f})" for word, weight in reason.words) if reason and reason.words else "none alone"
    console.print(Text(f"  Why: the learned model{score}; the words that weighed most: {words}", style="dim"))
    for passage in reason.similar if reason else ():
        where = f" ({passage.transcript})" if passage.transcript else " (codebook example)"
        console.print(Text(f"  Like: \"{' '.join(passage.text.split())}\"{where}", style="dim"))


def _passage(item: ReviewItem) -> Text:
    """The segment in its context, the segment itself bold and its matched words underlined."""
    text = Text("  ")
    if item.before:
        text.append(item.before + " ", style="dim")
    start = len(text)
    text.append(item.segment.text, style="bold")
    for word in item.segment.matched:
        for match in re.finditer(re.escape(word), item.segment.text, re.IGNORECASE):
            text.stylize("underline", start + match.start(), start + match.end())
    if item.after:
        text.append(" " + item.after, style="dim")
    return text


def _list_codes(console: Console, session: ReviewSession) -> None:
    entries = [f"{number:>2} {code.code_id}" for number, code in enumerate(session.guides.values(), start=1)]
    width = max(len(entry) for entry in entries) + 2
    columns = max(1, console.width // width)
    for row in range(0, len(entries), columns):
        console.print("".join(entry.ljust(width) for entry in entries[row : row + columns]), markup=False)

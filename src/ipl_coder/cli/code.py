"""``ipl-coder code``: pre-code transcripts into a project."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, error_console, output_console, print_findings, print_json
from ipl_coder.cli.freq import Status
from ipl_coder.errors import InputError
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.coding.project import CodeOptions, CodeRunResult
    from ipl_coder.learning.suggest import LearnedSuggester


class Unit(str, Enum):
    sentence = "sentence"
    paragraph = "paragraph"
    turn = "turn"
    exchange = "exchange"


def code_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            metavar="PATHS...",
            help="Transcript files, folders or glob patterns: .txt, .md, .docx, .vtt, .srt. Folders are searched "
            "recursively; hidden files and Word lock files (~$...) are left out.",
            show_default=False,
        ),
    ],
    codebook: Annotated[
        Path, typer.Option("--codebook", "-c", metavar="FILE", help="The YAML codebook whose rules suggest the codes.", show_default=False)
    ],
    project: Annotated[
        Path,
        typer.Option(
            "--project", "-p", metavar="FOLDER",
            help="The project folder. Created if missing; holds project.sqlite and the exported files.",
            show_default=False,
        ),
    ],  # fmt: skip
    unit: Annotated[
        Optional[Unit],
        typer.Option(
            help="What a match expands to, for codes that do not set their own 'unit': the sentence, the paragraph "
            "(a line of a turn), the speaker's whole turn, or the exchange (the interviewer's question and the answers "
            "to it). \\[default: the codebook's 'defaults: unit', else sentence]",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        Optional[str],
        typer.Option(
            metavar="NAME_OR_FOLDER",
            help="An installed spaCy pipeline (package name or folder) to use instead of the built-in "
            "blank pipeline, e.g. en_core_web_sm. Nothing is downloaded.",
            show_default=False,
        ),
    ] = None,
    interviewer: Annotated[
        Optional[list[str]],
        typer.Option(
            "--interviewer", metavar="LABEL",
            help="A speaker label that marks the interviewer, on top of the built-in ones "
            "(Interviewer, I, Q, Int, Moderator, Facilitator, Researcher, Intervjuer). Repeat for several.",
            show_default=False,
        ),
    ] = None,
    participants: Annotated[
        Optional[Path],
        typer.Option(
            metavar="FILE",
            help="A CSV or Excel (.xlsx) file describing who is in each transcript: a 'transcript' or 'id' column "
            "(the file name without its suffix) and any attributes, such as role, country, site, language. "
            "A 'speaker' column maps the speakers of a focus group to people. Kept in the project until replaced.",
            show_default=False,
        ),
    ] = None,
    status: Annotated[
        Optional[list[Status]],
        typer.Option(metavar="STATUS", help="Count and export segments with this status; repeat for several, e.g. "
                     "--status accepted for what people have confirmed. \\[default: pending and accepted]", show_default=False),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", metavar="", help="Exit with status 1 if any file was skipped (the others are still coded).")
    ] = False,
    follow_links: Annotated[
        bool, typer.Option("--follow-links", metavar="", help="Read links in a folder that point outside it (else they are skipped, with a note).")
    ] = False,
    jobs: Annotated[
        int,
        typer.Option(
            min=0, metavar="N",
            help="Worker processes for coding; 0 uses one per processor core, 1 codes in this process only.",
        ),
    ] = 0,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", metavar="", help="Tokenise and lemmatise every transcript afresh, and write no cache "
                     "(what is in PROJECT/cache stays as it is)."),
    ] = False,
    learned: Annotated[
        bool,
        typer.Option("--learned", metavar="", help="Also suggest what the project's learned model finds ('ipl-coder learn'): "
                     "origin 'model', with a score and why. Never replaces a rule's suggestion or a decision."),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", metavar="", help="Print nothing but errors.")] = False,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Pre-code transcripts with a codebook and store the suggestions in a project.

    Each transcript is split into speaker turns (see docs/transcripts.md for the
    layouts understood); every rule of the codebook is
    matched on words and their dictionary forms (lemmas); each match grows to its
    coding unit; and matches of one code in one unit become one [bold]segment[/]
    that lists the words and rules behind it. By default only participants'
    turns are coded, never the interviewer's.

    The project folder gets:

    The folder is created readable by you only (it holds whole interviews);
    make it readable by your group and new files follow (docs/reliability.md).

    • [bold]project.sqlite[/]  the store of record: transcripts, codebook versions, runs, segments, decisions

    • [bold]segments.csv[/]    one row per segment, with people's notes and the participant's attributes (opens in Excel, æøå included)

    • [bold]segments.jsonl[/]  the same keys and values, one JSON object per line, with JSON types

    • [bold]frequencies.csv[/] per code: parent, level, segments, transcripts, a column per transcript (a parent counts its sub-codes: sum level 0)

    • [bold]cache/[/]          words, sentences and lemmas of each transcript, so a run after a codebook edit only matches rules; safe to delete

    docs/exports.md describes every column.

    The files hold pending and accepted segments unless --status says otherwise;
    'ipl-coder review' and 'review import' rewrite them with the same choice.

    Running again (after editing the codebook, say) replaces the machine's pending
    suggestions. Segments a person has decided on are never deleted or changed.

    A file that cannot be read (empty, binary, an encoding that cannot be told)
    is reported in one line and skipped; the rest are coded (exit status 1
    when none could be, or with --strict when any was skipped). A transcript's
    language comes from its front matter or the participants file, else the
    codebook's, and picks the codebook's terms in that language.

    [bold]Examples[/]

      ipl-coder code sample_transcripts --codebook codebooks/ipl.yaml --project my-project

      ipl-coder code interviews/ --codebook ipl.yaml --project out --unit turn --interviewer KB

      ipl-coder code "zoom/*.vtt" -c ipl.yaml -p out --participants participants.xlsx --strict
    """
    from ipl_coder.coding.project import CodeOptions, code_transcripts
    from ipl_coder.store import COUNTED_STATUSES

    options = CodeOptions(
        unit=unit.value if unit else None, model=model, interviewer_labels=tuple(interviewer or ()), jobs=jobs, participants=participants,
        follow_links=follow_links, cache=not no_cache,
        statuses=tuple(item.value for item in status) if status else COUNTED_STATUSES,
        learned=_learned(project, codebook, unit.value if unit else None, quiet or as_json, not no_cache) if learned else None,
    )
    show_progress = not quiet and not as_json
    if show_progress:
        result = _with_progress_bar(paths, codebook, project, options)
    else:
        result = code_transcripts(paths, codebook, project, options)
    if as_json:
        print_json(result.to_json())
    elif not quiet:
        _print_summary(result)
    if not result.coded:
        # Nothing was coded: a script or a Makefile must not read this run as a success.
        raise InputError(_nothing_coded(result))
    if strict and result.skipped:
        raise InputError(f"{count(len(result.skipped), 'file')} skipped and --strict is on; the others were coded")


def _nothing_coded(result: CodeRunResult) -> str:
    if not result.skipped:
        return "no transcript could be coded"
    first = result.skipped[0]
    others = f" (and {count(len(result.skipped) - 1, 'other file')} that could not be coded either)" if len(result.skipped) > 1 else ""
    return f"no transcript could be coded: {first.path} was skipped, {first.reason}{others}; fix or remove {'them' if others else 'it'} and run again"


def _learned(project: Path, codebook_path: Path, unit: str | None, quiet: bool, cache: bool) -> LearnedSuggester | None:
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding.doc_cache import CODEBOOKS_FOLDER, cache_folder
    from ipl_coder.learning.suggest import LearnedSuggester

    # As the run reads it: the copy saved in the project for the very same text, else only new patterns checked by spaCy.
    codebook = load_codebook(codebook_path, cache_folder(project) / CODEBOOKS_FOLDER if cache else None)
    suggester = LearnedSuggester.load(project, codebook, codebook.run_unit(unit), cache=cache)
    if suggester is None and not quiet:
        error_console.print(f"[yellow]Note[/] --learned: {escape(str(project))} has no learned model yet (run 'ipl-coder learn' "
                            "after reviewing some transcripts); these are the rules' suggestions only", soft_wrap=True)  # fmt: skip
    if suggester is not None and suggester.gone and not quiet:
        gone = ", ".join(f"'{code}'" for code in suggester.gone)
        error_console.print(f"[yellow]Note[/] --learned: the learned model suggests {escape(gone)}, which {escape(str(codebook_path))} "
                            "no longer has, so it suggests none of it; run 'ipl-coder learn' again to learn the codebook's codes "
                            "as they are now", soft_wrap=True)  # fmt: skip
    if suggester is not None and suggester.moved and not quiet:
        moved = ", ".join(f"'{code}' ({_place(was)} then, {_place(now)} now)" for code, was, now in suggester.moved)
        error_console.print(f"[yellow]Note[/] --learned: since 'ipl-coder learn', {escape(str(codebook_path))} moved {escape(moved)}; "
                            "a code's passages count for the codes above it, so the learned model's suggestions follow the old "
                            "tree; run 'ipl-coder learn' again to learn the codes where they are now", soft_wrap=True)  # fmt: skip
    return suggester


def _place(parent: str | None) -> str:
    return f"under '{parent}'" if parent else "at the top level"


def _with_progress_bar(paths: list[Path], codebook: Path, project: Path, options: CodeOptions) -> CodeRunResult:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ipl_coder.coding.project import code_transcripts

    columns = (TextColumn("Coding"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"))
    # On a pipe or in CI a live bar would only leave blank lines behind.
    with Progress(*columns, console=error_console, transient=True, disable=not error_console.is_terminal) as progress:
        task = progress.add_task("", total=None)

        def advance(done: int, total: int, name: str) -> None:
            progress.update(task, completed=done, total=total, description=name)

        return code_transcripts(paths, codebook, project, options, progress=advance)


def _print_summary(result: CodeRunResult) -> None:
    console = output_console()
    for skipped in result.skipped:
        error_console.print(f"[yellow]Skipped[/] {escape(f'{skipped.path}: {skipped.reason}')}", soft_wrap=True)
    for transcript in result.coded:
        print_findings(error_console, transcript.name, transcript.warnings, transcript.notes)
    for note in result.notes:
        error_console.print(f"[yellow]Note[/] {escape(note)}", soft_wrap=True)
    if not result.coded:
        return  # the error that follows says so
    table = Table(title=f"Codes suggested ({result.unit} units)", title_justify="left")
    table.add_column("code")
    table.add_column("label")
    table.add_column("segments", justify="right")
    table.add_column("transcripts", justify="right")
    for row in result.frequencies:
        table.add_row("  " * row.depth + row.code_id, escape(row.label), str(row.segments), f"{row.transcripts}/{len(result.coded)}")
    console.print(table)
    rate = result.words / result.seconds if result.seconds else 0
    learned = sum(item.learned for item in result.coded)
    from_model = f" ({learned} from the learned model)" if result.learned_model is not None else ""
    console.print(
        f"{count(len(result.coded), 'transcript')} coded, {len(result.skipped)} skipped, {count(result.segments, 'segment')}{from_model} "
        f"from {count(result.words, 'word')} in {result.seconds:.1f} s ({rate:,.0f} words/s) with {result.pipeline}."
    )
    statuses = " and ".join(result.counted_statuses)
    console.print(f"Counts include {statuses} segments. Project: {escape(str(result.project_dir))}")
    console.print("Files: " + ", ".join(path.name for path in result.exports))
    if result.cache:
        console.print(f"Cache: {result.cache.reused} of {count(len(result.coded), 'transcript')} reused, "
                      f"{_size(result.cache.size_bytes)} in {escape(str(result.cache.folder))} (safe to delete)")  # fmt: skip


def _size(size_bytes: int) -> str:
    return f"{size_bytes / 1_000_000:.1f} MB" if size_bytes >= 100_000 else f"{size_bytes / 1000:.0f} kB"

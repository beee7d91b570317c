"""``ipl-coder transcripts``: look at transcript files before coding them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import JsonOption, VerboseOption, output_console, print_json
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.transcripts.describe import TranscriptReport

transcripts_app = typer.Typer(
    help="Look at transcript files before coding them.", no_args_is_help=True, rich_markup_mode="rich"
)
PREVIEW = 70
# Shared with 'transcripts check': read files as 'code' reads them.
ParticipantsOption = Annotated[
    Optional[Path],
    typer.Option(metavar="FILE", help="A participants CSV or XLSX file: its speaker labels, languages and attributes are used "
                 "as 'ipl-coder code' uses them.", show_default=False),
]
InterviewerOption = Annotated[
    Optional[list[str]],
    typer.Option("--interviewer", metavar="LABEL", help="A speaker label that marks the interviewer, as for 'ipl-coder code'.",
                 show_default=False),
]


@transcripts_app.command("show", no_args_is_help=True)
def show_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A transcript file: .txt, .md, .docx, .vtt or .srt.", show_default=False)],
    participants: ParticipantsOption = None,
    interviewer: InterviewerOption = None,
    full: Annotated[bool, typer.Option("--full", metavar="", help="Show every turn's whole text, not its first words.")] = False,
    as_json: JsonOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Show how a transcript file is read: encoding, format, language, attributes and every turn.

    Use it to look closely at one file before coding it (for a whole folder,
    use 'ipl-coder transcripts check'): are the speakers found, is the
    interviewer recognised (role), are the timestamps read, is the text
    decoded right (look at æøå)? Offsets are the character positions that
    segments.csv and the project use.

    [bold]Examples[/]

      ipl-coder transcripts show interviews/NO-PSW-09.txt --participants participants.csv

      ipl-coder transcripts show zoom/meeting.vtt --interviewer "Jane Smith" --full
    """
    from ipl_coder.transcripts.describe import describe_transcript

    report = describe_transcript(path, tuple(interviewer or ()), participants)
    if as_json:
        print_json(_as_json(report))
    else:
        _print_report(report, full)


def _print_report(report: TranscriptReport, full: bool) -> None:
    console = output_console()
    transcript = report.transcript
    console.print(f"[bold]{escape(str(transcript.source_path))}[/]")
    words = sum(transcript.turn_word_counts)
    facts = [
        ("format", transcript.format), ("encoding", transcript.encoding),
        ("language", f"{report.language or '—'} ({report.language_source})"),
        ("size", f"{count(len(transcript.text), 'character')}, {count(words, 'word')}, {count(len(transcript.turns), 'turn')}"),
    ]  # fmt: skip
    facts += [(name, value) for name, value in report.attributes.items() if name.casefold() != "language"]
    for label, person in report.people.items():
        extra = {k: v for k, v in person.attributes.items() if report.attributes.get(k) != v}
        details = ", ".join(f"{k}={v}" for k, v in extra.items())
        facts.append((f"speaker {label or '(unlabelled)'}", f"participant {person.participant_id}" + (f"; {details}" if details else "")))
    for name, value in facts:
        console.print(f"  {escape(name + ':'):<12} {escape(value)}")  # a speaker label may hold '[/]'
    for warning in report.warnings:
        console.print(f"  [yellow]Warning[/] {escape(warning)}")
    for note in report.notes:
        console.print(f"  [cyan]Note[/] {escape(note)}")
    table = Table(show_edge=False, pad_edge=False)
    for heading, justify in (("#", "right"), ("time", "left"), ("speaker", "left"), ("role", "left"),
                             ("start", "right"), ("end", "right"), ("words", "right"), ("text", "left")):  # fmt: skip
        table.add_column(heading, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for turn, turn_words in zip(transcript.turns, transcript.turn_word_counts, strict=True):
        text = transcript.turn_text(turn)
        if not full and len(text) > PREVIEW:
            text = text[:PREVIEW].rsplit(" ", 1)[0] + " …"
        table.add_row(str(turn.number), turn.timestamp or "", escape(turn.speaker), turn.role, str(turn.start_char),
                      str(turn.end_char), str(turn_words), escape(" ".join(text.split()) if not full else text))  # fmt: skip
    console.print(table)


def _as_json(report: TranscriptReport) -> dict[str, Any]:
    transcript = report.transcript
    return {
        "path": str(transcript.source_path), "format": transcript.format, "encoding": transcript.encoding,
        "language": report.language, "language_source": report.language_source,
        "detected_language": transcript.detected_language.code if transcript.detected_language else None,
        "attributes": dict(report.attributes), "warnings": list(report.warnings), "notes": list(report.notes),
        "people": {label: {"participant": person.participant_id, "attributes": dict(person.attributes)}
                   for label, person in report.people.items()},
        "turns": [
            {"number": turn.number, "speaker": turn.speaker, "role": turn.role, "time": turn.timestamp,
             "start": turn.start_char, "end": turn.end_char, "words": words, "text": transcript.turn_text(turn)}
            for turn, words in zip(transcript.turns, transcript.turn_word_counts, strict=True)
        ],
    }  # fmt: skip

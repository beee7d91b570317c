"""Transcripts laid out as a Word table: ``Speaker | Text``, ``Time | Speaker | Text``, NVivo's ``Timespan | Content | Speaker``.

Transcription services and NVivo export turns as table rows. Such a table is
read as one ``[time] Speaker: text`` line per row, so the stored text reads like
any other transcript and every offset points into it; the speaker column's
labels are vouched for, so a participant who speaks once is still a speaker.
A table that does not look like turns (a header block of "Date | 3 March", say)
is left to be read cell by cell, as before.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ipl_coder.transcripts.plain import WELL_KNOWN, normalise_label

if TYPE_CHECKING:
    from docx.table import Table

TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
TIME_CELL = re.compile(rf"^\s*[\[(]?(?P<start>{TIME})[\])]?(?:\s*[-–—]\s*[\[(]?{TIME}[\])]?)?\s*$")
SPEAKER_HEADINGS = {"speaker", "speakers", "name", "navn", "taler", "person", "who", "talare", "deltaker"}
TEXT_HEADINGS = {"text", "transcript", "transcription", "content", "utterance", "tekst", "innhold", "transkripsjon", "what was said"}
TIME_HEADINGS = {"time", "timestamp", "timespan", "time stamp", "start", "tid", "tidskode", "timecode"}
NOT_IN_LABELS = re.compile(r"[:*<>\[\]?!,;\"“”]")
MIN_TEXT_WORDS = 4  # a turn table's text cells hold speech, not "3 March"


@dataclass(frozen=True)
class TableTurns:
    lines: list[str]
    speakers: frozenset[str]
    description: str  # for the note: which column is which


def table_turns(table: Table) -> TableTurns | None:
    """The table's rows as ``[time] Speaker: text`` lines, or None if it is not a table of turns."""
    rows = [_cells(row) for row in table.rows]
    widths = {len(row) for row in rows}
    if len(rows) < 2 or len(widths) != 1 or not 2 <= widths.pop() <= 4:
        return None
    header = [cell.strip().casefold().rstrip(":") for cell in rows[0]]
    has_header = any(cell in SPEAKER_HEADINGS | TEXT_HEADINGS | TIME_HEADINGS for cell in header)
    body = rows[1:] if has_header else rows
    columns = _columns(body, header if has_header else None)
    if columns is None:
        return None
    speaker_at, text_at, time_at = columns
    speakers = [_label(row[speaker_at]) for row in body]
    texts = [row[text_at].strip() for row in body]
    named_by_header = has_header and header[speaker_at] in SPEAKER_HEADINGS and header[text_at] in TEXT_HEADINGS
    repeated = any(count >= 2 for label, count in Counter(normalise_label(s) for s in speakers if s).items())
    well_known = any(WELL_KNOWN.match(normalise_label(s)) for s in speakers if s)
    speech = sum(len(text.split()) for text in texts) / max(1, sum(1 for text in texts if text))
    if not named_by_header and not ((repeated or well_known) and speech >= MIN_TEXT_WORDS):
        return None
    lines: list[str] = []
    for row, speaker, text in zip(body, speakers, texts, strict=True):
        if not text:
            continue
        if not speaker:
            lines.append(text)  # a row with no speaker goes on with the one before
            continue
        match = TIME_CELL.match(row[time_at]) if time_at is not None else None
        lines.append(f"[{match.group('start')}] {speaker}: {text}" if match else f"{speaker}: {text}")
    where = f"speaker in column {speaker_at + 1}, text in column {text_at + 1}"
    where += f", time in column {time_at + 1}" if time_at is not None else ""
    return TableTurns(lines, frozenset(s for s in speakers if s), f"a table of {len(body)} rows read as turns ({where})")


def _cells(row: object) -> list[str]:
    """A row's cell texts, a cell merged across columns counted once."""
    cells: list[str] = []
    last = None
    for cell in row.cells:  # type: ignore[attr-defined]
        if cell._tc is last:
            continue
        last = cell._tc
        cells.append("\n".join(paragraph.text for paragraph in cell.paragraphs).strip())
    return cells


def _columns(body: list[list[str]], header: list[str] | None) -> tuple[int, int, int | None] | None:
    """Which column holds the speaker, which the text and which (if any) the time."""
    width = len(body[0])
    filled = [[row[index] for row in body if row[index]] for index in range(width)]
    time_at = next((index for index in range(width) if filled[index] and
                    sum(bool(TIME_CELL.match(cell)) for cell in filled[index]) >= 0.8 * len(filled[index])), None)  # fmt: skip
    others = [index for index in range(width) if index != time_at]
    if header is not None:
        speaker_at = next((index for index in others if header[index] in SPEAKER_HEADINGS), None)
        text_at = next((index for index in others if header[index] in TEXT_HEADINGS), None)
    else:
        speaker_at = text_at = None
    short = [index for index in others if filled[index] and all(_is_short(cell) for cell in filled[index])]
    if speaker_at is None and short:
        speaker_at = min(short, key=lambda index: sum(len(cell) for cell in filled[index]) / len(filled[index]))
    if text_at is None:
        rest = [index for index in others if index != speaker_at]
        text_at = max(rest, key=lambda index: sum(len(cell) for cell in filled[index]), default=None)
    if speaker_at is None or text_at is None or speaker_at == text_at:
        return None
    leftover = [index for index in others if index not in (speaker_at, text_at)]
    if any(filled[index] for index in leftover):
        return None  # a column of notes or codes: dropping it would lose words, so read the cells as they are
    return speaker_at, text_at, time_at


def _is_short(cell: str) -> bool:
    return "\n" not in cell and len(cell) <= 40 and len(cell.split()) <= 4


def _label(cell: str) -> str:
    """The speaker cell as a label the line reader takes: no colon, brackets or sentence punctuation."""
    return " ".join(NOT_IN_LABELS.sub(" ", cell).split())

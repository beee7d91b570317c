"""Caption files (.vtt from Zoom and Teams, .srt) as speaker turns.

A speaker is named by a WebVTT voice tag (``<v Kari Nordmann>``, as Teams
writes it) or a ``Name: text`` prefix (as Zoom writes it); a cue that names no
one continues the previous speaker. Consecutive cues of one speaker merge into
one turn, which keeps the start time of its first cue. The transcript's text is
one ``Speaker: words`` line per turn, so offsets point into readable text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Turn
from ipl_coder.transcripts.plain import (
    SENTENCE_PUNCTUATION,
    interviewer_keys,
    is_interviewer_label,
    normalise_timestamp,
)

TIMING = re.compile(r"^\s*(?P<start>(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}")
VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+(?P<speaker>[^>]+)>")
# "Name: words"; "[laughs] words" is a sound, not a speaker, so brackets never name one.
NAME_PREFIX = re.compile(r"^\s*-?\s*(?P<label>[^\W_][^:\n\[\]]{0,39}?)\s*:\s+")
TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>")
SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION", "WEBVTT")
MAX_LABEL_WORDS = 4


@dataclass(frozen=True)
class Cue:
    start: str  # "HH:MM:SS"
    speaker: str | None
    text: str


@dataclass(frozen=True)
class CaptionText:
    text: str
    turns: tuple[Turn, ...]


class CaptionError(ValueError):
    """The file holds no caption cues."""


def read_captions(text: str, interviewer_labels: Iterable[str] = ()) -> CaptionText:
    """Turns from the normalised text of a .vtt or .srt file."""
    cues = list(_cues(text))
    if not cues:
        raise CaptionError("no caption cues found (no '00:00:01.000 --> 00:00:04.000' timing lines)")
    interviewers = interviewer_keys(interviewer_labels)
    merged: list[tuple[str | None, str, list[str]]] = []  # speaker, start, texts
    for cue in cues:
        speaker = cue.speaker if cue.speaker is not None else (merged[-1][0] if merged else None)
        if merged and merged[-1][0] == speaker:
            merged[-1][2].append(cue.text)
        else:
            merged.append((speaker, cue.start, [cue.text]))
    lines: list[str] = []
    turns: list[Turn] = []
    offset = 0
    for speaker, start, texts in merged:
        prefix = f"{speaker}: " if speaker else ""
        words = " ".join(texts)
        role = INTERVIEWER if speaker and is_interviewer_label(speaker, interviewers) else PARTICIPANT
        turns.append(Turn(len(turns) + 1, speaker or "", role, offset + len(prefix), offset + len(prefix) + len(words), start))
        lines.append(prefix + words)
        offset += len(prefix) + len(words) + 1
    return CaptionText("\n".join(lines) + "\n", tuple(turns))


def _cues(text: str) -> Iterator[Cue]:
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines or lines[0].split(" ", 1)[0].strip() in SKIPPED_BLOCKS:
            continue
        timing_index = next((index for index, line in enumerate(lines[:2]) if TIMING.match(line)), None)
        if timing_index is None:
            continue
        start = normalise_timestamp(TIMING.match(lines[timing_index]).group("start"))  # type: ignore[union-attr]
        yield from _cue_lines(start, lines[timing_index + 1 :])


def _cue_lines(start: str, lines: list[str]) -> Iterator[Cue]:
    """One cue per speaker within a cue's lines (a Teams cue may hold two voices)."""
    speaker: str | None = None
    texts: list[str] = []
    for line in lines:
        line_speaker, words = _speaker_and_words(line)
        if line_speaker is not None and line_speaker != speaker and texts:
            yield Cue(start, speaker, " ".join(texts))
            texts = []
        if line_speaker is not None:
            speaker = line_speaker
        if words:
            texts.append(words)
    if texts:
        yield Cue(start, speaker, " ".join(texts))


def _speaker_and_words(line: str) -> tuple[str | None, str]:
    voice = VOICE.search(line)
    speaker = " ".join(voice.group("speaker").split()) if voice else None
    words = html.unescape(TAG.sub("", line)).strip()
    if speaker is None:
        prefix = NAME_PREFIX.match(words)
        label = prefix.group("label").strip() if prefix else ""
        if prefix and len(label.split()) <= MAX_LABEL_WORDS and not SENTENCE_PUNCTUATION.search(label):
            speaker, words = " ".join(label.split()), words[prefix.end() :]
    return speaker, " ".join(words.split())

"""Speaker turns in transcripts read as plain text (.txt, .md and the text of .docx).

A turn starts on a label line and runs to the next one. Two kinds of label line
are recognised:

* ``Label: text``, ``<Label> text`` or ``**Label:** text``, with an optional
  timestamp before the label, between the label and its colon, or just after
  the colon: ``[00:01:23] Interviewer: ...``, ``Speaker 1 (00:01:23): ...``;
* a label alone on its line, the words following on the next lines, as Otter
  and Teams write them: ``Speaker 1  0:03``.

A candidate label counts when it is a well-known one (Interviewer, I, Q, R, P07,
Speaker 2, ...), an interviewer label, one the caller vouches for (bold in a
Word file), a capitalised label that opens lines at least twice in the file, or
a name of several capitalised words ("Dr. Hansen"). A label alone on a line
needs more: a timestamp, a well-known or vouched-for label, or a repeated name.
That keeps "What she said was: no" and a one-word line from becoming speakers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Turn

DEFAULT_INTERVIEWER_LABELS = ("interviewer", "i", "q", "int", "moderator", "facilitator", "researcher", "intervjuer")
TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
TIMESTAMP = rf"(?:\[{TIME}\]|\({TIME}\)|{TIME})"
BOLD = r"(?:\*\*|__)?"
LABEL = r"(?P<label>[^\W_][^:\n*<>\[\]]{0,39}?)"
# Label, then a colon followed by a space or the line's end (so "10:30" and "http://" are not labels).
COLON_LABEL = re.compile(
    rf"^[ \t]*(?:(?P<before>{TIMESTAMP})[ \t]+)?{BOLD}{LABEL}[ \t]*{BOLD}[ \t]*(?:(?P<between>{TIMESTAMP})[ \t]*)?"
    rf"{BOLD}:{BOLD}(?:[ \t]+(?:(?P<after>{TIMESTAMP})(?:[ \t]+|$))?|$)"
)
TAG_LABEL = re.compile(rf"^[ \t]*(?:(?P<before>{TIMESTAMP})[ \t]+)?<(?P<label>[^<>\n/]{{1,30}})>[ \t]*")
LONE_LABEL = re.compile(
    rf"^[ \t]*(?:(?P<before>{TIMESTAMP})[ \t]+)?{BOLD}{LABEL}{BOLD}(?:[ \t]+(?P<between>{TIMESTAMP}))?[ \t]*$"
)
WELL_KNOWN = re.compile(
    r"^(?:interviewer|interviewee|respondent|participant|moderator|facilitator|speaker|person|"
    r"informant|deltaker|intervjuer|i|q|a|r|int|p|ip|resp)[ \t]*\d{0,3}$|^[a-z]{1,3}\d{1,3}$",
    re.IGNORECASE,
)
SENTENCE_PUNCTUATION = re.compile(r"[?!,;\"“”]")
MAX_LABEL_WORDS = 4


@dataclass(frozen=True)
class _LabelLine:
    line_start: int  # offset of the line in the text
    label: str
    body_start: int  # offset where the turn's words begin
    alone: bool  # the label is alone on its line
    timestamp: str | None


def normalise_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def normalise_timestamp(value: str) -> str:
    """``[1:23]``, ``(00:01:23.450)`` and ``0:01:23,4`` all become ``00:01:23``."""
    parts = [int(part) for part in re.split(r"[:.,]", value.strip("[]() "))[:3] if part]
    if not re.search(r"\d:\d{2}:\d{2}", value):
        parts = [0, *parts[:2]]  # minutes and seconds only
    hours, minutes, seconds = parts[0], parts[1], parts[2]
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def _candidate(line: str, line_start: int) -> _LabelLine | None:
    match = TAG_LABEL.match(line) or COLON_LABEL.match(line)
    alone = False
    if not match:
        match, alone = LONE_LABEL.match(line), True
        if not match:
            return None
    label = " ".join(match.group("label").split())
    if len(label.split()) > MAX_LABEL_WORDS or SENTENCE_PUNCTUATION.search(label) or (alone and label.endswith(".")):
        return None
    groups = match.groupdict()
    stamp = next((groups[key] for key in ("before", "between", "after") if groups.get(key)), None)
    return _LabelLine(
        line_start, label, line_start + match.end() + (1 if alone else 0), alone,
        normalise_timestamp(stamp) if stamp else None,
    )  # fmt: skip


def _lines(text: str) -> Iterable[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def split_turns(text: str, interviewer_labels: Iterable[str] = (), vouched_labels: Iterable[str] = ()) -> tuple[Turn, ...]:
    """The speaker turns of normalised ``text``; empty if no line carries a speaker label.

    ``vouched_labels`` are labels the caller knows to be speakers (bold in a Word
    file, say), accepted even where they appear only once.
    """
    interviewers = interviewer_keys(interviewer_labels)
    vouched = {normalise_label(label) for label in vouched_labels}
    candidates = [c for offset, line in _lines(text) if (c := _candidate(line, offset))]
    uses = Counter(normalise_label(c.label) for c in candidates)

    def is_label(candidate: _LabelLine) -> bool:
        key = normalise_label(candidate.label)
        if key in interviewers or key in vouched or WELL_KNOWN.match(key):
            return True
        if not candidate.label[0].isupper():
            return False
        if candidate.alone:
            # A line of its own is a label only with a timestamp or when it recurs as a name.
            return candidate.timestamp is not None or (uses[key] >= 2 and (_looks_like_a_name(candidate.label) or candidate.label.isupper()))
        # A name such as "Dr. Hansen" counts even when it speaks only once.
        return uses[key] >= 2 or _looks_like_a_name(candidate.label)

    label_lines = [c for c in candidates if is_label(c)]
    turns: list[Turn] = []
    for index, label_line in enumerate(label_lines):
        next_start = label_lines[index + 1].line_start if index + 1 < len(label_lines) else len(text)
        body_start = min(label_line.body_start, next_start)
        body = text[body_start:next_start]
        start = body_start + (len(body) - len(body.lstrip()))
        end = body_start + len(body.rstrip())
        if end <= start:
            continue  # a label with nothing said
        role = INTERVIEWER if is_interviewer_label(label_line.label, interviewers) else PARTICIPANT
        turns.append(Turn(len(turns) + 1, label_line.label, role, start, end, label_line.timestamp))
    return tuple(turns)


def _looks_like_a_name(label: str) -> bool:
    words = label.split()
    return len(words) >= 2 and all(word[0].isupper() or word[0].isdigit() for word in words)


def interviewer_keys(interviewer_labels: Iterable[str] = ()) -> set[str]:
    return {normalise_label(label) for label in (*DEFAULT_INTERVIEWER_LABELS, *interviewer_labels)}


def is_interviewer_label(label: str, interviewers: set[str]) -> bool:
    key = normalise_label(label)
    # "Interviewer 2" and "Q1" are still the interviewer.
    return key in interviewers or key.rstrip("0123456789 ") in interviewers

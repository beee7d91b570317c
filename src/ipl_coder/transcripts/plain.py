"""Speaker turns in plain-text and Markdown transcripts.

A turn starts on a line ``Label: text`` (or ``<Label> text``); every following
line up to the next label belongs to it. A candidate label counts when it is a
well-known one (Interviewer, I, Q, R, P07, Speaker 2, ...), a configured
interviewer label, a capitalised label that opens lines at least twice in the
file, or a name of several capitalised words ("Dr. Hansen"). That keeps a
sentence such as "What she said was: no" from becoming a speaker.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ipl_coder.transcripts import INTERVIEWER, PARTICIPANT, Turn

DEFAULT_INTERVIEWER_LABELS = ("interviewer", "i", "q", "int", "moderator", "facilitator", "researcher")
# Label, then a colon followed by a space or the line's end (so "10:30" and "http://" are not labels).
COLON_LABEL = re.compile(
    r"^[ \t]*(?:\*\*|__)?(?P<label>[^\W_][^:\n*<>]{0,39}?)[ \t]*(?:\*\*|__)?:(?:\*\*|__)?(?:[ \t]+|$)"
)
TAG_LABEL = re.compile(r"^[ \t]*<(?P<label>[^<>\n/]{1,30})>[ \t]*")
WELL_KNOWN = re.compile(
    r"^(?:interviewer|interviewee|respondent|participant|moderator|facilitator|speaker|person|"
    r"i|q|a|r|int|p|ip|resp)[ \t]*\d{0,3}$|^[a-z]{1,3}\d{1,3}$",
    re.IGNORECASE,
)
SENTENCE_PUNCTUATION = re.compile(r"[?!,;\"“”]")
MAX_LABEL_WORDS = 4


@dataclass(frozen=True)
class _LabelLine:
    line_start: int  # offset of the line in the text
    label: str
    body_start: int  # offset where the turn's words begin


def _normalise_label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _candidate(line: str, line_start: int) -> _LabelLine | None:
    match = TAG_LABEL.match(line) or COLON_LABEL.match(line)
    if not match:
        return None
    label = " ".join(match.group("label").split())
    if len(label.split()) > MAX_LABEL_WORDS or SENTENCE_PUNCTUATION.search(label):
        return None
    return _LabelLine(line_start, label, line_start + match.end())


def _lines(text: str) -> Iterable[tuple[int, str]]:
    offset = 0
    for line in text.split("\n"):
        yield offset, line
        offset += len(line) + 1


def split_turns(text: str, interviewer_labels: Iterable[str] = ()) -> tuple[Turn, ...]:
    """The speaker turns of normalised ``text``; empty if no line carries a speaker label."""
    interviewers = {_normalise_label(label) for label in (*DEFAULT_INTERVIEWER_LABELS, *interviewer_labels)}
    candidates = [c for offset, line in _lines(text) if (c := _candidate(line, offset))]
    uses = Counter(_normalise_label(c.label) for c in candidates)

    def is_label(candidate: _LabelLine) -> bool:
        key = _normalise_label(candidate.label)
        if key in interviewers or WELL_KNOWN.match(key):
            return True
        if not candidate.label[0].isupper():
            return False
        # A name such as "Dr. Hansen" counts even when it speaks only once.
        return uses[key] >= 2 or _looks_like_a_name(candidate.label)

    label_lines = [c for c in candidates if is_label(c)]
    turns: list[Turn] = []
    for index, label_line in enumerate(label_lines):
        next_start = label_lines[index + 1].line_start if index + 1 < len(label_lines) else len(text)
        body = text[label_line.body_start : next_start]
        start = label_line.body_start + (len(body) - len(body.lstrip()))
        end = label_line.body_start + len(body.rstrip())
        if end <= start:
            continue  # a label with nothing said; a later issue maps label-only lines
        role = INTERVIEWER if _is_interviewer(label_line.label, interviewers) else PARTICIPANT
        turns.append(Turn(len(turns) + 1, label_line.label, role, start, end))
    return tuple(turns)


def _looks_like_a_name(label: str) -> bool:
    words = label.split()
    return len(words) >= 2 and all(word[0].isupper() for word in words)


def _is_interviewer(label: str, interviewers: set[str]) -> bool:
    key = _normalise_label(label)
    # "Interviewer 2" and "Q1" are still the interviewer.
    return key in interviewers or key.rstrip("0123456789 ") in interviewers

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
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace

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
# Words that start sentences, never names or roles (English, Norwegian, Swedish, Danish): "What she said was: no".
FUNCTION_WORDS = frozenset("""
a an the and or but so if then than as at by for from in into of on to with about not no yes also just only all
i you he she it we they me him her us them my your his its our their this that these those there here what who
whom which when where why how is are was were be been am do does did have has had will would can could should
may might must said says say told asked answered replied thought think well like one some
jeg du han hun det den vi dere de meg deg seg oss dem min din hva hvem hvor hvorfor hvordan når som er var har
hadde kan skal vil må ikke og eller men så om at på til med av fra en et ei sa sier spurte svarte
jag hon vad och inte är hade sade mig dig oss vår
""".split())
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


@dataclass(frozen=True)
class UnreadLabel:
    """A line that opens like a speaker label but was not taken as one."""

    label: str
    line: int  # 1-based


@dataclass(frozen=True)
class TurnReading:
    turns: tuple[Turn, ...]
    notes: tuple[str, ...] = ()  # how an ambiguity was settled, for the researcher to confirm
    unread_labels: tuple[UnreadLabel, ...] = ()  # after the first turn only: a header's "Date:" is not one


def split_turns(text: str, interviewer_labels: Iterable[str] = (), vouched_labels: Iterable[str] = ()) -> tuple[Turn, ...]:
    """The speaker turns of normalised ``text``; empty if no line carries a speaker label."""
    return read_turns(text, interviewer_labels, vouched_labels).turns


def read_turns(text: str, interviewer_labels: Iterable[str] = (), vouched_labels: Iterable[str] = ()) -> TurnReading:
    """The speaker turns of normalised ``text``, with notes on what was decided and the label-like lines left out.

    ``vouched_labels`` are labels the caller knows to be speakers (bold in a Word
    file, say), accepted even where they appear only once.
    """
    given = {normalise_label(label) for label in interviewer_labels}
    interviewers = interviewer_keys(given)
    vouched = {normalise_label(label) for label in vouched_labels}
    candidates = [c for offset, line in _lines(text) if (c := _candidate(line, offset))]
    uses = Counter(normalise_label(c.label) for c in candidates)
    known = [c for c in candidates if _is_label(c, uses, interviewers | vouched)]
    answers = _answers_by_name(candidates, known, uses, interviewers)
    label_lines = sorted([*known, *answers], key=lambda c: c.line_start)
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
    settled, notes = _one_default_interviewer(text, turns, given)
    if answers:
        named = ", ".join(f"'{c.label}' (line {text.count(chr(10), 0, c.line_start) + 1})" for c in answers[:3])
        more = f" and {len(answers) - 3} more" if len(answers) > 3 else ""
        notes.append(f"read {named}{more} as a speaker: used once, but answering the interviewer")
    first_turn = label_lines[0].line_start if label_lines else len(text)
    taken = {c.line_start for c in label_lines}
    unread = tuple(
        UnreadLabel(c.label, text.count("\n", 0, c.line_start) + 1) for c in candidates
        if c.line_start > first_turn and not c.alone and c.line_start not in taken and _reads_as_a_label(c.label)
    )  # fmt: skip
    return TurnReading(tuple(settled), tuple(notes), unread)


def _is_label(candidate: _LabelLine, uses: Counter[str], known_labels: set[str]) -> bool:
    key = normalise_label(candidate.label)
    if key in known_labels or WELL_KNOWN.match(key):
        return True
    if not candidate.label[0].isupper():
        return False
    if candidate.alone:
        # A line of its own is a label only with a timestamp or when it recurs as a name.
        return candidate.timestamp is not None or (uses[key] >= 2 and (_looks_like_a_name(candidate.label) or candidate.label.isupper()))
    # A name such as "Dr. Hansen" counts even when it speaks only once.
    return uses[key] >= 2 or _looks_like_a_name(candidate.label)


def _answers_by_name(candidates: list[_LabelLine], known: list[_LabelLine], uses: Counter[str],
                     interviewers: set[str]) -> list[_LabelLine]:  # fmt: skip
    """Labels used once that answer the interviewer: "Daniel: ..." between two of the interviewer's turns.

    The label must read as a name or a role (no "what", "she", "was": so "What
    she said was: no" stays speech), and the nearest known labels around it must
    be the interviewer's, before it and after it (or the file ends).
    """
    starts = [c.line_start for c in known]  # in order, as the candidates are
    taken = set(starts)
    answers = []
    for candidate in candidates:
        if candidate.line_start in taken or candidate.alone or uses[normalise_label(candidate.label)] != 1:
            continue
        if not _reads_as_a_label(candidate.label):
            continue
        place = bisect_left(starts, candidate.line_start)
        asked = place > 0 and is_interviewer_label(known[place - 1].label, interviewers)
        if asked and (place == len(known) or is_interviewer_label(known[place].label, interviewers)):
            answers.append(candidate)
    return answers


def _reads_as_a_label(label: str) -> bool:
    """A name or a role ("Daniel", "Peer worker", "Nurse 2"), not the start of a sentence."""
    words = label.split()
    return (label[0].isupper() and len(words) <= 3 and not label.endswith(".")
            and not any(word.casefold().strip("'’") in FUNCTION_WORDS for word in words))  # fmt: skip


def _one_default_interviewer(text: str, turns: list[Turn], given: set[str]) -> tuple[list[Turn], list[str]]:
    """With two built-in interviewer labels ("Interviewer" and "Researcher"), the one who asks is the interviewer.

    The label whose turns ask the most questions (a "?") is kept; on a tie, the
    one who speaks first. The others become participants, and a note says so.
    Labels the researcher gave (``--interviewer``, front matter) are never changed.
    """
    bases: dict[str, list[Turn]] = {}
    for turn in turns:
        key = normalise_label(turn.speaker)
        base = key.rstrip("0123456789 ") or key
        if turn.role == INTERVIEWER and key not in given and base not in given:
            bases.setdefault(base, []).append(turn)
    if len(bases) < 2:
        return turns, []
    questions = {base: sum("?" in text[turn.start_char : turn.end_char] for turn in owned) for base, owned in bases.items()}
    chosen = max(bases, key=lambda base: (questions[base], -bases[base][0].number))
    others = [base for base in bases if base != chosen]
    label = bases[chosen][0].speaker
    dropped = {turn.number for base in others for turn in bases[base]}
    settled = [replace(turn, role=PARTICIPANT) if turn.number in dropped else turn for turn in turns]
    other_labels = ", ".join(f"'{bases[base][0].speaker}'" for base in others)
    count = {2: "two", 3: "three"}.get(len(bases), str(len(bases)))
    read_as = "a participant" if len(others) == 1 else "participants"
    note = (f"{count} interviewer labels: took '{label}' as the interviewer (it asks {questions[chosen]} of the "
            f"{sum(questions.values())} questions) and read {other_labels} as {read_as}; "
            "if both interview, name each with --interviewer or 'interviewer:' in the front matter")  # fmt: skip
    return settled, [note]


def _looks_like_a_name(label: str) -> bool:
    words = label.split()
    return len(words) >= 2 and all(word[0].isupper() or word[0].isdigit() for word in words)


def interviewer_keys(interviewer_labels: Iterable[str] = ()) -> set[str]:
    return {normalise_label(label) for label in (*DEFAULT_INTERVIEWER_LABELS, *interviewer_labels)}


def is_interviewer_label(label: str, interviewers: set[str]) -> bool:
    key = normalise_label(label)
    # "Interviewer 2" and "Q1" are still the interviewer.
    return key in interviewers or key.rstrip("0123456789 ") in interviewers

"""Reviewing the machine's suggestions one at a time: the plain logic behind ``ipl-coder review``.

A :class:`ReviewSession` never prints: the CLI shows :meth:`ReviewSession.current`
and calls one method per key. Every decision is stored the moment it is made,
so quitting (or a crash) loses nothing, and the next session resumes after the
coder's latest decision. A coder sees only their own decisions: two people can
review the same suggestions blind, for the agreement figures.
"""

from __future__ import annotations

import difflib
import getpass
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.codebook.model import Codebook
from ipl_coder.errors import InputError, ProjectError
from ipl_coder.store import (
    CoderView,
    NewDecision,
    Passage,
    ProjectStore,
    SegmentRow,
    TranscriptRow,
)

CODER_VARIABLE = "IPL_CODER_CODER"  # who is coding, when --coder is not given
SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def coder_name(given: str | None = None) -> str:
    """--coder, else $IPL_CODER_CODER, else the user name this computer knows."""
    for candidate in (given, os.environ.get(CODER_VARIABLE)):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - getpass raises different errors on different systems
        raise InputError(f"cannot tell who you are: give your name with --coder or set {CODER_VARIABLE}") from None


@dataclass(frozen=True)
class ReviewScope:
    code_ids: tuple[str, ...] = ()  # with their sub-codes; none means every code
    transcript: str | None = None
    statuses: tuple[str, ...] = ("pending",)  # the coder's own: pending means "not decided by me yet"


@dataclass(frozen=True)
class CodeGuide:
    """What a reviewer needs to know about a code to judge a passage."""

    code_id: str
    label: str
    definition: str = ""
    include: str = ""
    exclude: str = ""


@dataclass(frozen=True)
class ReviewItem:
    segment: SegmentRow
    guide: CodeGuide
    before: str  # the sentences before it in its turn
    after: str  # the sentence after it in its turn
    previous_turn: tuple[str, str] | None  # speaker and words of the turn before, when the segment opens its turn
    view: CoderView | None  # where this coder stands on it


@dataclass(frozen=True)
class CodeProgress:
    code_id: str
    done: int
    left: int


@dataclass(frozen=True)
class ReviewProgress:
    done: int
    left: int
    per_code: tuple[CodeProgress, ...]


class ReviewSession:
    def __init__(self, store: ProjectStore, coder: str, scope: ReviewScope, codebook: Codebook | None) -> None:
        self.store, self.coder, self.scope = store, coder, scope
        self.guides = _guides(codebook, store)
        unknown = [code_id for code_id in scope.code_ids if code_id not in self.guides]
        if unknown:
            raise InputError(f"no code '{unknown[0]}' in the project's codebook{did_you_mean(unknown[0], self.guides)}")
        if scope.transcript is not None and store.transcript(scope.transcript) is None:
            names = [row.name for row in store.transcripts()]
            raise InputError(f"no transcript '{scope.transcript}' in the project{did_you_mean(scope.transcript, names)}")
        wanted = with_sub_codes(scope.code_ids, codebook) if scope.code_ids else None
        self.segments = {
            segment.segment_id: segment
            for segment in store.segments(None, transcript=scope.transcript)
            if segment.origin != "human" and (wanted is None or segment.code_id in wanted)
        }
        self.views = store.coder_views(coder)
        queue = [segment_id for segment_id in self.segments if self._status(segment_id) in scope.statuses]
        last = store.last_decided_segment(coder)
        self.queue = _resume_order(queue, self.segments, store.segment(last) if last else None)
        self.position = 0
        self.decisions_made = 0
        self._transcript: TranscriptRow | None = None

    def _status(self, segment_id: str) -> str:
        view = self.views.get(segment_id)
        return view.status if view else "pending"

    def current(self) -> ReviewItem | None:
        if self.position >= len(self.queue):
            return None
        segment = self.segments[self.queue[self.position]]
        if self._transcript is None or self._transcript.name != segment.transcript:
            self._transcript = self.store.transcript(segment.transcript)
        assert self._transcript is not None
        before, after, previous_turn = _context(self.store, self._transcript, segment)
        guide = self.guides.get(segment.code_id) or CodeGuide(segment.code_id, segment.code_id, "(not in the current codebook)")
        return ReviewItem(segment, guide, before, after, previous_turn, self.views.get(segment.segment_id))

    def progress(self) -> ReviewProgress:
        done, left = Counter[str](), Counter[str]()
        for segment_id, segment in self.segments.items():
            (left if self._status(segment_id) == "pending" else done)[segment.code_id] += 1
        per_code = tuple(CodeProgress(code_id, done[code_id], left[code_id]) for code_id in self.guides
                         if done[code_id] or left[code_id])  # fmt: skip
        return ReviewProgress(sum(done.values()), sum(left.values()), per_code)

    def accept(self, note: str | None = None) -> str:
        return self._decide("accept", note=note)

    def reject(self, note: str | None = None) -> str:
        return self._decide("reject", note=note)

    def recode(self, code_id: str, note: str | None = None) -> str:
        return self._decide("recode", new_code_id=self.resolve_code(code_id), note=note)

    def note(self, text: str) -> str:
        if not text.strip():
            return "No note written."
        self._record(NewDecision(self.coder, "note", self._current_id(), note=text.strip()))
        return "Note saved."

    def add_code(self, code_id: str, quote: str | None = None) -> str:
        """Give another code to this segment's passage, or to the quoted words near it."""
        item = self.current()
        if item is None:
            raise InputError("there is no segment on screen to add a code to")
        code = self.resolve_code(code_id)
        passage, where = None, "this passage"
        if quote and quote.strip():
            assert self._transcript is not None  # current() loaded it
            start, end = find_passage(self._transcript.text, quote, near=item.segment.start_char)
            passage, where = Passage(item.segment.transcript, start, end), f"'{_shorten(self._transcript.text[start:end])}'"
        accepted_with = self._record(NewDecision(self.coder, "add", item.segment.segment_id, code, passage=passage))
        accepted_with.discard(item.segment.segment_id)
        self._leave_out(accepted_with, after=self.position + 1)
        return f"Added {code} to {where}" + self._accepted_with(accepted_with, "there") + "."

    def skip(self) -> str:
        self.position += 1
        return "Skipped; it stays pending."

    def undo(self) -> str:
        undone = self.store.undo_last_decision(self.coder)
        if undone is None:
            return "Nothing to undo."
        changed = self._refresh_views()
        self.decisions_made += 1
        segment_id = undone.segment_id
        # The undone segment is shown again, to decide afresh, then any suggestion it had decided along with it.
        again = [segment_id] if segment_id in self.segments else []
        again += sorted((other for other in changed - {segment_id} if self._status(other) in self.scope.statuses),
                        key=lambda other: _reading_order(self.segments[other]))  # fmt: skip
        self.queue[self.position :] = again + [other for other in self.queue[self.position :] if other not in again]
        undone_segment = self.store.segment(segment_id)
        code_id = undone_segment.code_id if undone_segment else segment_id
        if undone.decision == "add":
            return f"Took back the {code_id} code you added."
        return f"Undid your {undone.decision} on {code_id}."

    def resolve_code(self, answer: str) -> str:
        """A code from its number in :attr:`guides`, its id, or the start of its id or label."""
        answer = answer.strip()
        codes = list(self.guides.values())
        if answer.isdigit() and 1 <= int(answer) <= len(codes):
            return codes[int(answer) - 1].code_id
        if answer in self.guides:
            return answer
        starts = [code.code_id for code in codes
                  if code.code_id.casefold().startswith(answer.casefold()) or code.label.casefold().startswith(answer.casefold())]  # fmt: skip
        if answer and len(starts) == 1:
            return starts[0]
        hint = f"; it could be {', '.join(starts[:5])}" if starts else did_you_mean(answer, self.guides)
        raise InputError(f"no code '{answer}'{hint}")

    def _decide(self, decision: str, *, new_code_id: str | None = None, note: str | None = None) -> str:
        segment_id = self._current_id()
        accepted_with = self._record(NewDecision(self.coder, decision, segment_id, new_code_id, note.strip() if note else None))
        accepted_with.discard(segment_id)
        self.queue.pop(self.position)
        self._leave_out(accepted_with, after=self.position)
        done = {"accept": "Accepted", "reject": "Rejected"}.get(decision, f"Recoded to {new_code_id}")
        return done + self._accepted_with(accepted_with, "on this passage") + "."

    def _leave_out(self, decided: set[str], after: int) -> None:
        """Segments a decision decided along with another (a recode accepts the right code) are not shown, unless still in scope."""
        self.queue[after:] = [segment_id for segment_id in self.queue[after:]
                              if segment_id not in decided or self._status(segment_id) in self.scope.statuses]  # fmt: skip

    def _accepted_with(self, segment_ids: set[str], where: str) -> str:
        """Names the machine's suggestions a recode or an added code accepted too, so that the progress adds up."""
        if not segment_ids:
            return ""
        codes = ", ".join(sorted({self.segments[segment_id].code_id for segment_id in segment_ids}))
        if len(segment_ids) == 1:
            return f"; the {codes} suggestion {where} is accepted with it"
        return f"; the {codes} suggestions {where} are accepted with it"

    def _record(self, decision: NewDecision) -> set[str]:
        """Store the decision; the segments in view whose status it changed (a recode or an add can accept another)."""
        self.store.record_decisions([decision])
        self.decisions_made += 1
        return self._refresh_views()

    def _refresh_views(self) -> set[str]:
        """Read this coder's decisions again; the segments in view whose status changed."""
        before = {segment_id: self._status(segment_id) for segment_id in self.views}
        self.views = self.store.coder_views(self.coder)
        return {segment_id for segment_id in before.keys() | self.views.keys()
                if segment_id in self.segments and before.get(segment_id, "pending") != self._status(segment_id)}  # fmt: skip

    def _current_id(self) -> str:
        if self.position >= len(self.queue):
            raise InputError("there is no segment on screen to decide on")
        return self.queue[self.position]


def find_passage(text: str, quote: str, near: int | None = None) -> tuple[int, int]:
    """Where the quoted words are in the transcript, ignoring case and spacing; the nearest if ``near``, else the only one."""
    words = quote.strip().strip("\"'“”‘’«»").split()
    if not words:
        raise InputError("the quoted text is empty")
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words), re.IGNORECASE)
    found = [(match.start(), match.end()) for match in pattern.finditer(text)]
    if not found:
        raise InputError(f"'{_shorten(quote)}' is not in the transcript; copy the words exactly")
    if near is not None:
        return min(found, key=lambda span: abs(span[0] - near))
    if len(found) > 1:
        raise InputError(f"'{_shorten(quote)}' is in the transcript {len(found)} times; quote more words, or give start and end")
    return found[0]


def _guides(codebook: Codebook | None, store: ProjectStore) -> dict[str, CodeGuide]:
    if codebook is not None:
        return {code.code_id: CodeGuide(code.code_id, code.label, code.definition, code.include, code.exclude)
                for code in codebook.codes}  # fmt: skip
    return {code.code_id: CodeGuide(code.code_id, code.label) for code in store.latest_codes()}


def with_sub_codes(code_ids: tuple[str, ...], codebook: Codebook | None) -> set[str]:
    """The codes and all their sub-codes (known only from the codebook)."""
    wanted = set(code_ids)
    if codebook is not None:
        known = {code.code_id for code in codebook.codes}
        for code_id in code_ids:
            wanted |= {code.code_id for code in codebook.descendants(code_id)} if code_id in known else set()
    return wanted


def _resume_order(queue: list[str], segments: dict[str, SegmentRow], last_decided: SegmentRow | None) -> list[str]:
    """Start after the segment decided last, then come back round to any skipped before it."""
    if last_decided is None:
        return queue
    mark = _reading_order(last_decided)
    after = [segment_id for segment_id in queue if _reading_order(segments[segment_id]) > mark]
    return after + [segment_id for segment_id in queue if _reading_order(segments[segment_id]) <= mark]


def _reading_order(segment: SegmentRow) -> tuple[str, int, int, str]:
    return segment.transcript, segment.start_char, segment.end_char, segment.code_id


def _context(store: ProjectStore, transcript: TranscriptRow, segment: SegmentRow) -> tuple[str, str, tuple[str, str] | None]:
    turns = store.turns(transcript.transcript_id)
    turn = next((turn for turn in turns if turn.start_char <= segment.start_char < turn.end_char), None)
    if turn is None:
        return "", "", None
    before = SENTENCE_END.split(transcript.text[turn.start_char : segment.start_char].strip())
    after = SENTENCE_END.split(transcript.text[segment.end_char : turn.end_char].strip())
    previous_turn = None
    if not "".join(before) and turn.number > 1:
        previous = next((item for item in turns if item.number == turn.number - 1), None)
        if previous is not None:
            words = SENTENCE_END.split(transcript.text[previous.start_char : previous.end_char].strip())
            previous_turn = (previous.speaker, _shorten(" ".join(words[-2:]), 300, from_end=True))
    return _shorten(" ".join(before[-2:]), 400, from_end=True), _shorten(after[0] if after else "", 300), previous_turn


def _shorten(text: str, width: int = 60, *, from_end: bool = False) -> str:
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    return "…" + text[-width + 1 :] if from_end else text[: width - 1] + "…"


def did_you_mean(name: str, known: Iterable[str]) -> str:
    guess = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean '{guess[0]}'?" if guess else ""


def open_codebook(store: ProjectStore) -> Codebook | None:
    """The codebook the project's segments are under, from the copy in the store (the file may have moved)."""
    from ipl_coder.codebook.schema import parse_codebook_text

    stored = store.current_codebook()
    if stored is None:
        return None
    try:
        return parse_codebook_text(stored.yaml_text, Path(stored.source_path), stored=True)
    except Exception:  # noqa: BLE001 - a codebook stored by an older ipl-coder may not parse now; labels will do
        return None


@dataclass(frozen=True)
class FinishedReview:
    decisions_made: int
    progress: ReviewProgress
    exports: list[Path]  # rewritten, when anything was decided


@contextmanager
def open_review(project_dir: Path, coder: str, scope: ReviewScope) -> Iterator[ReviewSession]:
    with ProjectStore.open(project_dir, lock="shared") as store:
        if store.latest_run() is None:
            raise ProjectError(f"{project_dir}: nothing to review yet; run 'ipl-coder code' first")
        yield ReviewSession(store, coder, scope, open_codebook(store))


def finish_review(session: ReviewSession) -> FinishedReview:
    """Rewrite the project's exports so they show the session's decisions, counting what the latest run counted."""
    from ipl_coder.coding.exports import write_project_exports

    exports: list[Path] = []
    if session.decisions_made:
        store = session.store
        exports = write_project_exports(store, store.path.parent, store.export_statuses()).paths
    return FinishedReview(session.decisions_made, session.progress(), exports)

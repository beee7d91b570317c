"""What the HTML report shows, read from the store into plain objects: no HTML here.

Transcripts are read one at a time, each with its segments, everyone's
decisions on them and their notes, and handed on as they come (the page is
written from them the same way); what is kept is only what the whole report
counts: totals, and a line per transcript.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from ipl_coder.coding.frequencies import CodeTree, one_per_passage
from ipl_coder.store import WITHDRAWN, CodeRow, ProjectStore, SegmentRow
from ipl_coder.transcripts import count_words
from ipl_coder.transcripts.participants import PeopleIndex, build_people_index, register_from_store

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
CONTEXT_CHARACTERS = 240  # of the turn around a segment, cut back to whole sentences


@dataclass(frozen=True)
class CodeInfo:
    code_id: str
    label: str
    color: str
    depth: int
    parent_id: str | None


@dataclass(frozen=True)
class SegmentView:
    segment: SegmentRow
    before: str  # the sentences before it in its turn
    after: str
    participant: str
    attributes: dict[str, str]
    notes: tuple[tuple[str, str], ...]  # (coder, note)
    decisions: tuple[tuple[str, str], ...]  # (coder, status)
    added_by: tuple[str, ...] = ()  # the coders who gave the passage this code themselves


@dataclass(frozen=True)
class Piece:
    """A stretch of a turn with the codes on it (none for uncoded text)."""

    text: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class TurnView:
    speaker: str
    role: str
    timestamp: str | None
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class TranscriptView:
    name: str
    words: int
    segments: int
    turns: tuple[TurnView, ...]


@dataclass(frozen=True)
class TranscriptContent:
    """One transcript's part of the report, as it is read: its text with the codes on it, and its segments to show."""

    view: TranscriptView
    shown: list[SegmentView]  # the counted segments, for their codes' lists, in text order
    disagreements: list[SegmentView]  # passages two coders decided differently


@dataclass(frozen=True)
class TranscriptSummary:
    """What the report lists of each transcript."""

    name: str
    words: int
    segments: int


@dataclass
class ReportContent:
    project_dir: Path
    statuses: tuple[str, ...]
    codes: list[CodeInfo]
    codebook: str
    pipeline: str
    last_run: str
    coders: list[tuple[str, int]]  # (coder, decisions)
    unit: str = "sentence"  # the latest run's coding unit
    status_counts: Counter[str] = field(default_factory=Counter)
    origin_counts: Counter[str] = field(default_factory=Counter)
    words: int = 0
    code_segments: Counter[str] = field(default_factory=Counter)  # code -> segments shown under it
    transcripts: list[TranscriptSummary] = field(default_factory=list)
    per_transcript: dict[str, Counter[str]] = field(default_factory=dict)  # transcript -> code (with parents) -> segments
    attribute_values: dict[str, set[str]] = field(default_factory=dict)  # of the participants of the segments shown
    disagreements: int = 0


def read_content(project_dir: Path, statuses: Sequence[str],
                 each: Callable[[ReportContent, TranscriptContent], None]) -> ReportContent:  # fmt: skip
    """The report's totals; each transcript's own part goes to ``each`` as it is read, in name order, and is let go."""
    with ProjectStore.open(project_dir) as store:
        rows = store.latest_codes()
        stored = store.current_codebook()
        run = store.latest_run()
        coders = store.coders()
        content = ReportContent(
            project_dir, tuple(statuses), _code_infos(rows),
            f"{stored.name} {stored.version}".strip() if stored else "—", run.pipeline if run else "—",
            run.started_at if run else "—", [(summary.coder, summary.decisions) for summary in coders],
            run.unit if run else "sentence",
        )  # fmt: skip
        people = build_people_index(store.transcript_infos(), store.speakers(), register_from_store(store.participants()))
        tree = CodeTree(rows)
        for info in store.transcript_infos():
            row = store.transcript(info.name)
            if row is None:
                continue
            segments = [segment for segment in store.segments(None, transcript=row.name) if segment.status != WITHDRAWN]
            views = {summary.coder: store.coder_views(summary.coder, transcript=row.name) for summary in coders}
            notes = store.standing_notes(transcript=row.name)
            turns = store.turns(row.transcript_id)
            each(content, _add_transcript(content, row.name, row.text, turns, segments, people, views, notes, tree))
    return content


def _code_infos(rows: Sequence[CodeRow]) -> list[CodeInfo]:
    depth: dict[str, int] = {}
    infos = []
    for row in rows:
        depth[row.code_id] = depth.get(row.parent_id, -1) + 1 if row.parent_id else 0
        infos.append(CodeInfo(row.code_id, row.label, row.color, depth[row.code_id], row.parent_id))
    return infos


def _add_transcript(content: ReportContent, name: str, text: str, turns: Sequence, segments: list[SegmentRow],
                    people: PeopleIndex, views: dict, notes: dict, tree: CodeTree) -> TranscriptContent:  # fmt: skip
    # A passage two coders each gave the same code is one segment, as freq and frequencies.csv count it.
    counted = list(one_per_passage(segment for segment in segments if segment.status in content.statuses))
    first_of_passage = {segment.segment_id for segment in counted}
    shown_at: dict[tuple[str, int, int], int] = {}
    participant_words = sum(count_words(text[turn.start_char : turn.end_char]) for turn in turns if turn.role != "interviewer")
    content.words += participant_words
    content.per_transcript[name] = Counter(code for segment in counted for code in tree.with_ancestors(segment.code_id))
    shown: list[SegmentView] = []
    disagreements: list[SegmentView] = []
    for segment in segments:
        content.status_counts[segment.status] += 1
        content.origin_counts[segment.origin] += 1
        decisions = tuple((coder, coder_views[segment.segment_id].status) for coder, coder_views in views.items()
                          if segment.segment_id in coder_views and coder_views[segment.segment_id].decision)  # fmt: skip
        if segment.status not in content.statuses and len({status for _, status in decisions}) <= 1:
            continue
        view = _segment_view(segment, text, turns, people, notes, decisions)
        passage = (segment.code_id, segment.start_char, segment.end_char)
        if segment.segment_id in first_of_passage:
            shown_at[passage] = len(shown)
            shown.append(view)
            content.code_segments[segment.code_id] += 1
            if content.code_segments[segment.code_id] == 1:
                _know_code(content, segment.code_id)
            for key, value in view.attributes.items():
                content.attribute_values.setdefault(key, set()).add(value)
        elif segment.status in content.statuses:  # another coder's own code on a passage shown already: one entry for both
            earlier = shown[shown_at[passage]]
            shown[shown_at[passage]] = replace(earlier, notes=earlier.notes + view.notes, decisions=earlier.decisions + view.decisions,
                                               added_by=tuple(sorted(earlier.added_by + view.added_by)))  # fmt: skip
        if len({status for _, status in decisions}) > 1:
            disagreements.append(view)
    content.disagreements += len(disagreements)
    content.transcripts.append(TranscriptSummary(name, participant_words, len(counted)))
    return TranscriptContent(TranscriptView(name, participant_words, len(counted), _turn_views(text, turns, counted)), shown,
                             disagreements)  # fmt: skip


def _segment_view(segment: SegmentRow, text: str, turns: Sequence, people: PeopleIndex, notes: dict,
                  decisions: tuple[tuple[str, str], ...]) -> SegmentView:  # fmt: skip
    turn = next((turn for turn in turns if turn.start_char <= segment.start_char < turn.end_char), None)
    start, end = (turn.start_char, turn.end_char) if turn else (segment.start_char, segment.end_char)
    before = text[max(start, segment.start_char - CONTEXT_CHARACTERS) : segment.start_char]
    after = text[segment.end_char : min(end, segment.end_char + CONTEXT_CHARACTERS)]
    # Whole sentences only: drop the part sentence at the far end of each side.
    if segment.start_char - CONTEXT_CHARACTERS > start and len(parts := SENTENCE_END.split(before, maxsplit=1)) == 2:
        before = parts[1]
    if segment.end_char + CONTEXT_CHARACTERS < end and (cut := max(after.rfind(". "), after.rfind("? "), after.rfind("! "))) > 0:
        after = after[: cut + 1]
    person = people.person_for(segment.transcript, segment.speaker)
    return SegmentView(segment, before, after, person.participant_id if person else "", dict(person.attributes) if person else {},
                       tuple((note.coder, note.note) for note in notes.get(segment.segment_id, ())), decisions,
                       (segment.coder,) if segment.origin == "human" and segment.coder else ())  # fmt: skip


def _know_code(content: ReportContent, code_id: str) -> None:
    """A code an edited codebook dropped keeps the segments people decided on: it gets a section after the codebook's."""
    if all(code.code_id != code_id for code in content.codes):
        content.codes.append(CodeInfo(code_id, code_id, "#999999", 0, None))


def _turn_views(text: str, turns: Sequence, segments: list[SegmentRow]) -> tuple[TurnView, ...]:
    views = []
    for turn in turns:
        inside = [s for s in segments if s.start_char < turn.end_char and turn.start_char < s.end_char]
        cuts = sorted({turn.start_char, turn.end_char, *(max(s.start_char, turn.start_char) for s in inside),
                       *(min(s.end_char, turn.end_char) for s in inside)})  # fmt: skip
        pieces = []
        for start, end in zip(cuts, cuts[1:], strict=False):
            codes = tuple(dict.fromkeys(s.code_id for s in inside if s.start_char <= start and end <= s.end_char))
            pieces.append(Piece(text[start:end], codes))
        views.append(TurnView(turn.speaker, turn.role, turn.timestamp, tuple(pieces)))
    return tuple(views)

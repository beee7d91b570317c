"""Code frequencies by participant group: the plain function behind ``ipl-coder freq``.

For each code (parents counting their sub-codes) and each group of
participants sharing the values of the attributes asked for, it counts the
segments, the participants in the group, those with at least one segment of the
code, and segments per 1,000 words the group's participants spoke. Groups are
made of people, not transcripts: in a focus group each mapped speaker is one.
"""

from __future__ import annotations

import csv
import difflib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ipl_coder.coding.frequencies import CodeTree, one_per_passage
from ipl_coder.errors import InputError
from ipl_coder.files import atomic_file, spreadsheet_safe
from ipl_coder.store import COUNTED_STATUSES, CodeRow, ProjectStore
from ipl_coder.transcripts.participants import (
    PeopleIndex,
    attribute_columns,
    build_people_index,
    register_from_store,
)
from ipl_coder.wording import count

Group = tuple[str, ...]  # one value per attribute asked for; "" where a participant has none


@dataclass(frozen=True)
class GroupFrequency:
    code_id: str
    label: str
    depth: int  # 0 for a top-level code
    parent_id: str | None
    group: Group
    segments: int
    participants: int  # in the group
    participants_with_code: int
    words: int  # the group's participant speech

    @property
    def share(self) -> float:
        return self.participants_with_code / self.participants if self.participants else 0.0

    @property
    def per_1000_words(self) -> float:
        return 1000 * self.segments / self.words if self.words else 0.0


@dataclass(frozen=True)
class GroupFrequencyResult:
    project_dir: Path
    by: tuple[str, ...]  # attribute names as the project spells them
    rows: list[GroupFrequency]  # codebook order, then group order
    statuses: tuple[str, ...]
    notes: tuple[str, ...] = ()
    out: Path | None = None  # the CSV written, if one was asked for


def group_frequencies(project_dir: Path, by: Sequence[str] = (), statuses: Sequence[str] = COUNTED_STATUSES,
                      out: Path | None = None) -> GroupFrequencyResult:  # fmt: skip
    """Count codes per group of participants; with ``out``, also write the tidy CSV there."""
    with ProjectStore.open(project_dir) as store:
        codes = store.latest_codes()
        speakers = store.speakers()
        people = build_people_index(store.transcript_infos(), speakers, register_from_store(store.participants()))
        attributes = tuple(_attribute_name(name, people) for name in by)
        person_group: dict[str, Group] = {}
        words: Counter[str] = Counter()
        for row in speakers:
            person = people.people.get((row.transcript, row.speaker))
            if person is not None:
                person_group.setdefault(person.participant_id, tuple(person.attributes.get(name, "") for name in attributes))
                words[person.participant_id] += row.words
        counts: Counter[tuple[str, Group]] = Counter()
        with_code: dict[tuple[str, Group], set[str]] = defaultdict(set)
        tree = CodeTree(codes)
        uncounted = 0
        for segment in one_per_passage(store.segments(statuses)):
            person = people.person_for(segment.transcript, segment.speaker)
            if person is None:
                uncounted += 1  # the interviewer's words belong to no participant group
                continue
            for code_id in tree.with_ancestors(segment.code_id):
                key = (code_id, person_group[person.participant_id])
                counts[key] += 1
                with_code[key].add(person.participant_id)
    # A code an edited codebook dropped keeps the segments people decided on: counted, as in frequencies.csv, after the rest.
    known = {code.code_id for code in codes}
    gone = sorted({code_id for code_id, _ in counts} - known)
    rows = _rows([*codes, *(CodeRow(code_id, None, code_id, "", len(codes) + index) for index, code_id in enumerate(gone))],
                 tree, person_group, words, counts, with_code)  # fmt: skip
    if out is not None:
        write_group_frequencies_csv(out, attributes, rows)
    notes = tuple(_notes(attributes, person_group, uncounted))
    if gone:
        notes += (f"{', '.join(gone)}: not in the project's codebook now (removed or renamed since); "
                  "the segments people decided on are counted last",)
    return GroupFrequencyResult(project_dir, attributes, rows, tuple(statuses), notes, out)


def code_colors(project_dir: Path) -> dict[str, str]:
    """Each code's colour in the project's current codebook, by code id: what its charts are drawn in."""
    with ProjectStore.open(project_dir) as store:
        return {code.code_id: code.color for code in store.latest_codes()}


def _rows(codes: Sequence[CodeRow], tree: CodeTree, person_group: dict[str, Group], words: Counter[str],
          counts: Counter[tuple[str, Group]], with_code: dict[tuple[str, Group], set[str]]) -> list[GroupFrequency]:  # fmt: skip
    members: dict[Group, list[str]] = defaultdict(list)
    for participant_id, group in person_group.items():
        members[group].append(participant_id)
    groups = sorted(members, key=lambda group: tuple((value == "", value.casefold()) for value in group))
    return [
        GroupFrequency(
            code.code_id, code.label, tree.depth(code.code_id), code.parent_id, group, counts[(code.code_id, group)],
            len(members[group]), len(with_code.get((code.code_id, group), ())),
            sum(words[participant_id] for participant_id in members[group]),
        )
        for code in codes
        for group in groups
    ]  # fmt: skip


def _attribute_name(name: str, people: PeopleIndex) -> str:
    known = {attribute.casefold(): attribute for attribute in people.attribute_names}
    if name.casefold() in known:
        return known[name.casefold()]
    if not known:
        raise InputError(
            f"no attribute '{name}': the project has no participant attributes yet; "
            "run 'ipl-coder code' with --participants FILE, or add front matter to the transcripts"
        )
    guess = difflib.get_close_matches(name.casefold(), list(known), n=1)
    hint = f"did you mean '{known[guess[0]]}'?" if guess else f"the project has: {', '.join(people.attribute_names)}"
    raise InputError(f"no attribute '{name}' in the project; {hint}")


def _notes(attributes: tuple[str, ...], person_group: dict[str, Group], uncounted: int) -> list[str]:
    notes = []
    for index, name in enumerate(attributes):
        missing = sum(1 for group in person_group.values() if not group[index])
        if missing:
            has, they = ("has", "it forms") if missing == 1 else ("have", "they form")
            notes.append(f"{missing:,} of {count(len(person_group), 'participant')} {has} no '{name}': {they} a group of their own")
    if uncounted:
        belong, are = ("belongs", "is") if uncounted == 1 else ("belong", "are")
        notes.append(f"{count(uncounted, 'segment')} in interviewer turns {belong} to no participant and {are} not counted")
    return notes


TIDY_COLUMNS = ("code", "parent", "level", "segments", "participants", "participants_with_code", "share", "per_1000_words")


def write_group_frequencies_csv(path: Path, by: Sequence[str], rows: Sequence[GroupFrequency]) -> None:
    """The tidy (long) table: one row per code and group, ready for R or pandas.

    A parent's segments include its sub-codes', so ``parent`` and ``level`` are there to sum without
    counting twice: sum the rows of level 0 (docs/exports.md).
    """
    by_columns = attribute_columns(by, TIDY_COLUMNS)  # an attribute named 'level' must not pass for the level
    with atomic_file(path, encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        header = (*TIDY_COLUMNS[:3], *(by_columns[name] for name in by), *TIDY_COLUMNS[3:])
        writer.writerow(spreadsheet_safe(cell) for cell in header)
        for row in rows:
            cells = (row.code_id, row.parent_id or "", row.depth, *row.group, row.segments, row.participants,
                     row.participants_with_code, f"{row.share:.3f}", f"{row.per_1000_words:.2f}")  # fmt: skip
            writer.writerow(spreadsheet_safe(cell) for cell in cells)

"""Writing what a REFI-QDA project holds into the store: codebook, transcripts, suggestions, decisions, participants.

Everything goes through the store's own write paths (``record_codebook``,
``add_transcript``, ``save_coded_transcript``, ``record_decisions``,
``replace_participants``), so an import is just another way decisions arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder import __version__
from ipl_coder.errors import TranscriptError
from ipl_coder.exchange.refi_qda.qdc_reader import ImportedCode, codebook_yaml
from ipl_coder.exchange.refi_qda.qdc_writer import code_guid
from ipl_coder.exchange.refi_qda.qdpx_reader import MACHINE_USER, RefiProject, Selection, Source
from ipl_coder.store import NewDecision, Passage, ProjectStore, segment_id_for

if TYPE_CHECKING:
    from ipl_coder.transcripts import Transcript

IMPORT_PIPELINE = "imported from REFI-QDA"


@dataclass
class QdpxImportResult:
    source: Path
    project_dir: Path
    folder: Path  # where the transcripts' texts were written
    transcripts_added: list[str] = field(default_factory=list)
    transcripts_present: list[str] = field(default_factory=list)
    codings_added: int = 0
    codings_present: int = 0
    suggestions: int = 0
    users: set[str] = field(default_factory=set)
    unknown_codes: list[str] = field(default_factory=list)
    codebook_out: Path | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlacedSource:
    """A source read as a transcript, with its selections moved onto the transcript's text."""

    source: Source
    transcript: Transcript
    selections: list[tuple[Selection, int, int]]


def apply_import(store: ProjectStore, project: RefiProject, placed: list[PlacedSource], coder: str | None,
                 result: QdpxImportResult) -> None:  # fmt: skip
    run_id = _codebook_for_new_project(store, project, result)
    code_of = _code_matcher(store, project, result)
    added: list[PlacedSource] = []
    for item in placed:
        try:
            (result.transcripts_added if store.add_transcript(item.transcript) else result.transcripts_present).append(item.transcript.name)
        except TranscriptError as error:
            result.notes.append(f"source '{item.source.name}': {error.reason}")
            continue
        added.append(item)
    if run_id is not None and project.from_ipl_coder:
        _machine_suggestions(store, added, code_of, run_id, result)
    if run_id is not None:
        store.finish_run(run_id, coded=len(result.transcripts_added), skipped=0, segments=result.suggestions,
                         words=sum(sum(item.transcript.turn_word_counts) for item in added))  # fmt: skip
    store.record_decisions(_decisions(store, project, added, code_of, coder, result))
    _participants(store, project, added, result)
    from ipl_coder.coding.exports import write_project_exports

    write_project_exports(store, result.project_dir, store.export_statuses())


def _codebook_for_new_project(store: ProjectStore, project: RefiProject, result: QdpxImportResult) -> int | None:
    """A project without a codebook takes the file's, rules-free, through a run that codes nothing."""
    if store.latest_codes() or not project.codes:
        return None
    from ipl_coder.codebook.schema import parse_codebook_text

    codebook = parse_codebook_text(codebook_yaml(project.codes, result.source, "en"), Path(f"{result.source.stem}.yaml"))
    version_id = store.record_codebook(codebook)
    return store.start_run(version_id, IMPORT_PIPELINE, "", __version__, "sentence", {"imported": str(result.source)})


def _code_matcher(store: ProjectStore, project: RefiProject, result: QdpxImportResult) -> dict[str, str]:
    """The project's code id for each of the file's code GUIDs: by GUID, then id, then name."""
    rows = store.latest_codes()
    by_guid = {code_guid(row.code_id): row.code_id for row in rows}
    by_id = {row.code_id: row.code_id for row in rows}
    by_name = {row.label.casefold(): row.code_id for row in rows} | {row.code_id.casefold(): row.code_id for row in rows}
    found: dict[str, str] = {}
    for code in _walk(project.codes):
        match = by_guid.get(code.guid.casefold()) or by_id.get(code.code_id) or by_name.get(code.label.casefold())
        if match:
            found[code.guid.casefold()] = match
        else:
            result.unknown_codes.append(code.label)
    return found


def _machine_suggestions(store: ProjectStore, added: list[PlacedSource], code_of: dict[str, str], run_id: int,
                         result: QdpxImportResult) -> None:  # fmt: skip
    from ipl_coder.coding.coders import ModelSegment, Segment

    for item in added:
        segments, learned = [], []
        for selection, start, end in item.selections:
            suggestion = selection.suggestion
            segment_id = _machine_segment(selection, item.transcript, code_of, start, end)
            if suggestion is None or segment_id is None:
                continue
            code_id = _machine_code(selection, code_of)
            speaker, turn_number = _turn_at(item.transcript, start)
            found = LEARNED_MODEL.fullmatch(" ".join(suggestion[0]))
            if found:  # the learned model's, not a rule's: it stays the model's, with its score (its reasons are not in the file)
                learned.append(ModelSegment(segment_id, item.transcript.name, code_id, start, end, speaker, turn_number,
                                            "sentence", suggestion[1], (), item.transcript.text[start:end],
                                            score=float(found["score"]) if found["score"] else None))  # fmt: skip
                continue
            segments.append(Segment(segment_id, item.transcript.name, code_id, start, end, speaker, turn_number, "sentence",
                                    suggestion[1], suggestion[0], item.transcript.text[start:end]))  # fmt: skip
        if segments or learned:
            store.save_coded_transcript(item.transcript, segments, run_id, learned)
            result.suggestions += len(segments) + len(learned)


LEARNED_MODEL = re.compile(r"learned model(?: (?P<score>[01](?:\.\d+)?))?")  # how qdpx_writer names the model's "rule"


def _decisions(store: ProjectStore, project: RefiProject, added: list[PlacedSource], code_of: dict[str, str], coder: str | None,
               result: QdpxImportResult) -> list[NewDecision]:  # fmt: skip
    """Every decision the file holds that the project does not: ipl-coder's decision lines first (a recode adds its
    code), then every other coding as a code its user added."""
    standing = _standing(store)
    planned: list[NewDecision] = []
    source = f"import {result.source.name}"
    people: list[tuple[PlacedSource, Selection, int, int]] = []
    for item in added:
        for selection, start, end in item.selections:
            machine_id = _machine_segment(selection, item.transcript, code_of, start, end)
            if machine_id is None or machine_id not in standing["segments"]:
                people.append((item, selection, start, end))
                continue
            notes = dict(selection.notes)
            for who, decision, new_code in selection.decisions:
                if decision in ("accept", "reject", "recode") and standing["views"].get((who, machine_id)) != decision:
                    planned.append(NewDecision(who, decision, machine_id, new_code, notes.pop(who, None), source=source))
                    standing["views"][(who, machine_id)] = decision
                    result.users.add(who)
                    if new_code:
                        standing["added"].add((who, item.transcript.name, new_code, start, end))
            planned += [NewDecision(who, "note", machine_id, note=text, source=source) for who, text in notes.items()
                        if standing["notes"].get((who, machine_id)) != text]  # fmt: skip
    for item, selection, start, end in people:
        notes = dict(selection.notes)
        for coding in selection.codings:
            if coding.user == MACHINE_USER or coding.code_guid not in code_of:
                continue
            who = coder or coding.user or "imported"
            key = (who, item.transcript.name, code_of[coding.code_guid], start, end)
            if key in standing["added"]:
                result.codings_present += 1
                continue
            standing["added"].add(key)
            planned.append(NewDecision(who, "add", new_code_id=code_of[coding.code_guid], note=notes.pop(coding.user, None),
                                       passage=Passage(item.transcript.name, start, end), source=source))  # fmt: skip
            result.codings_added += 1
            result.users.add(who)
    return planned


def _standing(store: ProjectStore) -> dict:
    """What people have decided already: each coder's decision per segment, and their accepted passages."""
    views: dict[tuple[str, str], str | None] = {}
    notes: dict[tuple[str, str], str | None] = {}
    accepted: set[tuple[str, str, str, int, int]] = set()
    segments = {segment.segment_id: segment for segment in store.segments(None)}
    for summary in store.coders():
        for segment_id, view in store.coder_views(summary.coder).items():
            views[(summary.coder, segment_id)] = view.decision
            notes[(summary.coder, segment_id)] = view.note
            segment = segments.get(segment_id)
            if segment is not None and view.status == "accepted":
                accepted.add((summary.coder, segment.transcript, segment.code_id, segment.start_char, segment.end_char))
    return {"views": views, "notes": notes, "added": accepted, "segments": set(segments)}


def _machine_code(selection: Selection, code_of: dict[str, str]) -> str:
    """The code of an ipl-coder suggestion: its machine coding's, else the one its description names."""
    guid = next((coding.code_guid for coding in selection.codings if coding.user == MACHINE_USER), "")
    first = selection.description.splitlines()[0] if selection.description else ""
    return code_of.get(guid) or first.removeprefix("ipl-coder suggestion of ").partition(":")[0]


def _machine_segment(selection: Selection, transcript: Transcript, code_of: dict[str, str], start: int, end: int) -> str | None:
    """The id ipl-coder gives this suggestion (the same as when it was exported), or None for a passage people coded."""
    if selection.suggestion is None:
        return None
    code_id = _machine_code(selection, code_of)
    return segment_id_for(transcript.content_hash, code_id, start, end) if code_id else None


def _participants(store: ProjectStore, project: RefiProject, added: list[PlacedSource], result: QdpxImportResult) -> None:
    from ipl_coder.transcripts.participants import ParticipantEntry, ParticipantTable

    if not project.cases:
        return
    names = {item.source.guid: item.transcript.name for item in added}
    entries = [ParticipantEntry(names[guid], "", case.name, case.attributes, number)
               for number, case in enumerate(project.cases, start=2) for guid in case.source_guids if guid in names]  # fmt: skip
    existing = store.participants()
    if existing is not None:
        theirs = {(row.transcript, row.participant, tuple(sorted(row.attributes.items()))) for row in existing.entries}
        if {(entry.transcript, entry.participant, tuple(sorted(entry.attributes.items()))) for entry in entries} - theirs:
            result.notes.append("the project has a participants register already, so the file's cases were not imported; "
                                "give the project a register that has them with 'ipl-coder code --participants'")  # fmt: skip
        return
    if entries:
        store.replace_participants(ParticipantTable(str(result.source), tuple(entries), tuple(project.variables)))


def _turn_at(transcript: Transcript, position: int) -> tuple[str, int]:
    turn = next((turn for turn in transcript.turns if turn.start_char <= position < turn.end_char), transcript.turns[0])
    return turn.speaker, turn.number


def _walk(codes: list[ImportedCode]) -> list[ImportedCode]:
    found = []
    for code in codes:
        found += [code, *_walk(code.children)]
    return found

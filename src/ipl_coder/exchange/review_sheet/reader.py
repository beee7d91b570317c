"""Reading a filled-in review sheet back: every row is checked first, then all of it is applied in one transaction.

A sheet with any bad row changes nothing; the error names every bad row. Rows
whose decision and note are what the store already holds are left alone, so
importing the same sheet twice records nothing the second time. An empty
decision never takes a decision back: that is what undo in 'ipl-coder review' is for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ipl_coder.errors import InputError, IplCoderError
from ipl_coder.files import unguarded
from ipl_coder.review.session import coder_name, did_you_mean, find_passage
from ipl_coder.store import WITHDRAWN, CoderView, NewDecision, Passage, ProjectStore, RecordedDecision, SegmentRow
from ipl_coder.transcripts.spreadsheets import read_rows

DECISION_WORDS = {
    "accept": "accept", "accepted": "accept", "yes": "accept", "y": "accept",
    "reject": "reject", "rejected": "reject", "no": "reject", "n": "reject",
    "recode": "recode", "recoded": "recode",
}  # fmt: skip
REQUIRED = ("segment_id", "decision")
ACCEPTED_SUGGESTION = "accepted an existing suggestion"  # an added row on the passage of a suggestion of its code
OFFSET = re.compile(r"[0-9]{1,15}")


class SheetError(IplCoderError):
    """A review sheet with bad rows: one line per row, then what to do."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        rows = f"{len(problems)} bad row{'s' if len(problems) != 1 else ''}"
        super().__init__("\n".join([*problems, f"{rows} in {path}; nothing was applied. Fix {'them' if len(problems) != 1 else 'it'} and import again"]))


@dataclass(frozen=True)
class SheetChange:
    row: int  # as the spreadsheet numbers it: the header is row 1
    transcript: str
    code_id: str
    change: str  # "accept", "recode → broker", "note", "add", "accepted an existing suggestion", ...
    coder: str

    @property
    def kind(self) -> str:
        """What a summary counts the change as: a recode without its new code."""
        return self.change.split(" → ")[0]


@dataclass(frozen=True)
class SheetImportResult:
    path: Path
    changes: list[SheetChange]
    unchanged: int
    exports: list[Path]


def import_review_sheet(project_dir: Path, path: Path, coder: str | None = None) -> SheetImportResult:
    """Apply a filled-in sheet. Rows with no ``coder`` are ``coder``'s if given, else the coder the sheet was exported for."""
    rows = read_rows(path, "review sheet")
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise InputError(f"{path}: the review sheet is empty; export one with 'ipl-coder review export'")
    header = [cell.strip().casefold() for cell in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise InputError(f"{path}: row 1 has no '{missing[0]}' column; export a sheet with 'ipl-coder review export' and fill that in")
    default_coder = coder or _sheet_coder(header, rows[1:]) or coder_name(None)
    with ProjectStore.open(project_dir, lock="shared") as store:
        reader = _SheetReader(store, path, header, default_coder)
        for number, cells in enumerate(rows[1:], start=2):
            reader.read(number, cells)
        if reader.problems:
            raise SheetError(path, reader.problems)
        recorded = store.record_decisions([decision for decision, _ in reader.decisions])
        changes = [_as_recorded(change, outcome, store) for (_, change), outcome in zip(reader.decisions, recorded, strict=True)]
        exports: list[Path] = []
        if reader.decisions:
            from ipl_coder.coding.exports import write_project_exports

            exports = write_project_exports(store, project_dir, store.export_statuses()).paths
    return SheetImportResult(path, changes, reader.unchanged, exports)


def _as_recorded(change: SheetChange, outcome: RecordedDecision, store: ProjectStore) -> SheetChange:
    """An added row on the very passage of a suggestion of its code accepts that suggestion: say so, not "add"."""
    if change.change == "add" and not outcome.added:
        segment = store.segment(outcome.segment_id)
        if segment is not None and segment.origin == "machine":
            return replace(change, change=ACCEPTED_SUGGESTION)
    return change


class _SheetReader:
    """Turns rows into decisions, collecting a problem per bad row."""

    def __init__(self, store: ProjectStore, path: Path, header: list[str], default_coder: str) -> None:
        self.store, self.path, self.header, self.default_coder = store, path, header, default_coder
        self.codes = {code.code_id for code in store.latest_codes()}
        self.transcripts = {row.name: row for row in store.transcripts()}
        self.views: dict[str, dict[str, CoderView]] = {}
        self.decisions: list[tuple[NewDecision, SheetChange]] = []
        self.problems: list[str] = []
        self.unchanged = 0
        self.seen: dict[tuple[str, str], int] = {}  # (coder, segment id) -> row
        self.edited: set[str] | None = None  # transcripts edited since first coded, read when first needed

    def read(self, number: int, cells: list[str]) -> None:
        row = {name: unguarded(cells[index].strip()) if index < len(cells) else "" for index, name in enumerate(self.header)}
        if not any(row.values()):
            return
        try:
            if row.get("segment_id") and self._gone_with_nothing_to_apply(row):
                self.unchanged += 1
            elif row.get("segment_id"):
                self._decide(number, row)
            else:
                self._add(number, row)
        except InputError as error:
            self.problems.append(f"{self.path} row {number}: {error}")

    def _gone_with_nothing_to_apply(self, row: dict[str, str]) -> bool:
        """A row with nothing to apply whose suggestion went since: no reason to refuse the sheet.

        It went when its transcript was edited, or it was the learned model's pending suggestion, which every run
        without --learned drops (and a new model may not make again).
        """
        if row.get("decision") or row.get("new_code") or row.get("note"):
            return False
        if self.edited is None:
            self.edited = self.store.edited_transcripts()
        went = row.get("origin") == "model" or row.get("transcript", "") in self.edited
        return went and self.store.resolve_segment_id(row["segment_id"]) is None

    def _view(self, coder: str, segment_id: str) -> CoderView | None:
        if coder not in self.views:
            self.views[coder] = self.store.coder_views(coder)
        return self.views[coder].get(segment_id)

    def _decide(self, number: int, row: dict[str, str]) -> None:
        coder = row.get("coder") or self.default_coder
        segment = self._segment(row["segment_id"], row.get("code", ""), row.get("origin") == "model")
        if (coder, segment.segment_id) in self.seen:
            raise InputError(f"segment {row['segment_id']} is also on row {self.seen[(coder, segment.segment_id)]}")
        self.seen[(coder, segment.segment_id)] = number
        decision, new_code, note = self._decision(row), row.get("new_code") or None, row.get("note", "")
        view = self._view(coder, segment.segment_id)
        current = view.sheet_decision if view else None
        current_code = view.new_code_id if view and current == "recode" else None
        changes_decision = decision is not None and (decision, new_code) != (current, current_code)
        changes_note = bool(note) and note != (view.note if view else None)
        if changes_decision and view and view.decision and "decided_at" in row and row["decided_at"] != view.decided_at:
            raise InputError(
                f"{coder} decided '{current}' on this segment at {view.decided_at}, after this sheet was exported; "
                "export a fresh sheet so no decision is overwritten unseen"
            )
        if changes_note and view and view.note and (("noted_at" in row and row["noted_at"] != (view.noted_at or ""))
                                                    or self._replaced_note(coder, segment.segment_id, note)):
            raise InputError(
                f"{coder} changed the note on this segment at {view.noted_at}, after this sheet was exported; "
                "export a fresh sheet so no note is overwritten unseen"
            )
        if (changes_decision or changes_note) and self.store.out_of_sight(segment.segment_id):
            raise InputError(f"this passage is no longer in the text of {segment.transcript}, edited since the sheet was "
                             "exported; export a fresh sheet and decide it where its words now are")  # fmt: skip
        source = f"sheet {self.path.name} row {number}"
        if decision is not None and changes_decision:
            change = f"recode → {new_code}" if decision == "recode" else decision
            new = NewDecision(coder, decision, segment.segment_id, new_code, note if changes_note else None, source=source)
            self.decisions.append((new, SheetChange(number, segment.transcript, segment.code_id, change, coder)))
        elif changes_note:
            new = NewDecision(coder, "note", segment.segment_id, note=note, source=source)
            self.decisions.append((new, SheetChange(number, segment.transcript, segment.code_id, "note", coder)))
        else:
            self.unchanged += 1

    def _replaced_note(self, coder: str, segment_id: str, note: str) -> bool:
        """Whether ``note`` is one the coder wrote here before and replaced since: a sheet older than the change."""
        notes = [d.note for d in self.store.decisions(segment_id) if d.coder == coder and d.note]
        return note in notes[:-1] and note != notes[-1]

    def _segment(self, given_id: str, code_id: str, by_model: bool = False) -> SegmentRow:
        """The segment a row's id names now, checked against the row's code.

        After code renames an old id can name two segments: the one renamed away
        from it, and another that took the id since (two codes swapped names).
        The row's code, followed through the renames, tells them apart; a row
        that matches neither, or both, is refused rather than decided on the
        wrong segment.
        """
        candidates = {segment.segment_id: segment for segment_id in (given_id, self.store.followed_segment_id(given_id))
                      if segment_id and (segment := self.store.segment(segment_id))}  # fmt: skip
        if not candidates and by_model:
            raise InputError(f"the learned model's suggestion '{given_id}' is no longer in this project (a run without --learned "
                             "drops its pending suggestions); run 'ipl-coder code ... --learned' again, then import the sheet")  # fmt: skip
        if not candidates:
            raise InputError(f"unknown segment id '{given_id}'; it is not in this project")
        if not code_id:
            if len(candidates) > 1:
                raise InputError(f"segment id '{given_id}' names two segments since codes were renamed, and the row has no code; "
                                 "export a fresh sheet")  # fmt: skip
            return next(iter(candidates.values()))
        names = {code_id} | self.store.codes_renamed_from(code_id)
        matching = [segment for segment in candidates.values() if segment.code_id in names]
        if len(matching) == 1:
            return matching[0]
        now = " and ".join(f"'{segment.code_id}'" for segment in candidates.values())
        if not matching:
            raise InputError(f"the row's code '{code_id}' is not the code of segment {given_id} (it is {now} now); "
                             "export a fresh sheet")  # fmt: skip
        raise InputError(f"segment id '{given_id}' names two segments since codes were renamed ({now}); export a fresh sheet")

    def _decision(self, row: dict[str, str]) -> str | None:
        written, new_code = row.get("decision", ""), row.get("new_code", "")
        decision = DECISION_WORDS.get(written.casefold()) if written else ("recode" if new_code else None)
        if written and decision is None:
            raise InputError(f"unknown decision '{written}'; write accept, reject or recode")
        if decision == "recode":
            if not new_code:
                raise InputError("recode without a new_code; write the right code in new_code")
            self._check_code(new_code, "new_code")
        elif new_code:
            raise InputError(f"new_code '{new_code}' is given but the decision is '{written}'; write recode, or clear new_code")
        return decision

    def _add(self, number: int, row: dict[str, str]) -> None:
        coder, code_id, name = row.get("coder") or self.default_coder, row.get("code", ""), row.get("transcript", "")
        if not name or not code_id:
            raise InputError("a row without a segment_id adds a code: it needs transcript, code, and start and end or the quoted text")
        transcript = self.transcripts.get(name)
        if transcript is None:
            raise InputError(f"unknown transcript '{name}'{did_you_mean(name, self.transcripts)}")
        self._check_code(code_id, "code")
        if DECISION_WORDS.get(row.get("decision", "").casefold(), "accept") != "accept":
            raise InputError(f"a row that adds a code takes no decision '{row['decision']}'; leave decision empty")
        start, end = _span(row, transcript.text)
        source = f"sheet {self.path.name} row {number}"
        if self._already_coded(coder, name, code_id, start, end):
            self.unchanged += 1
            return
        new = NewDecision(coder, "add", new_code_id=code_id, note=row.get("note") or None, passage=Passage(name, start, end), source=source)
        self.decisions.append((new, SheetChange(number, name, code_id, "add", coder)))

    def _already_coded(self, coder: str, transcript: str, code_id: str, start: int, end: int) -> bool:
        for segment in self.store.segments(None, transcript=transcript):
            if (segment.code_id, segment.start_char, segment.end_char) == (code_id, start, end) and segment.status != WITHDRAWN:
                view = self._view(coder, segment.segment_id)
                if view is not None and view.status == "accepted":
                    return True
        return False

    def _check_code(self, code_id: str, column: str) -> None:
        if code_id not in self.codes:
            raise InputError(f"unknown code '{code_id}' in {column}{did_you_mean(code_id, self.codes)}")


def _sheet_coder(header: list[str], rows: list[list[str]]) -> str | None:
    """The coder a sheet was exported for: the one its rows name, if they name exactly one."""
    if "coder" not in header:
        return None
    at = header.index("coder")
    named = {cells[at].strip() for cells in rows if at < len(cells) and cells[at].strip()}
    return named.pop() if len(named) == 1 else None


def _span(row: dict[str, str], text: str) -> tuple[int, int]:
    start, end, quote = row.get("start", ""), row.get("end", ""), row.get("text", "")
    if start or end:
        if not (OFFSET.fullmatch(start) and OFFSET.fullmatch(end)):  # str.isdigit() also takes '²', which int() does not
            raise InputError(f"start '{start}' and end '{end}' must both be whole numbers (character offsets)")
        if not int(start) < int(end) <= len(text):
            raise InputError(f"start {start} and end {end} are not a passage of the transcript (it has {len(text)} characters)")
        return int(start), int(end)
    if not quote:
        raise InputError("a row that adds a code needs start and end, or the quoted words in text")
    return find_passage(text, quote)


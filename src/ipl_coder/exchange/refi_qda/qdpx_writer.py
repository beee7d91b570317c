"""A whole project as a REFI-QDA project (``.qdpx``), for NVivo, ATLAS.ti, MAXQDA and QualCoder.

What goes where (docs/exchange.md says it for researchers):

* the codebook: the same code tree, colours and descriptions as the ``.qdc``
  export; each code's GUID is uuid5 of its id (``qdc_writer.code_guid``), which
  is how a code keeps its id across a round trip;
* every transcript: a ``TextSource`` whose text, ``sources/<GUID>.txt``, is the
  store's normalised text (UTF-8, LF, no BOM), so selection positions are the
  store's code points; the speaker labels are in that text, which is how turns
  travel (reading it again finds the same turns);
* every segment the chosen statuses count: a ``PlainTextSelection`` with a
  ``Coding`` by each user it belongs to. The machine is the user "ipl-coder
  rules"; each coder is a user of their own. The selection's description says
  which rules and words suggested it and each coder's decision;
* reviewer notes: ``Note``s, referred to from their selections;
* participants: a ``Variable`` per attribute, a ``Case`` per participant with
  their values and a ``SourceRef`` to each transcript they speak in.

GUIDs are uuid5 of stable names and zip members carry a fixed date, so
exporting the same project twice gives the same bytes.
"""

from __future__ import annotations

import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipl_coder import __version__
from ipl_coder.errors import InputError
from ipl_coder.exchange.refi_qda.qdc_writer import GUID_NAMESPACE, code_guid, description_of
from ipl_coder.files import atomic_path
from ipl_coder.store import WITHDRAWN, CoderView, ProjectStore, SegmentRow

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
MACHINE_USER = "ipl-coder rules"
EXPORT_STATUSES = ("all", "accepted")
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # every member's date, so two exports are byte for byte the same


@dataclass(frozen=True)
class QdpxExport:
    out: Path
    transcripts: int
    selections: int
    codings: int
    users: tuple[str, ...]
    notes: int
    cases: int


def guid(kind: str, name: str) -> str:
    """A stable GUID for one thing of a kind ("source", "user", ...): the same project exports the same GUIDs."""
    return str(uuid.uuid5(GUID_NAMESPACE, f"ipl-coder {kind} {name}"))


def export_qdpx(project_dir: Path, out: Path, status: str = "all") -> QdpxExport:
    """Write the project at ``project_dir`` as a REFI-QDA project; ``status`` 'accepted' leaves out what nobody accepted."""
    if status not in EXPORT_STATUSES:
        raise InputError(f"--status '{status}' is not one of: {', '.join(EXPORT_STATUSES)}")
    with ProjectStore.open(project_dir) as store:
        project = _ProjectData.read(store)
    document = _Document(project, status, project_dir.resolve().name)
    xml = document.build()
    with atomic_path(out) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
        _add(archive, "project.qde", xml)
        for name, text in sorted(document.source_files.items()):
            _add(archive, f"sources/{name}", text.encode("utf-8"))
    return QdpxExport(out, len(project.transcripts), document.selections, document.codings,
                      tuple(sorted(document.users)), document.note_count, document.case_count)  # fmt: skip


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


@dataclass
class _ProjectData:
    """Everything the export needs, read in one go so the store is closed before any XML is built."""

    codebook: Any  # the Codebook the segments are under, or None when the store has no YAML for it
    code_rows: list[Any]
    transcripts: list[Any]
    segments: list[SegmentRow]
    views: dict[str, dict[str, CoderView]]  # coder -> segment id -> where they stand
    people: Any
    created_at: str

    @classmethod
    def read(cls, store: ProjectStore) -> _ProjectData:
        from ipl_coder.codebook.schema import parse_codebook_text
        from ipl_coder.errors import CodebookError
        from ipl_coder.transcripts.participants import build_people_index, register_from_store

        stored = store.current_codebook()
        codebook = None
        if stored is not None:
            try:
                codebook = parse_codebook_text(stored.yaml_text, Path(stored.source_path), stored=True)
            except CodebookError:
                codebook = None  # an old codebook the schema no longer reads: the code rows still give the tree
        transcripts = store.transcripts()
        if not transcripts:
            raise InputError("the project has no transcripts yet; run 'ipl-coder code' first")
        segments = [segment for segment in store.segments(None) if segment.status != WITHDRAWN]
        views = {summary.coder: store.coder_views(summary.coder) for summary in store.coders()}
        people = build_people_index(transcripts, store.speakers(), register_from_store(store.participants()))
        run = store.latest_run()
        created_at = run.started_at if run else "2000-01-01T00:00:00Z"
        return cls(codebook, store.latest_codes(), transcripts, segments, views, people, created_at)


class _Document:
    def __init__(self, project: _ProjectData, status: str, name: str) -> None:
        from lxml import etree

        self.etree = etree
        self.project = project
        self.status = status
        self.name = name
        self.users: dict[str, str] = {MACHINE_USER: guid("user", MACHINE_USER)}
        self.users.update({coder: guid("user", coder) for coder in sorted(project.views)})
        self.source_files: dict[str, str] = {}
        self.notes: list[Any] = []
        self.selections = self.codings = self.note_count = self.case_count = 0

    def element(self, parent: Any, tag: str, **attributes: str) -> Any:
        node = self.etree.SubElement(parent, f"{{{PROJECT_NAMESPACE}}}{tag}")
        for key, value in attributes.items():
            node.set(key, value)
        return node

    def build(self) -> bytes:
        root = self.etree.Element(f"{{{PROJECT_NAMESPACE}}}Project", nsmap={None: PROJECT_NAMESPACE})  # type: ignore[dict-item]
        root.set("name", self.name)
        root.set("origin", f"ipl-coder {__version__}")
        root.set("creatingUserGUID", self.users[MACHINE_USER])
        root.set("creationDateTime", _datetime(self.project.created_at))
        users = self.element(root, "Users")
        for user_name, user_guid in self.users.items():
            self.element(users, "User", guid=user_guid, name=user_name)
        self._codebook(root)
        variables = self._variables(root)
        self._cases(root, variables)
        self._sources(root)
        if self.notes:
            notes = self.element(root, "Notes")
            for note in self.notes:
                notes.append(note)
        if self.project.code_rows:
            self.element(root, "Description").text = code_id_lines(row.code_id for row in self.project.code_rows)
        return self.etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)

    def _codebook(self, root: Any) -> None:
        rows = self.project.code_rows
        if not rows:
            return
        codebook = self.project.codebook
        known = {code.code_id: code for code in codebook.codes} if codebook else {}
        parents_of_others = {row.parent_id for row in rows if row.parent_id}
        codes = self.element(self.element(root, "CodeBook"), "Codes")
        placed: dict[str, Any] = {}
        for row in rows:  # parents come before their sub-codes
            code = known.get(row.code_id)
            codable = row.code_id not in parents_of_others or (code is not None and code.has_rules_in_any_language)
            element = self.element(placed.get(row.parent_id, codes), "Code", guid=code_guid(row.code_id), name=row.label,
                                   isCodable="true" if codable else "false", color=row.color)  # fmt: skip
            description = description_of(code) if code else ""
            if description:
                self.element(element, "Description").text = description
            placed[row.code_id] = element

    def _variables(self, root: Any) -> dict[str, str]:
        names = list(self.project.people.attribute_names)
        if not names:
            return {}
        variables = self.element(root, "Variables")
        found = {}
        for name in names:
            found[name] = guid("variable", name)
            self.element(variables, "Variable", guid=found[name], name=name, typeOfVariable="Text")
        return found

    def _cases(self, root: Any, variables: dict[str, str]) -> None:
        sources_of: dict[str, dict[str, None]] = defaultdict(dict)
        attributes_of: dict[str, dict[str, str]] = {}
        for (transcript, _speaker), person in sorted(self.project.people.people.items()):
            sources_of[person.participant_id][transcript] = None
            attributes_of.setdefault(person.participant_id, {}).update(person.attributes)
        if not sources_of:
            return
        cases = self.element(root, "Cases")
        for participant_id in sorted(sources_of):
            case = self.element(cases, "Case", guid=guid("case", participant_id), name=participant_id)
            _values(self, case, attributes_of[participant_id], variables)
            for transcript in sources_of[participant_id]:
                self.element(case, "SourceRef", targetGUID=guid("source", transcript))
            self.case_count += 1

    def _sources(self, root: Any) -> None:
        by_transcript: dict[str, list[SegmentRow]] = defaultdict(list)
        for segment in self.project.segments:
            by_transcript[segment.transcript].append(segment)
        sources = self.element(root, "Sources")
        created = _datetime(self.project.created_at)
        for transcript in self.project.transcripts:
            source_guid = guid("source", transcript.name)
            self.source_files[f"{source_guid}.txt"] = transcript.text
            source = self.element(sources, "TextSource", guid=source_guid, name=transcript.name,
                                  plainTextPath=f"internal://{source_guid}.txt", creatingUser=self.users[MACHINE_USER],
                                  creationDateTime=created)  # fmt: skip
            for segment in by_transcript[transcript.name]:
                self._selection(source, segment)

    def _selection(self, source: Any, segment: SegmentRow) -> None:
        decided = {coder: views[segment.segment_id] for coder, views in self.project.views.items() if segment.segment_id in views}
        coders = [coder for coder, view in decided.items() if view.status == "accepted"]
        suggested = segment.origin != "human"  # by the rules or the learned model
        owners = ([MACHINE_USER] if suggested and self.status == "all" else []) + coders
        if not owners:
            return  # with --status accepted, what nobody accepted stays out
        owner = MACHINE_USER if suggested else segment.coder or coders[0]
        when = _datetime(min((view.decided_at for view in decided.values()), default=self.project.created_at))
        selection = self.element(source, "PlainTextSelection", guid=guid("selection", segment.segment_id),
                                 name=_excerpt(segment.text), startPosition=str(segment.start_char),
                                 endPosition=str(segment.end_char), creatingUser=self.users.get(owner, self.users[MACHINE_USER]),
                                 creationDateTime=when)  # fmt: skip
        self.element(selection, "Description").text = _selection_description(segment, decided)
        for user in owners:
            view = decided.get(user)
            self.element(selection, "Coding", guid=guid("coding", f"{segment.segment_id} {user}"), creatingUser=self.users[user],
                         creationDateTime=_datetime(view.decided_at) if view else when).append(
                self._code_ref(segment.code_id))  # fmt: skip
            self.codings += 1
        for coder, view in decided.items():
            if view.note:
                self._note(selection, segment, coder, view)
        self.selections += 1

    def _code_ref(self, code_id: str) -> Any:
        element = self.etree.Element(f"{{{PROJECT_NAMESPACE}}}CodeRef")
        element.set("targetGUID", code_guid(code_id))
        return element

    def _note(self, selection: Any, segment: SegmentRow, coder: str, view: CoderView) -> None:
        note_guid = guid("note", f"{segment.segment_id} {coder}")
        note = self.etree.Element(f"{{{PROJECT_NAMESPACE}}}Note")
        for key, value in (("guid", note_guid), ("name", f"{coder} on {segment.code_id}"), ("creatingUser", self.users[coder]),
                           ("creationDateTime", _datetime(view.noted_at or view.decided_at))):  # fmt: skip
            note.set(key, value)
        self.etree.SubElement(note, f"{{{PROJECT_NAMESPACE}}}PlainTextContent").text = view.note
        self.notes.append(note)
        self.element(selection, "NoteRef", targetGUID=note_guid)
        self.note_count += 1


CODE_IDS_HEADING = "ipl-coder code ids (each code's GUID is made from its id):"


def code_id_lines(code_ids: Any) -> str:
    """The project description that carries code ids: read back by the import, so codes keep their ids."""
    return "\n".join([CODE_IDS_HEADING, *(f"{code_guid(code_id)} {code_id}" for code_id in code_ids)])


def _values(document: _Document, parent: Any, attributes: dict[str, str], variables: dict[str, str]) -> None:
    for name, value in attributes.items():
        if name in variables and value:
            holder = document.element(parent, "VariableValue")
            document.element(holder, "VariableRef", targetGUID=variables[name])
            document.element(holder, "TextValue").text = value


def _selection_description(segment: SegmentRow, decided: dict[str, CoderView]) -> str:
    """Why the passage is here and what each coder decided: one line each, read back by the .qdpx import."""
    if segment.origin == "machine":
        lines = [f"ipl-coder suggestion of {segment.code_id}: rules {', '.join(segment.rules)}; words {', '.join(segment.matched)}"]
    elif segment.origin == "model":  # read back as the model's suggestion, with its score (qdpx_apply.LEARNED_MODEL)
        score = f" {segment.score:.2f}" if segment.score is not None else ""
        lines = [f"ipl-coder suggestion of {segment.code_id}: rules learned model{score}; words {', '.join(segment.matched)}"]
    else:
        lines = [f"ipl-coder: {segment.code_id} added by {segment.coder}"]
    for coder, view in sorted(decided.items()):
        if view.decision is not None:
            target = f" to {view.new_code_id}" if view.decision == "recode" and view.new_code_id else ""
            lines.append(f"{coder}: {view.decision}{target} at {view.decided_at}")
    return "\n".join(lines)


def _excerpt(text: str, longest: int = 60) -> str:
    words = " ".join(text.split())
    return words if len(words) <= longest else words[: longest - 1] + "…"


def _datetime(stamp: str) -> str:
    """The store's ISO times as xsd:dateTime: 'T' between date and time, and a zone."""
    value = stamp.strip().replace(" ", "T")
    return value if value.endswith("Z") or "+" in value[10:] else value + "Z"


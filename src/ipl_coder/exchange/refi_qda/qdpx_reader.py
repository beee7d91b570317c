"""What a REFI-QDA project holds, read into plain objects: users, codes, sources with their coded selections, cases.

Nothing here touches a project; :mod:`ipl_coder.exchange.refi_qda.qdpx_import`
applies what is read. Positions stay as the file wrote them (the raw text's
code points, or UTF-16 units for NVivo for Windows); the import maps them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipl_coder.exchange.refi_qda.qdc_reader import ImportedCode, codes_in
from ipl_coder.exchange.refi_qda.qdpx_archive import ProjectFile
from ipl_coder.exchange.refi_qda.qdpx_check import local

MACHINE_USER = "ipl-coder rules"
CODE_ID_LINE = re.compile(r"^([0-9A-Fa-f-]{36}) ([\w][\w.-]*)$")
DECISION_LINE = re.compile(r"^(?P<coder>.+?): (?P<decision>accept|reject|recode|add)(?: to (?P<code>[\w][\w.-]*))? at (?P<at>\S.*)$")
SUGGESTION_LINE = re.compile(r"^ipl-coder suggestion of (?P<code>[\w][\w.-]*): rules (?P<rules>.*?); words (?P<words>.*)$")


@dataclass(frozen=True)
class Coding:
    code_guid: str
    user: str  # the REFI user's name ("" when the file names no user)


@dataclass(frozen=True)
class Selection:
    guid: str
    start: int  # as written in the file
    end: int
    codings: tuple[Coding, ...]
    description: str
    notes: tuple[tuple[str, str], ...]  # (user, text) of each note it refers to
    user: str  # who made the selection

    @property
    def suggestion(self) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        """The rules and words of an ipl-coder suggestion, from the description ipl-coder wrote."""
        first = self.description.splitlines()[0] if self.description else ""
        found = SUGGESTION_LINE.match(first)
        if not found:
            return None
        return tuple(_split(found["rules"])), tuple(_split(found["words"]))

    @property
    def decisions(self) -> list[tuple[str, str, str | None]]:
        """(coder, decision, code recoded to) for each decision line ipl-coder wrote."""
        found = [DECISION_LINE.match(line) for line in self.description.splitlines()[1:]]
        return [(match["coder"], match["decision"], match["code"]) for match in found if match]


@dataclass(frozen=True)
class Source:
    guid: str
    name: str
    plain_text: str | None  # None when neither the archive nor the document holds it
    docx: bytes | None
    selections: tuple[Selection, ...]
    attributes: dict[str, str]


@dataclass(frozen=True)
class Case:
    name: str
    attributes: dict[str, str]
    source_guids: tuple[str, ...]


@dataclass
class RefiProject:
    name: str
    origin: str
    codes: list[ImportedCode]
    sources: list[Source] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    variables: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # one line per source whose text is not there

    @property
    def from_ipl_coder(self) -> bool:
        return self.origin.startswith("ipl-coder")


def read_project(project_file: ProjectFile) -> RefiProject:
    root = project_file.root
    users = {user.get("guid", "").casefold(): user.get("name") or user.get("id") or "" for user in _all(root, "User")}
    notes = {note.get("guid", "").casefold(): (users.get((note.get("creatingUser") or "").casefold(), ""),
                                               _text(note, "PlainTextContent")) for note in _all(root, "Note")}  # fmt: skip
    origin = root.get("origin") or ""
    hints = _code_id_hints(_text(root, "Description")) if origin.startswith("ipl-coder") else {}
    project = RefiProject(root.get("name") or project_file.path.stem, origin, codes_in(root, project_file.path, hints) or [])
    variables = {variable.get("guid", "").casefold(): variable.get("name") or "" for variable in _all(root, "Variable")}
    project.variables = [name for name in variables.values() if name]
    for element in _all(root, "TextSource"):
        project.sources.append(_source(element, project_file, users, notes, variables, project.missing))
    for case in _all(root, "Case"):
        refs = tuple(ref.get("targetGUID", "").casefold() for ref in case if local(ref) == "SourceRef")
        project.cases.append(Case(case.get("name") or case.get("guid") or "", _values(case, variables), refs))
    return project


def _source(element: Any, project_file: ProjectFile, users: dict[str, str], notes: dict[str, tuple[str, str]],
            variables: dict[str, str], missing: list[str]) -> Source:  # fmt: skip
    name = element.get("name") or element.get("guid") or "source"
    plain = _text(element, "PlainTextContent") or None
    plain_path, rich_path = element.get("plainTextPath") or "", element.get("richTextPath") or ""
    if plain is None and plain_path.startswith("internal://"):
        data = project_file.source_bytes(plain_path.removeprefix("internal://"))
        plain = data.decode("utf-8-sig", errors="replace") if data is not None else None
    docx = None
    if rich_path.startswith("internal://") and rich_path.casefold().endswith(".docx") and (plain is None or len(plain.strip()) <= 1):
        docx = project_file.source_bytes(rich_path.removeprefix("internal://"))
    if (plain is None or not plain.strip()) and docx is None:
        missing.append(f"source '{name}': its text ({plain_path or rich_path or 'none given'}) is not in the file; not imported")
    selections = tuple(_selection(item, users, notes) for item in element if local(item) == "PlainTextSelection")
    return Source(element.get("guid", "").casefold(), name, plain, docx, selections, _values(element, variables))


def _selection(element: Any, users: dict[str, str], notes: dict[str, tuple[str, str]]) -> Selection:
    codings = tuple(
        Coding(next((ref.get("targetGUID", "") for ref in coding if local(ref) == "CodeRef"), "").casefold(),
               users.get((coding.get("creatingUser") or "").casefold(), ""))
        for coding in element if local(coding) == "Coding"
    )  # fmt: skip
    refs = [notes[ref.get("targetGUID", "").casefold()] for ref in element
            if local(ref) == "NoteRef" and ref.get("targetGUID", "").casefold() in notes]  # fmt: skip
    return Selection(element.get("guid", ""), _int(element.get("startPosition")), _int(element.get("endPosition")), codings,
                     _text(element, "Description"), tuple(refs), users.get((element.get("creatingUser") or "").casefold(), ""))  # fmt: skip


def _values(element: Any, variables: dict[str, str]) -> dict[str, str]:
    values = {}
    for value in element:
        if local(value) != "VariableValue":
            continue
        ref = next((child.get("targetGUID", "") for child in value if local(child) == "VariableRef"), "").casefold()
        text = next(((child.text or "").strip() for child in value if local(child).endswith("Value") and local(child) != "VariableValue"), "")
        if ref in variables and text:
            values[variables[ref]] = text
    return values


def _code_id_hints(description: str) -> dict[str, str]:
    return {match[1].casefold(): match[2] for line in description.splitlines() if (match := CODE_ID_LINE.match(line.strip()))}


def _all(root: Any, kind: str) -> list[Any]:
    return [element for element in root.iter() if local(element) == kind]


def _text(element: Any, kind: str) -> str:
    child = next((item for item in element if local(item) == kind), None)
    return (child.text or "") if child is not None else ""


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return -1


def _split(listed: str) -> list[str]:
    return [item.strip() for item in listed.split(", ") if item.strip()]


def source_file_name(name: str) -> str:
    """A transcript name from a source's name: no folders, no suffix, nothing a file system refuses."""
    stem = Path(name.replace("\\", "/").rsplit("/", 1)[-1]).stem if "." in name[-6:] else name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = re.sub(r'[<>:"|?*\x00-\x1f]', "_", stem).strip(" .") or "source"
    return cleaned[:120]

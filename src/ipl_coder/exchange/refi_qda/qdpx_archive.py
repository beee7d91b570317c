"""Opening a REFI-QDA project safely: a ``.qdpx`` zip, or a ``.qde`` with its ``sources`` folder beside it.

A project file comes from elsewhere, so it is read as hostile until shown
otherwise. Refused, with one line and before anything is written:

* a member whose path leaves the archive (``../``), is absolute (``/x``,
  ``C:\\x``) or is a link;
* a member that would unpack past the sizes or ratio in
  :mod:`ipl_coder.transcripts.archives` (a "zip bomb");
* a project document with a DOCTYPE: REFI-QDA needs none, and a DOCTYPE is how
  entity-expansion ("billion laughs") and external-entity (XXE) attacks begin.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipl_coder.errors import InputError
from ipl_coder.transcripts.archives import DAMAGED, ArchiveError, check_archive, read_member

DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
MAX_SOURCE_BYTES = 64 * 1024 * 1024  # one transcript's text; a bigger "source" is not an interview


@dataclass
class ProjectFile:
    """The project document, parsed, and a way to read the files its sources name."""

    path: Path
    root: Any
    archive: zipfile.ZipFile | None
    folder: Path | None  # a .qde's own folder, where its sources are
    members: dict[str, str]  # lower-cased member name -> name as in the archive

    def source_bytes(self, internal_name: str) -> bytes | None:
        """The file an ``internal://`` path names, from ``sources/`` (any case); None if it is not there."""
        if self.archive is not None:
            member = self.members.get(f"sources/{internal_name}".casefold())
            return read_member(self.archive, member) if member else None
        assert self.folder is not None
        for folder in ("sources", "Sources"):
            candidate = self.folder / folder / internal_name
            if _inside(candidate, self.folder) and candidate.is_file() and not candidate.is_symlink():
                if candidate.stat().st_size > MAX_SOURCE_BYTES:
                    raise InputError(f"{candidate}: larger than the {MAX_SOURCE_BYTES // 2**20} MB a transcript may be; refused")
                return candidate.read_bytes()
        return None

    def close(self) -> None:
        if self.archive is not None:
            self.archive.close()


def open_project(path: Path) -> ProjectFile:
    """The project at ``path`` (``.qdpx`` or ``.qde``), checked and parsed; :class:`InputError` says why not."""
    if not path.is_file():
        raise InputError(f"{path}: no such file; give a .qdpx (or a .qde with its sources folder)")
    if not zipfile.is_zipfile(path):
        return ProjectFile(path, parse_document(path.read_bytes(), path), None, path.parent, {})
    try:
        archive = zipfile.ZipFile(path)
        members = _checked_members(archive, path)
        documents = [name for lower, name in members.items() if lower.endswith(".qde") and "/" not in lower]
        chosen = [name for name in documents if name.casefold() == "project.qde"] or documents
        if len(chosen) != 1:
            raise InputError(f"{path}: a .qdpx holds one project document (.qde) at its top; this one has {len(documents)}")
        root = parse_document(read_member(archive, chosen[0]), path)
    except ArchiveError as error:
        raise InputError(f"{path}: refused: {error}") from None
    except DAMAGED as error:
        raise InputError(f"{path}: a damaged .qdpx that cannot be unpacked ({type(error).__name__}); export the project again") from None
    return ProjectFile(path, root, archive, None, members)


def _checked_members(archive: zipfile.ZipFile, path: Path) -> dict[str, str]:
    check_archive(archive)
    members = {}
    for info in archive.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
            raise InputError(f"{path}: refused: the member '{name}' points outside the archive; this is not a file a QDA tool writes")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise InputError(f"{path}: refused: the member '{name}' is a link; this is not a file a QDA tool writes")
        members[name.casefold()] = name
    return members


def parse_document(data: bytes, path: Path) -> Any:
    """The project document's root element; a DOCTYPE or entity declaration is refused before parsing."""
    from lxml import etree

    if DOCTYPE.search(data):
        raise InputError(f"{path}: refused: the project document declares a DOCTYPE or entities, which REFI-QDA never needs "
                         "(a way to attack an XML reader)")  # fmt: skip
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as error:
        raise InputError(f"{path}:{error.lineno}: the project document is not well-formed XML ({error.msg})") from None
    if root.tag.rsplit("}", 1)[-1] != "Project":
        raise InputError(f"{path}: no <Project> at the top: is this a REFI-QDA project (.qdpx or .qde)?")
    return root


def _inside(candidate: Path, folder: Path) -> bool:
    try:
        candidate.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True

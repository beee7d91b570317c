"""What the REFI-QDA schema cannot check about a project: that every reference resolves and every position fits.

The XSD checks the shape of ``project.qde``. It does not check that a
``CodeRef``, ``creatingUser``, ``SourceRef``, ``VariableRef`` or ``NoteRef``
names something that exists, that GUIDs are unique, that a selection lies
within its source's text, or that an ``internal://`` file is in the archive.
"""

from __future__ import annotations

import zipfile
from collections import Counter
from typing import Any

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
REFERENCES = {  # element or attribute -> the kind of thing it must name
    "CodeRef": "Code", "SourceRef": "Source", "VariableRef": "Variable", "NoteRef": "Note",
    "MemberCode": "Code", "MemberSource": "Source", "MemberNote": "Note",
}  # fmt: skip
USER_ATTRIBUTES = ("creatingUser", "modifyingUser", "creatingUserGUID", "modifyingUserGUID")
SOURCE_KINDS = ("TextSource", "PictureSource", "PDFSource", "AudioSource", "VideoSource")


def local(element: Any) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def reference_problems(root: Any, archive: zipfile.ZipFile | None = None) -> list[str]:
    """Every broken reference, repeated GUID, misplaced selection and missing source file of a project document."""
    by_kind: dict[str, set[str]] = {}
    counts: Counter[str] = Counter()
    for element in root.iter():
        kind, element_guid = local(element), element.get("guid")
        if element_guid:
            by_kind.setdefault("Source" if kind in SOURCE_KINDS else kind, set()).add(element_guid)
            counts[element_guid] += 1
    problems = [f"GUID {value} is used {number} times" for value, number in counts.items() if number > 1]
    for element in root.iter():
        kind = local(element)
        target = element.get("targetGUID")
        if kind in REFERENCES and target not in by_kind.get(REFERENCES[kind], set()):
            problems.append(f"{kind} points at {target}, which is no {REFERENCES[kind]}")
        for attribute in USER_ATTRIBUTES:
            user = element.get(attribute)
            if user is not None and user not in by_kind.get("User", set()):
                problems.append(f"{kind} {element.get('guid') or ''} has {attribute} {user}, which is no User".replace("  ", " "))
    if archive is not None:
        problems += _source_problems(root, archive)
    return problems


def _source_problems(root: Any, archive: zipfile.ZipFile) -> list[str]:
    names = {name.casefold(): name for name in archive.namelist()}
    problems = []
    for source in root.iter(f"{{{PROJECT_NAMESPACE}}}TextSource"):
        path = source.get("plainTextPath") or ""
        if not path.startswith("internal://"):
            continue
        member = names.get(f"sources/{path.removeprefix('internal://')}".casefold())
        if member is None:
            problems.append(f"TextSource {source.get('name')!r}: {path} is not in the archive")
            continue
        length = len(archive.read(member).decode("utf-8-sig"))
        for selection in source.iter(f"{{{PROJECT_NAMESPACE}}}PlainTextSelection"):
            start, end = int(selection.get("startPosition", "-1")), int(selection.get("endPosition", "-1"))
            if not 0 <= start <= end <= length:
                problems.append(f"selection {selection.get('guid')} at {start}-{end} lies outside its source ({length} characters)")
    return problems

"""Read a REFI-QDA codebook (``.qdc``, or the codebook inside a ``.qdpx`` project) into codebook YAML.

Real files differ: the namespace may be the codebook's, the project's or none,
a project's ``.qde`` may be called ``project.qde``, ``Project.qde`` or after
the project, colours may be ``#RGB``, and codes may have no colour or
description. Rules do not travel in REFI-QDA, so the imported codes have none:
add terms with ``ipl-coder codebook add-term``.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipl_coder.errors import InputError
from ipl_coder.exchange.refi_qda.qdc_writer import CRITERIA
from ipl_coder.files import atomic_file
from ipl_coder.transcripts.archives import DAMAGED, ArchiveError, read_member

PLACEHOLDER_ID = "code"
MAX_DEPTH = 50  # sub-code levels; deeper trees are damaged files, and the YAML written for them would not load


@dataclass
class ImportedCode:
    code_id: str
    label: str
    color: str | None
    definition: str = ""
    criteria: dict[str, str] = field(default_factory=dict)
    children: list[ImportedCode] = field(default_factory=list)
    guid: str = ""


@dataclass(frozen=True)
class QdcImport:
    source: Path
    out: Path
    codes: int
    top_level: int
    renamed_ids: int  # codes whose id had to differ from their name (repeated or unusual names)


def read_codebook_xml(path: Path) -> bytes:
    """The XML holding the codebook: the file itself, or the project document inside a .qdpx zip.

    A .qdpx's sizes are checked before its project document is read (see :mod:`ipl_coder.transcripts.archives`).
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file; check the path")
    if not zipfile.is_zipfile(path):
        return path.read_bytes()
    try:
        with zipfile.ZipFile(path) as archive:
            documents = [name for name in archive.namelist() if name.lower().endswith(".qde") and "/" not in name.strip("/")]
            preferred = [name for name in documents if name.lower() == "project.qde"] or documents
            if len(preferred) != 1:
                raise InputError(f"{path}: a .qdpx should hold one project document (.qde) at its top; found {len(documents)}")
            return read_member(archive, preferred[0])
    except ArchiveError as error:
        raise InputError(f"{path}: {error}") from None
    except DAMAGED as error:
        raise InputError(f"{path}: a damaged .qdpx that cannot be unpacked ({type(error).__name__}); export the project again") from None


def parse_qdc(data: bytes, source: Path) -> list[ImportedCode]:
    from lxml import etree

    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise InputError(f"{source}:{error.lineno}: not well-formed XML ({error.msg})") from None
    codes = codes_in(root, source)
    if codes is None:
        raise InputError(f"{source}: no <CodeBook> with <Codes> in it: is this a REFI-QDA codebook (.qdc) or project (.qdpx)?")
    return codes


def codes_in(root: Any, source: Path, id_hints: dict[str, str] | None = None) -> list[ImportedCode] | None:
    """The code tree under a document's <CodeBook>, or None without one; ``id_hints`` give some GUIDs their id."""
    codebook = root if _local(root) == "CodeBook" else next((e for e in root.iter() if _local(e) == "CodeBook"), None)
    codes = next((child for child in codebook if _local(child) == "Codes"), None) if codebook is not None else None
    if codes is None:
        return None
    taken: set[str] = set()
    return [_code(element, taken, source, 1, id_hints or {}) for element in codes if _local(element) == "Code"]


def _local(element: Any) -> str:
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""


def _code(element: Any, taken: set[str], source: Path, depth: int, id_hints: dict[str, str]) -> ImportedCode:
    name = (element.get("name") or "").strip()
    if not name:
        raise InputError(f"{source}:{element.sourceline}: a <Code> has no name")
    if depth > MAX_DEPTH:
        raise InputError(f"{source}:{element.sourceline}: codes nested more than {MAX_DEPTH} levels deep; a codebook needs a few levels")
    description = next((child.text or "" for child in element if _local(child) == "Description"), "")
    definition, criteria = split_description(description)
    code_guid = (element.get("guid") or "").strip()
    hint = id_hints.get(code_guid.casefold())
    code_id = hint if hint and hint not in taken else _unique_id(name, taken)
    taken.add(code_id)
    code = ImportedCode(
        code_id=code_id, label=name, color=_color(element.get("color")), definition=definition, criteria=criteria, guid=code_guid,
    )  # fmt: skip
    code.children = [_code(child, taken, source, depth + 1, id_hints) for child in element if _local(child) == "Code"]
    return code


def split_description(description: str) -> tuple[str, dict[str, str]]:
    """The definition, and the criteria paragraphs ipl-coder writes ('Include: ...')."""
    definition, criteria = [], {}
    for paragraph in re.split(r"\n\s*\n", description.replace("\r\n", "\n").strip()):
        for key, prefix in CRITERIA:
            if paragraph.startswith(prefix):
                criteria[key] = paragraph[len(prefix):].strip()
                break
        else:
            if paragraph.strip():
                definition.append(paragraph.strip())
    return "\n\n".join(definition), criteria


def _color(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"#[0-9A-Fa-f]{3}", value):
        value = "#" + "".join(digit * 2 for digit in value[1:])
    return value.upper() if re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else None


def _unique_id(name: str, taken: set[str]) -> str:
    """A code id from a name: lower case, words joined by '-', unique in the codebook."""
    slug = unicodedata.normalize("NFC", name).casefold()
    slug = re.sub(r"[^\w.]+", "-", slug).strip("-._") or PLACEHOLDER_ID
    candidate, number = slug, 2
    while candidate in taken:
        candidate, number = f"{slug}-{number}", number + 1
    taken.add(candidate)
    return candidate


def import_qdc(source: Path, out: Path, *, language: str = "en", force: bool = False) -> QdcImport:
    from ipl_coder.codebook.schema import parse_codebook_text

    if out.exists() and not force:
        raise InputError(f"{out} exists already; give another --out, or --force to replace it")
    codes = parse_qdc(read_codebook_xml(source), source)
    if not codes:
        raise InputError(f"{source}: the codebook has no codes")
    text = codebook_yaml(codes, source, language)
    parse_codebook_text(text, out)  # what is written must load
    with atomic_file(out, encoding="utf-8") as handle:
        handle.write(text)
    everything = list(_walk(codes))
    renamed = sum(1 for code in everything if code.code_id != code.label)
    return QdcImport(source, out, len(everything), len(codes), renamed)


def _walk(codes: list[ImportedCode]) -> Any:
    for code in codes:
        yield code
        yield from _walk(code.children)


def codebook_yaml(codes: list[ImportedCode], source: Path, language: str) -> str:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    def entry(code: ImportedCode) -> CommentedMap:
        mapping = CommentedMap([("id", code.code_id), ("label", code.label)])
        if code.color:
            mapping["color"] = DoubleQuotedScalarString(code.color)
        if code.definition:
            mapping["definition"] = code.definition
        for key, _ in CRITERIA:
            if code.criteria.get(key):
                mapping[key] = code.criteria[key]
        if code.children:
            mapping["codes"] = CommentedSeq([entry(child) for child in code.children])
        return mapping

    root = CommentedMap([("name", source.stem), ("language", language), ("codes", CommentedSeq([entry(c) for c in codes]))])
    root.yaml_set_start_comment(
        f"Imported from {source.name} by ipl-coder. REFI-QDA carries no rules: add terms to the codes\n"
        "the machine should suggest, e.g. ipl-coder codebook add-term THIS.yaml CODE_ID \"a term\"."
    )
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    buffer = io.StringIO()
    yaml.dump(root, buffer)
    return buffer.getvalue()

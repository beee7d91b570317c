"""A codebook as a REFI-QDA codebook (``.qdc``), for NVivo, ATLAS.ti, MAXQDA and QualCoder.

The format carries the code tree, names, colours and descriptions, not rules:
the definition and the inclusion and exclusion criteria go into each code's
``Description``, one paragraph each, so ``qdc_reader`` can split them again.
GUIDs are uuid5 of the code id, so exporting twice gives the same file and a
code keeps its GUID across codebook versions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from ipl_coder import __version__
from ipl_coder.codebook.model import Code, Codebook
from ipl_coder.codebook.schema import load_codebook
from ipl_coder.files import atomic_file

CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
# Fixed forever: changing it would give every exported code a new GUID.
GUID_NAMESPACE = uuid.UUID("6c1f0b8e-3d0a-5b7e-9a51-1f2d9c0e4a77")
CRITERIA = (("include", "Include: "), ("exclude", "Exclude: "), ("memo", "Memo: "))


@dataclass(frozen=True)
class QdcExport:
    out: Path
    codes: int


def code_guid(code_id: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"ipl-coder code {code_id}"))


def description_of(code: Code) -> str:
    paragraphs = [code.definition] if code.definition else []
    paragraphs += [prefix + getattr(code, name) for name, prefix in CRITERIA if getattr(code, name)]
    return "\n\n".join(paragraphs)


def codebook_to_qdc(codebook: Codebook) -> bytes:
    from lxml import etree

    root = etree.Element(f"{{{CODEBOOK_NAMESPACE}}}CodeBook", nsmap={None: CODEBOOK_NAMESPACE})  # type: ignore[dict-item]  # None names the default namespace
    root.set("origin", f"ipl-coder {__version__}")
    codes = etree.SubElement(root, f"{{{CODEBOOK_NAMESPACE}}}Codes")
    elements: dict[str, etree._Element] = {}
    for code in codebook.codes:
        parent = elements[code.parent_id] if code.parent_id else codes
        element = etree.SubElement(parent, f"{{{CODEBOOK_NAMESPACE}}}Code")
        element.set("guid", code_guid(code.code_id))
        element.set("name", code.label)
        # A folder of sub-codes that suggests nothing itself is not for coding.
        codable = not code.child_ids or code.has_rules_in_any_language
        element.set("isCodable", "true" if codable else "false")
        element.set("color", code.color)
        description = description_of(code)
        if description:
            etree.SubElement(element, f"{{{CODEBOOK_NAMESPACE}}}Description").text = description
        elements[code.code_id] = element
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def export_qdc(codebook_path: Path, out: Path) -> QdcExport:
    codebook = load_codebook(codebook_path)
    data = codebook_to_qdc(codebook)
    with atomic_file(out, encoding="utf-8") as handle:
        handle.write(data.decode("utf-8"))
    return QdcExport(out, len(codebook.codes))

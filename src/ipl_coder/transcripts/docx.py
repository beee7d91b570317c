"""Word (.docx) transcripts, read with python-docx.

The text is the body's paragraphs, one per line. A table laid out as turns
(speaker, text and perhaps time columns) becomes one ``Speaker: text`` line per
row (see :mod:`ipl_coder.transcripts.docx_tables`); any other table's cells are
read one per line, row by row. A paragraph's
leading bold run is how Word transcripts usually mark the speaker, so a label in
bold (``**Kari:** ...`` or a bold paragraph of its own) is vouched for even
where that speaker talks only once.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ipl_coder.transcripts.archives import DAMAGED, ArchiveError, check_archive
from ipl_coder.transcripts.docx_tables import TableTurns, table_turns

if TYPE_CHECKING:
    from docx.text.paragraph import Paragraph

MAX_BOLD_LABEL = 40
BOLD_LABEL = re.compile(r"^\s*(?P<label>[^\W_][^:\n]{0,39}?)\s*(?:[\[(][\d:.,]+[\])])?\s*:?\s*$")


@dataclass(frozen=True)
class DocxText:
    text: str
    bold_labels: frozenset[str]  # and the speaker column's labels of tables read as turns
    notes: tuple[str, ...] = ()


class DocxError(ValueError):
    """The file is not a Word document python-docx can open."""


def read_docx_text(raw: bytes) -> DocxText:
    """The text of a .docx file's bytes (already read, so the file is read once).

    Its sizes are checked before python-docx unpacks it (see :mod:`ipl_coder.transcripts.archives`).
    """
    from docx.opc.exceptions import OpcError

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            check_archive(archive)
        return _read_document(raw)
    except ArchiveError as error:
        raise DocxError(str(error)) from None
    except (*DAMAGED, OpcError) as error:
        raise DocxError(f"not a Word .docx file that can be opened ({type(error).__name__}); open it in Word and save it as .docx") from None
    except Exception as error:  # python-docx meets a damaged part with any kind of error; --verbose shows which
        raise DocxError(f"a damaged Word file ({type(error).__name__}); open it in Word and save it as .docx") from error


def _read_document(raw: bytes) -> DocxText:
    from docx import Document

    document = Document(io.BytesIO(raw))
    lines: list[str] = []
    labels: set[str] = set()
    notes: list[str] = []
    for block in _blocks(document):
        if isinstance(block, TableTurns):
            lines += block.lines
            labels |= block.speakers
            notes.append(block.description)
            continue
        lines.append(block.text)
        label = _bold_label(block)
        if label:
            labels.add(label)
    return DocxText("\n".join(lines), frozenset(labels), tuple(notes))


def _blocks(document: object) -> Iterator[Paragraph | TableTurns]:
    """The body's paragraphs in order, a table of turns as a whole and any other table cell by cell."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for block in document.iter_inner_content():  # type: ignore[attr-defined]
        if isinstance(block, Paragraph):
            yield block
        elif isinstance(block, Table):
            turns = table_turns(block)
            if turns is not None:
                yield turns
                continue
            for row in block.rows:
                for cell in row.cells:
                    yield from cell.paragraphs


def _bold_label(paragraph: Paragraph) -> str | None:
    """The speaker label a paragraph opens with in bold, if it does."""
    bold_text = ""
    for run in paragraph.runs:
        if not run.text.strip() and bold_text:
            bold_text += run.text
            continue
        if not run.bold:
            break
        bold_text += run.text
        if len(bold_text) > MAX_BOLD_LABEL + 10:
            return None
    match = BOLD_LABEL.match(bold_text)
    if not match or not bold_text.strip() or _is_heading(paragraph):
        return None
    label = " ".join(match.group("label").split())
    if ":" in bold_text:
        return label
    # Without a colon, only a whole paragraph that reads as a name is a label, not a bold phrase.
    whole = paragraph.text.strip() == bold_text.strip()
    return label if whole and all(word[0].isupper() or word[0].isdigit() for word in label.split()) else None


def _is_heading(paragraph: Paragraph) -> bool:
    style = paragraph.style.name if paragraph.style is not None else ""
    return style.startswith(("Heading", "Title", "Subtitle"))

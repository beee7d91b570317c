"""``ipl-coder import qdpx``: a REFI-QDA project's transcripts, coding and participants into an ipl-coder project.

* Each text source becomes a transcript, read with the same speaker-label rules
  as a ``.txt`` (a ``.docx`` source through the ``.docx`` reader). Its text is
  written to ``PROJECT/imported/<file>/<name>.txt`` so ``ipl-coder code`` can
  code exactly that text later.
* Each coding becomes a code its REFI user (or ``--coder``) added, so
  ``agreement --against`` can score the rules against it. Codes are matched to
  the project's codebook by GUID (ipl-coder's GUIDs come from code ids), then by
  id, then by name; a project without a codebook takes the file's.
* A file ipl-coder exported comes back whole: the machine's suggestions with
  their rules and words, and each coder's accepts, rejections and recodes.
* Nothing is overwritten, and importing the same file again adds nothing.
"""

from __future__ import annotations

from pathlib import Path

from ipl_coder.errors import InputError, TranscriptError
from ipl_coder.exchange.refi_qda.positions import has_astral, normalise_with_positions, utf16_to_code_points
from ipl_coder.exchange.refi_qda.qdc_reader import codebook_yaml
from ipl_coder.exchange.refi_qda.qdpx_apply import PlacedSource, QdpxImportResult
from ipl_coder.exchange.refi_qda.qdpx_archive import open_project
from ipl_coder.exchange.refi_qda.qdpx_reader import RefiProject, Selection, Source, read_project, source_file_name
from ipl_coder.files import atomic_file, atomic_path
from ipl_coder.store import ProjectStore
from ipl_coder.transcripts import Transcript


def import_qdpx(path: Path, project_dir: Path, coder: str | None = None, codebook_out: Path | None = None) -> QdpxImportResult:
    project_file = open_project(path)
    try:
        project = read_project(project_file)
    finally:
        project_file.close()
    if codebook_out is not None and codebook_out.exists():
        raise InputError(f"{codebook_out} exists already; give another --codebook-out")
    folder = project_dir / "imported" / source_file_name(path.name)
    result = QdpxImportResult(path, project_dir, folder, notes=list(project.missing))
    from ipl_coder.exchange.refi_qda.qdpx_apply import apply_import

    # The store first: it creates a new project folder private to its owner, before any text is written into it.
    with ProjectStore.open(project_dir, create=True, lock="exclusive") as store:
        placed = [item for source in project.sources if (item := _place(source, folder, project, result)) is not None]
        apply_import(store, project, placed, coder, result)
    if codebook_out is not None:
        _write_codebook(project, result, codebook_out)
    return result


def _place(source: Source, folder: Path, project: RefiProject, result: QdpxImportResult) -> PlacedSource | None:
    from ipl_coder.transcripts.reader import TranscriptFile, read_transcript

    if source.plain_text is None and source.docx is None:
        return None
    name = source_file_name(source.name)
    use_docx = source.plain_text is None or len(source.plain_text.strip()) <= 1
    file = folder / f"{name}.{'docx' if use_docx else 'txt'}"
    mapped = None if use_docx else normalise_with_positions(source.plain_text or "")
    data = source.docx if use_docx else (mapped.text if mapped else "").encode("utf-8")
    if file.exists() and file.read_bytes() != data:
        result.notes.append(f"source '{source.name}': {file} exists with other content; not imported (nothing is overwritten)")
        return None
    folder.mkdir(parents=True, exist_ok=True)
    if not file.exists():
        with atomic_path(file) as temporary:
            temporary.write_bytes(data or b"")
    try:
        transcript = read_transcript(TranscriptFile(file, name))
    except TranscriptError as error:
        result.notes.append(f"source '{source.name}': {error.reason}; not imported")
        return None
    selections = []
    for selection in source.selections:
        where = _where(selection, source, transcript, mapped, project)
        if where is None:
            result.notes.append(f"source '{source.name}': a selection at {selection.start}-{selection.end} cannot be placed "
                                "in its text; left out")  # fmt: skip
        else:
            selections.append((selection, *where))
    if use_docx and source.selections:
        result.notes.append(f"source '{source.name}': its text is only in a .docx, so its {len(source.selections)} selections "
                            "cannot be placed exactly; left out")  # fmt: skip
        selections = []
    return PlacedSource(source, transcript, selections)


def _where(selection: Selection, source: Source, transcript: Transcript, mapped: object, project: RefiProject) -> tuple[int, int] | None:
    from ipl_coder.exchange.refi_qda.positions import MappedText

    if not isinstance(mapped, MappedText):
        return None
    raw = source.plain_text or ""
    start, end = selection.start, selection.end
    if has_astral(raw) and (end > len(raw) or "windows" in project.origin.casefold()):
        units = utf16_to_code_points(raw)  # NVivo for Windows counts UTF-16 units
        if end >= len(units):
            return None
        start, end = units[start], units[end]
    placed = mapped.place(start, end)
    if placed is None:
        return None
    shift = len(mapped.text) - len(transcript.text)  # front matter the reader set aside
    if shift and not mapped.text.endswith(transcript.text):
        return None
    return (placed[0] - shift, placed[1] - shift) if placed[0] >= shift else None


def _write_codebook(project: RefiProject, result: QdpxImportResult, out: Path) -> None:
    from ipl_coder.codebook.schema import parse_codebook_text

    if not project.codes:
        result.notes.append(f"{result.source.name} has no codes; no codebook written to {out}")
        return
    text = codebook_yaml(project.codes, result.source, "en")
    parse_codebook_text(text, out)
    with atomic_file(out) as handle:
        handle.write(text)
    result.codebook_out = out

"""``ipl-coder report``: one self-contained HTML page of a project's coding, made to be read offline.

Jinja2 escapes everything by default, so transcript text (``<script>`` in an
interview is data) is shown as written; charts are matplotlib SVG, inlined. A
Content-Security-Policy forbids the page any request. A page that would pass
:data:`FOLDER_FROM_BYTES` becomes a folder: an index page with everything but
the transcripts, and a page per transcript.
"""

from __future__ import annotations

import gc
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipl_coder import __version__
from ipl_coder.errors import InputError
from ipl_coder.files import atomic_path
from ipl_coder.report.content import ReportContent, read_content
from ipl_coder.report.pieces import ReportPieces

FOLDER_FROM_BYTES = 30 * 1024 * 1024


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str


@dataclass(frozen=True)
class ReportResult:
    out: Path  # the page, or the folder's index page
    folder: bool
    size: int  # bytes written
    transcripts: int
    segments: int
    charts: int
    seconds: float


def build_report(project_dir: Path, out: Path, statuses: Sequence[str], by: Sequence[str] = (),
                 agreement: Callable[[], Any] | None = None) -> ReportResult:  # fmt: skip
    """Write the report of the project at ``project_dir``; ``agreement`` gives an ``AgreementResult`` when people reviewed.

    The store is read a transcript at a time, each one's part written as HTML to a temporary file as it comes
    (:mod:`ipl_coder.report.pieces`); the page (or the folder's pages) is then written a piece at a time from those.
    The agreement is worked out after the charts: the chart of every transcript's bars takes most memory
    of anything here, and is best drawn before the sentence splitter is loaded, and let go of at once.
    """
    started = time.perf_counter()
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{out}: give the report a name ending in .html (a folder of pages is written instead when it is big)")
    environment = _environment()
    with ReportPieces(environment) as pieces:
        content = read_content(project_dir, statuses, pieces.add)
        from ipl_coder.report.report_charts import report_charts

        charts = []
        for title, svg in report_charts(project_dir, content, statuses, by):
            charts.append(Chart(title, svg))
            gc.collect()  # a matplotlib figure is full of cycles: let this one go before the next is drawn
        values = {
            "title": f"Coding report: {project_dir.resolve().name}", "version": __version__, "project": str(project_dir),
            "statuses": list(statuses), "content": content, "pieces": pieces, "charts": charts,
            "agreement": agreement() if agreement is not None else None,
            "colors": {code.code_id: code.color for code in content.codes}, "groups": _groups(content),
        }  # fmt: skip
        folder = pieces.size > FOLDER_FROM_BYTES  # the pieces all go into the one page: past the limit, no need to try it
        if not folder:
            try:
                size = _write_page(environment, "report.html.j2", {**values, "transcript_pages": None}, out, FOLDER_FROM_BYTES)
            except _TooBig:
                folder = True
        if folder:
            size = _write_folder(environment, values, content, out)
    return ReportResult(out.with_suffix("") / "index.html" if folder else out, folder, size, len(content.transcripts),
                        sum(content.code_segments.values()), len(charts), time.perf_counter() - started)  # fmt: skip


class _TooBig(Exception):
    """The page passed its limit while it was written."""


def _write_page(environment: Any, template: str, values: dict[str, Any], out: Path, limit: int | None = None) -> int:
    """Render ``template`` into ``out`` a piece at a time; the bytes written. Past ``limit`` bytes, no file and _TooBig."""
    size = 0
    with atomic_path(out) as temporary, temporary.open("wb") as handle:
        for piece in environment.get_template(template).generate(**values):
            data = piece.encode("utf-8")
            size += len(data)
            if limit is not None and size > limit:
                raise _TooBig
            handle.write(data)
    return size


def _write_folder(environment: Any, values: dict[str, Any], content: ReportContent, out: Path) -> int:
    """An index page with links to one page per transcript, for a project too big for one file."""
    folder = out.with_suffix("")
    (folder / "transcripts").mkdir(parents=True, exist_ok=True)
    pages = [f"transcripts/{number:04d}.html" for number in range(1, len(content.transcripts) + 1)]
    size = 0
    for transcript, page in zip(content.transcripts, pages, strict=True):
        size += _write_page(environment, "transcript.html.j2", {**values, "transcript": transcript}, folder / page)
    return size + _write_page(environment, "report.html.j2", {**values, "transcript_pages": pages}, folder / "index.html")


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    environment = Environment(loader=PackageLoader("ipl_coder.report", "templates"), undefined=StrictUndefined,
                              autoescape=select_autoescape(default=True, default_for_string=True))  # fmt: skip
    environment.filters.update(attr_name=attr_name, highlight=highlight, share=share, figure=figure)
    return environment


def attr_name(name: str) -> str:
    """An attribute name as an HTML data-attribute name: lower case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-") or "attribute"


def highlight(codes: Sequence[str], colors: dict[str, str]) -> str:
    """The style of a stretch of text under one or more codes: the first code's colour behind it, each further code a line."""
    first = colors.get(codes[0], "#999999")
    lines = ", ".join(f"inset 0 -{3 * number}px 0 {colors.get(code, '#999999')}" for number, code in enumerate(codes[1:], start=1))
    return f"background: {first}55;" + (f" box-shadow: {lines};" if lines else "")


def share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _groups(content: ReportContent) -> dict[str, list[str]]:
    """Each participant attribute and its values, for the filters."""
    return {key: sorted(found) for key, found in sorted(content.attribute_values.items()) if 1 < len(found) <= 50}

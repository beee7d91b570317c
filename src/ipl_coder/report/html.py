"""``ipl-coder report``: one self-contained HTML page of a project's coding, made to be read offline.

Jinja2 escapes everything by default, so transcript text (``<script>`` in an
interview is data) is shown as written; charts are matplotlib SVG, inlined. A
Content-Security-Policy forbids the page any request. A page that would pass
:data:`FOLDER_FROM_BYTES` becomes a folder: an index page with everything but
the transcripts, and a page per transcript.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipl_coder import __version__
from ipl_coder.errors import InputError
from ipl_coder.files import atomic_file
from ipl_coder.report.content import ReportContent, read_content

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


def build_report(project_dir: Path, out: Path, statuses: Sequence[str], by: Sequence[str] = (), agreement: Any = None) -> ReportResult:
    """Write the report of the project at ``project_dir``; ``agreement`` is an ``AgreementResult`` when people reviewed."""
    started = time.perf_counter()
    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"{out}: give the report a name ending in .html (a folder of pages is written instead when it is big)")
    content = read_content(project_dir, statuses)
    from ipl_coder.report.report_charts import report_charts

    charts = [Chart(title, svg) for title, svg in report_charts(project_dir, content, statuses, by)]
    environment = _environment()
    values = {
        "title": f"Coding report: {project_dir.resolve().name}", "version": __version__, "project": str(project_dir),
        "statuses": list(statuses), "content": content, "charts": charts, "agreement": agreement,
        "colors": {code.code_id: code.color for code in content.codes}, "groups": _groups(content),
    }  # fmt: skip
    page = environment.get_template("report.html.j2").render(**values, transcript_pages=None)
    folder = len(page.encode("utf-8")) > FOLDER_FROM_BYTES
    if folder:
        size = _write_folder(environment, values, content, out)
    else:
        with atomic_file(out) as handle:
            handle.write(page)
        size = len(page.encode("utf-8"))
    segments = sum(len(views) for views in content.by_code.values())
    return ReportResult(out.with_suffix("") / "index.html" if folder else out, folder, size, len(content.transcripts), segments,
                        len(charts), time.perf_counter() - started)  # fmt: skip


def _write_folder(environment: Any, values: dict[str, Any], content: ReportContent, out: Path) -> int:
    """An index page with links to one page per transcript, for a project too big for one file."""
    folder = out.with_suffix("")
    (folder / "transcripts").mkdir(parents=True, exist_ok=True)
    pages = [f"transcripts/{number:04d}.html" for number in range(1, len(content.transcripts) + 1)]
    size = 0
    for transcript, page in zip(content.transcripts, pages, strict=True):
        html = environment.get_template("transcript.html.j2").render(**values, transcript=transcript)
        with atomic_file(folder / page) as handle:
            handle.write(html)
        size += len(html.encode("utf-8"))
    index = environment.get_template("report.html.j2").render(**values, transcript_pages=pages)
    with atomic_file(folder / "index.html") as handle:
        handle.write(index)
    return size + len(index.encode("utf-8"))


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
    values: dict[str, set[str]] = {}
    for views in content.by_code.values():
        for view in views:
            for key, value in view.attributes.items():
                values.setdefault(key, set()).add(value)
    return {key: sorted(found) for key, found in sorted(values.items()) if 1 < len(found) <= 50}

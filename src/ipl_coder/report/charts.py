"""Charts a researcher puts in a paper: grouped bars, stacked bars and a heatmap, as SVG text or PNG/SVG files.

They are drawn with matplotlib's object API on an Agg canvas, never pyplot:
pyplot keeps figures in global state, and a report drawing many charts must not
mix or leak them. matplotlib is imported inside the functions, so commands that
draw nothing (and ``ipl-coder --help``) do not pay for loading it. The same data
gives the same bytes: SVG ids are salted with a fixed value and no date is
written. Text stays text (not glyph outlines) so that the report can be
searched, and the SVG names no font file: a browser uses its own sans-serif.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ipl_coder.errors import InputError
from ipl_coder.files import atomic_path
from ipl_coder.report.chart_parts import (
    BAR,
    EDGE,
    GAP,
    LINE,
    MARGIN,
    WIDTH,
    category_axis,
    fills,
    laid_out,
    legend,
    lines,
    longest,
    most_lines,
    new_figure,
    style,
    value_axis,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ipl_coder.report.groups import GroupFrequencyResult

FORMATS = {".svg": "svg", ".png": "png"}
PNG_DPI = 200  # sharp in print
# One pattern per group, so that groups stay apart in a paper printed in black and white (past twelve they repeat).
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "ooo", "+++", "---", "|||", "***", "//..", "OO")
# matplotlib's defaults write a date, its name and web address, and Dublin Core namespaces: none is wanted
# (a "Title" would bring the namespaces back; the title is in the chart as text).
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def chart_format(path: Path) -> str:
    """'svg' or 'png', from the file name; anything else is an :class:`InputError` naming what works."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise InputError(f"{path}: a chart is written as .svg or .png; give a file name ending in one of them")
    return kind


def to_svg(figure: Figure) -> str:
    """The chart as SVG text to put inside HTML: no XML declaration, no DOCTYPE, nothing outside it referred to."""
    buffer = io.StringIO()
    with style():
        figure.savefig(buffer, format="svg", metadata=SVG_METADATA)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def save(figure: Figure, path: Path) -> None:
    """Write the chart to ``path``, as SVG or PNG by its suffix; a crash never leaves half a file."""
    kind = chart_format(path)
    with atomic_path(path) as temporary, style():
        if kind == "svg":
            temporary.write_text(to_svg(figure), encoding="utf-8")
        else:
            figure.savefig(temporary, format="png", dpi=PNG_DPI, metadata={"Software": None})


def nothing_to_show(title: str, reason: str) -> Figure:
    """A small chart that says why it is empty, where a crash or a blank image would leave the reader guessing."""
    with style():
        figure, axes = new_figure(WIDTH, 1.6, title)
        axes.set_axis_off()
        axes.text(0.5, 0.5, f"Nothing to show: {reason}", ha="center", va="center", transform=axes.transAxes, color="#555555")
        return laid_out(figure)


def grouped_bars(codes: Sequence[str], groups: Sequence[str], values: Mapping[tuple[str, str], float], *,
                 colors: Mapping[str, str], title: str, value_label: str) -> Figure:  # fmt: skip
    """One cluster of bars per code, in the order given, one bar per group; ``values`` by (code, group), missing = 0.

    Bars are horizontal because code labels are long: they wrap in place rather
    than slant, and the figure grows with the codes, so 16 or 60 never overlap.
    Each bar takes its code's colour (``colors`` by code), each group a hatch.
    """
    if not codes or not groups:
        return nothing_to_show(title, "no codes" if not codes else "no groups")
    labels = [wrap(code) for code in codes]
    slot = max(most_lines(labels) * LINE, len(groups) * BAR) + GAP  # inches per code
    legend_height = len(groups) * LINE * 1.4 if len(groups) > 1 else 0.0
    with style():
        figure, axes = new_figure(WIDTH, max(len(codes) * slot, legend_height) + MARGIN, title)
        bar = (1 - GAP / slot) / len(groups)  # in axis units: code i spans i - 0.5 to i + 0.5
        colored = fills(codes, colors)
        for index, group in enumerate(groups):
            offset = -0.5 + GAP / slot / 2 + (index + 0.5) * bar
            axes.barh([i + offset for i in range(len(codes))], [values.get((code, group), 0.0) for code in codes],
                      height=bar, color=colored, edgecolor=EDGE, linewidth=0.4, hatch=HATCHES[index % len(HATCHES)])  # fmt: skip
        category_axis(axes, labels)
        value_axis(axes, value_label, top=len(codes) > 8)
        if len(groups) > 1:
            legend(axes, [wrap(group) for group in groups], ["#D9D9D9"] * len(groups), HATCHES)
        return laid_out(figure)


def stacked_bars(codes: Sequence[str], bars: Sequence[str], values: Mapping[tuple[str, str], float], *,
                 colors: Mapping[str, str], title: str, value_label: str) -> Figure:  # fmt: skip
    """One bar per entry of ``bars`` (a transcript, say), in order, stacked by code in code colours; ``values`` by (code, bar).

    Give codes that do not contain each other (top-level codes, or leaves): a
    parent's count includes its sub-codes', and stacking both counts them twice.
    """
    if not codes or not bars:
        return nothing_to_show(title, "no codes" if not codes else "nothing to count them in")
    labels = [wrap(bar) for bar in bars]
    keys = [wrap(code, 24) for code in codes]
    body = max(len(bars) * max(most_lines(labels) * LINE, 0.22) * 1.3, sum(lines(key) for key in keys) * LINE * 1.2)
    with style():
        figure, axes = new_figure(WIDTH, body + MARGIN, title)
        left = [0.0] * len(bars)
        for code, fill in zip(codes, fills(codes, colors), strict=True):
            widths = [values.get((code, bar), 0.0) for bar in bars]
            axes.barh(range(len(bars)), widths, left=left, height=0.7, color=fill, edgecolor="white", linewidth=0.5)
            left = [start + width for start, width in zip(left, widths, strict=True)]
        category_axis(axes, labels)
        value_axis(axes, value_label, top=len(bars) > 8)
        legend(axes, keys, fills(codes, colors), ("",))
        return laid_out(figure)


def heatmap(rows: Sequence[str], columns: Sequence[str], values: Mapping[tuple[str, str], float], *,
            title: str, value_format: str = "{:.0f}", value_label: str = "") -> Figure:  # fmt: skip
    """A grid of ``values`` by (row, column), each cell shaded and annotated, with a colour bar; missing cells stay blank."""
    import numpy as np

    grid = np.array([[values.get((row, column), np.nan) for column in columns] for row in rows], dtype=float)
    if not rows or not columns or not np.isfinite(grid).any():
        return nothing_to_show(title, "no rows" if not rows else "no columns" if not columns else "no values")
    row_labels, column_labels = [wrap(row) for row in rows], [wrap(column) for column in columns]
    cell = max(0.5, most_lines(column_labels) * LINE * 1.5)  # slanted two-line labels still clear their neighbours
    width = len(columns) * cell + longest(row_labels) + 1.6  # and the colour bar with its label
    height = len(rows) * cell + longest(column_labels) * 0.75 + 0.8
    with style():
        figure, axes = new_figure(max(width, 4.0), height, title)
        low = min(0.0, float(np.nanmin(grid)))  # counts shade from zero, so the smallest is not mistaken for none
        edges_x, edges_y = np.arange(len(columns) + 1) - 0.5, np.arange(len(rows) + 1) - 0.5
        # Cells as shapes, not a bitmap: sharp at any size and zoom.
        image = axes.pcolormesh(edges_x, edges_y, np.ma.masked_invalid(grid), cmap="Blues", vmin=low,
                                vmax=float(np.nanmax(grid)) or 1.0, edgecolors="white", linewidth=1.0)  # fmt: skip
        for (y, x), value in np.ndenumerate(grid):
            if np.isfinite(value):
                red, green, blue, _ = image.cmap(image.norm(value))
                ink = "white" if 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.5 else "black"  # legible on any shade
                axes.text(x, y, value_format.format(value), ha="center", va="center", color=ink, fontsize=8)
        axes.set_xticks(range(len(columns)), column_labels, rotation=45, ha="right", rotation_mode="anchor")
        axes.set_yticks(range(len(rows)), row_labels)
        axes.set_xlim(-0.5, len(columns) - 0.5)  # every column, even one with no value
        axes.set_ylim(len(rows) - 0.5, -0.5)  # the first row on top, as a table reads
        axes.tick_params(length=0)
        axes.spines[:].set_visible(False)
        figure.colorbar(image, ax=axes, label=value_label)
        return laid_out(figure)


def group_frequency_chart(result: GroupFrequencyResult, colors: Mapping[str, str]) -> Figure:
    """What ``freq`` counted, as grouped bars in the code colours (``colors`` by code id).

    Grouped with --by, the bars are segments per 1,000 words, so a group that
    spoke more does not look as if it said more about everything; with no
    grouping, they are segments.
    """
    labels = {row.code_id: row.label or row.code_id for row in result.rows}
    if len(set(labels.values())) < len(labels):  # two codes with one label: the ids tell them apart
        labels = {code_id: f"{label} ({code_id})" for code_id, label in labels.items()}
    groups = {row.group: _group_name(result.by, row.group) for row in result.rows}
    measure = "segments per 1,000 words" if result.by else "segments"
    whom = f"by {' × '.join(result.by)}" if result.by else "for all participants"
    values = {(labels[row.code_id], groups[row.group]): row.per_1000_words if result.by else float(row.segments)
              for row in result.rows}  # fmt: skip
    return grouped_bars(list(labels.values()), list(groups.values()), values,
                        colors={labels[code_id]: color for code_id, color in colors.items() if code_id in labels},
                        title=f"Codes {whom} ({' and '.join(result.statuses)} segments)",
                        value_label=measure)  # fmt: skip


def plot_group_frequencies(result: GroupFrequencyResult, colors: Mapping[str, str], path: Path) -> None:
    """Draw :func:`group_frequency_chart` and write it to ``path``, an .svg or .png file."""
    chart_format(path)  # a wrong suffix is told before any drawing
    save(group_frequency_chart(result, colors), path)


def _group_name(by: Sequence[str], group: tuple[str, ...]) -> str:
    # "no country" for a participant without one, as clear in a legend as the table's dash is in a row.
    return " · ".join(value or f"no {name}" for name, value in zip(by, group, strict=True)) or "all participants"

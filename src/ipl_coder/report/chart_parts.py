"""What the charts in charts.py share: matplotlib's settings, sizes, axes and legends, and label wrapping.

matplotlib is imported inside the functions, never at the top, so that loading
this module (and ``ipl-coder --help``) does not load it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ipl_coder.codebook.schema import PALETTE

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH = 7.0  # inches: a page's text width; heights grow with the data, so labels never overlap
LINE = 0.16  # inches per line of 9-point text
BAR = 0.16  # inches per bar, at least
GAP = 0.12  # inches between two codes' bars
MARGIN = 1.2  # inches for the title, the value axis and its label
LABEL_WIDTH = 28  # characters before a label wraps
EDGE = "#333333"


def style() -> AbstractContextManager[Any]:
    """matplotlib's settings for one drawing or saving, put back afterwards: nothing global changes."""
    import matplotlib

    return matplotlib.rc_context({
        "svg.hashsalt": "ipl-coder",  # fixed ids: two runs write the same bytes
        "svg.fonttype": "none",  # text as <text>: searchable, small, and no font embedded or fetched
        "text.parse_math": False,  # a label is what the codebook says: "$5 or $10" is no formula
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "hatch.linewidth": 0.6,
    })  # fmt: skip


def new_figure(width: float, height: float, title: str) -> tuple[Figure, Axes]:
    """A figure of its own (never pyplot's), on the Agg canvas: no window and no display needed."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(wrap(title, 80), loc="left")
    return figure, axes


def laid_out(figure: Figure) -> Figure:
    """Lay the figure out once and keep it so: constrained layout moves things a little on every drawing,
    and a chart saved twice must give the same bytes.

    With an Agg renderer of one pixel: laying out only measures text, at the figure's dpi, and the renderer
    the canvas would make holds a raster of the whole figure that nothing is drawn on (some 55 MB for the
    bars of 670 transcripts). Saving as PNG later makes its own, full size.
    """
    from matplotlib.backends.backend_agg import RendererAgg

    measuring = RendererAgg(1, 1, figure.dpi)
    canvas: Any = figure.canvas
    canvas.get_renderer = lambda: measuring  # what drawing and the layout engine ask for; the canvas's own again below
    try:
        figure.draw_without_rendering()
    finally:
        del canvas.get_renderer
    figure.set_layout_engine("none")
    return figure


def category_axis(axes: Axes, labels: Sequence[str]) -> None:
    axes.set_yticks(range(len(labels)), labels)
    axes.set_ylim(len(labels) - 0.5, -0.5)  # the first on top, as a table reads
    axes.tick_params(axis="y", length=0)


def value_axis(axes: Axes, label: str, *, top: bool) -> None:
    axes.set_xlabel(label)
    axes.set_xlim(left=0)
    axes.set_axisbelow(True)
    axes.grid(axis="x", color="#DDDDDD", linewidth=0.6)
    axes.tick_params(axis="x", top=top, labeltop=top)  # a tall chart's values readable without scrolling down


def legend(axes: Axes, labels: Sequence[str], fills: Sequence[str], hatches: Sequence[str]) -> None:
    """A legend beside the chart, outside the bars; hatches repeat if fewer than labels."""
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=fill, edgecolor=EDGE, linewidth=0.4, hatch=hatches[index % len(hatches)], label=label)
               for index, (label, fill) in enumerate(zip(labels, fills, strict=True))]  # fmt: skip
    axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def fills(codes: Sequence[str], colors: Mapping[str, str]) -> list[str]:
    """Each code's colour; a code without one gets the codebook's palette, as a codebook without colours does."""
    return [colors.get(code) or PALETTE[index % len(PALETTE)] for index, code in enumerate(codes)]


def wrap(label: str, width: int = LABEL_WIDTH) -> str:
    """The label in lines of at most ``width`` characters, as even as they go: "pull to fit in" rather than "... fit / in".

    It breaks at spaces, not hyphens: "recovery-oriented" stays whole, and the lines joined by spaces give the label back.
    """
    lines = textwrap.wrap(label, width, break_on_hyphens=False) or [label]
    for narrower in range(max(1, len(label) // len(lines)), width):  # the narrowest width that takes no more lines
        balanced = textwrap.wrap(label, narrower, break_on_hyphens=False)
        if len(balanced) <= len(lines):
            return "\n".join(balanced)
    return "\n".join(lines)


def lines(label: str) -> int:
    return label.count("\n") + 1


def most_lines(labels: Sequence[str]) -> int:
    return max((lines(label) for label in labels), default=1)


def longest(labels: Sequence[str]) -> float:
    """Inches the longest line of the labels takes at 9 points, near enough for sizing a figure."""
    return max((len(line) for label in labels for line in label.splitlines()), default=0) * 0.075

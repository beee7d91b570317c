"""Charts for papers and the report: real matplotlib, real coded samples, the SVG read back with lxml."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree
from matplotlib.figure import Figure

from conftest import IPL_CODEBOOK, SAMPLES, run_cli
from ipl_coder.errors import InputError
from ipl_coder.report.charts import (
    group_frequency_chart,
    grouped_bars,
    heatmap,
    save,
    stacked_bars,
    to_svg,
)
from ipl_coder.report.groups import code_colors, group_frequencies

SVG = "{http://www.w3.org/2000/svg}"
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")  # names, never fetched
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def by_country(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three samples coded with the participants file: two Canadians and a Norwegian."""
    project = tmp_path_factory.mktemp("charts") / "project"
    files = [SAMPLES / "CA-OT-06.txt", SAMPLES / "NO-SU-03.md", SAMPLES / "CA-POL-08.txt"]
    exit_code, _, stderr = run_cli("code", *files, "-c", IPL_CODEBOOK, "-p", project, "-q", "--jobs", "1",
                                   "--participants", SAMPLES / "participants.csv")  # fmt: skip
    assert exit_code == 0, stderr
    return project


def texts(svg: str) -> str:
    """Every piece of text in the SVG, in document order, joined by spaces: wrapped labels read whole again."""
    root = etree.fromstring(svg.encode("utf-8"))
    return " ".join(element.text or "" for element in root.iter(f"{SVG}text", f"{SVG}title"))


def assert_self_contained(svg: str) -> None:
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg  # ready to put inside HTML
    root = etree.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    for match in re.finditer("http", svg):
        assert svg.startswith(NAMESPACES, match.start()), svg[match.start() - 40 : match.start() + 60]
    for element in root.iter():
        for name, value in element.attrib.items():
            if name.endswith("href"):  # within the SVG: an id, or the colour bar's gradient as a PNG in place
                assert value.startswith(("#", "data:image/png;base64,")), value[:60]
    assert "@import" not in svg and "@font-face" not in svg
    for reference in svg.split("url(")[1:]:
        assert reference.startswith("#"), reference[:60]  # clip paths and hatches, defined inside


def test_freq_by_country_as_svg_names_every_code_and_group_and_needs_nothing_else(by_country: Path) -> None:
    result = group_frequencies(by_country, ("country",))
    colors = code_colors(by_country)
    svg = to_svg(group_frequency_chart(result, colors))
    assert_self_contained(svg)
    words = texts(svg)
    for row in result.rows:
        assert row.label in words
    assert "Canada" in words and "Norway" in words
    assert "Codes by country (pending and accepted segments)" in words and "segments per 1,000 words" in words
    for color in colors.values():  # the codebook's colours, not matplotlib's
        assert f"fill: {color.lower()}" in svg
    assert to_svg(group_frequency_chart(result, colors)) == svg  # drawn again: the same bytes
    assert texts(svg) == words


def test_the_bars_are_what_freq_counted(by_country: Path, coded_samples: Path) -> None:
    result = group_frequencies(by_country, ("country",))
    figure = group_frequency_chart(result, code_colors(by_country))
    bars = [patch.get_width() for patch in figure.axes[0].patches]
    groups = list(dict.fromkeys(row.group for row in result.rows))
    assert len(groups) == 2 and len(bars) == len(result.rows)
    assert bars == pytest.approx([row.per_1000_words for group in groups for row in result.rows if row.group == group])
    everyone = group_frequencies(coded_samples)  # no --by: the segments themselves
    figure = group_frequency_chart(everyone, code_colors(coded_samples))
    assert [patch.get_width() for patch in figure.axes[0].patches] == [row.segments for row in everyone.rows]
    assert "all participants" in texts(to_svg(figure)) and figure.axes[0].get_xlabel() == "segments"


def test_svg_is_the_same_across_calls_and_drawings() -> None:
    def draw() -> str:
        return to_svg(grouped_bars(["a", "b"], ["x", "y"], {("a", "x"): 1, ("b", "y"): 2.5}, colors={"a": "#112233"},
                                   title="T", value_label="n"))  # fmt: skip

    first = draw()
    assert draw() == first
    figure = heatmap(["r"], ["c"], {("r", "c"): 3}, title="H")
    assert to_svg(figure) == to_svg(figure)


def test_labels_stay_as_written_whatever_their_characters() -> None:
    odd = ["Us & them <the team>", "Costs $5 or $10 a week", "Bodø: æøå"]  # XML's, mathtext's and Norway's characters
    svg = to_svg(grouped_bars(odd, odd, {}, colors={}, title="Odd", value_label="n"))
    assert_self_contained(svg)
    assert all(label in texts(svg) for label in odd)


def test_sixteen_and_more_long_code_labels_do_not_overlap() -> None:
    codes = [f"Code {number} about the peer support worker's place in the team" for number in range(20)]
    groups = ["Canada", "Norway", "Sweden"]
    figure = grouped_bars(codes, groups, {(code, group): i % 7 for i, code in enumerate(codes) for group in groups},
                          colors={}, title="Many codes", value_label="segments")  # fmt: skip
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    boxes = [label.get_window_extent(renderer) for label in figure.axes[0].get_yticklabels()]
    assert len(boxes) == 20
    assert not any(one.overlaps(other) for one, other in combinations(boxes, 2))
    figure_box = figure.bbox
    assert all(box.x0 >= 0 and box.y0 >= 0 and box.x1 <= figure_box.x1 and box.y1 <= figure_box.y1 for box in boxes)
    assert all(code in texts(to_svg(figure)) for code in codes)


def test_heatmap_annotates_every_cell_and_has_a_colour_bar() -> None:
    rows = ["Broker", "Boundary - divide and resistance"]
    columns = ["Canada", "Norway", "Sweden"]
    values = {("Broker", "Canada"): 3, ("Broker", "Norway"): 12, ("Boundary - divide and resistance", "Canada"): 0.4}
    figure = heatmap(rows, columns, values, title="Co-occurrence", value_format="{:.1f}", value_label="passages")
    svg = to_svg(figure)
    assert_self_contained(svg)
    words = texts(svg).split(" ")
    assert {"3.0", "12.0", "0.4", "passages"} <= set(words)
    assert all(name in texts(svg) for name in (*rows, *columns))
    assert len(figure.axes) == 2  # the grid and its colour bar


def test_stacked_bars_show_each_transcript_stacked_by_code() -> None:
    codes, transcripts = ["Role", "Broker"], ["CA-PSW-01", "NO-PSW-02"]
    values = {("Role", "CA-PSW-01"): 4, ("Broker", "CA-PSW-01"): 2, ("Broker", "NO-PSW-02"): 5}
    figure = stacked_bars(codes, transcripts, values, colors={"Role": "#4E79A7", "Broker": "#59A14F"},
                          title="Codes by transcript", value_label="segments")  # fmt: skip
    widths = [(patch.get_x(), patch.get_width()) for patch in figure.axes[0].patches]
    assert widths == [(0, 4), (0, 0), (4, 2), (0, 5)]  # Role first, Broker starting where Role ends
    svg = to_svg(figure)
    assert_self_contained(svg)
    assert all(name in texts(svg) for name in (*codes, *transcripts))


@pytest.mark.parametrize(
    ("figure_of", "reason"),
    [
        (lambda: grouped_bars([], [], {}, colors={}, title="Empty", value_label="n"), "no codes"),
        (lambda: grouped_bars(["a"], [], {}, colors={}, title="Empty", value_label="n"), "no groups"),
        (lambda: stacked_bars(["a"], [], {}, colors={}, title="Empty", value_label="n"), "nothing to count them in"),
        (lambda: heatmap([], ["c"], {}, title="Empty"), "no rows"),
        (lambda: heatmap(["r"], ["c"], {}, title="Empty"), "no values"),
    ],
)
def test_empty_data_gives_a_figure_that_says_so(figure_of: Callable[[], Figure], reason: str, tmp_path: Path) -> None:
    figure = figure_of()
    assert f"Nothing to show: {reason}" in texts(to_svg(figure))
    save(figure, tmp_path / "empty.png")
    assert (tmp_path / "empty.png").read_bytes().startswith(PNG_SIGNATURE)


def test_save_writes_svg_or_png_by_suffix_and_nothing_else(tmp_path: Path) -> None:
    figure = grouped_bars(["a"], ["x"], {("a", "x"): 1}, colors={}, title="T", value_label="n")
    save(figure, tmp_path / "chart.SVG")
    assert (tmp_path / "chart.SVG").read_text(encoding="utf-8") == to_svg(figure)
    save(figure, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(InputError, match=r"chart\.jpg: a chart is written as \.svg or \.png"):
        save(figure, tmp_path / "chart.jpg")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chart.SVG", "chart.png"]  # no leftovers either


def test_freq_plot_writes_a_png_and_an_svg(by_country: Path, tmp_path: Path) -> None:
    exit_code, stdout, stderr = run_cli("freq", "-p", by_country, "--by", "country", "--plot", tmp_path / "x.png")
    assert exit_code == 0, stderr
    assert "Codes by country" in stdout and stdout.rstrip().endswith(f"Wrote {tmp_path / 'x.png'}")  # after the table
    png = (tmp_path / "x.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
    exit_code, stdout, stderr = run_cli("freq", "-p", by_country, "--by", "country", "--plot", tmp_path / "x.svg",
                                        "--out", tmp_path / "x.csv")  # fmt: skip
    assert exit_code == 0, stderr
    assert f"Wrote {tmp_path / 'x.svg'}" in stdout and (tmp_path / "x.csv").exists()
    svg = (tmp_path / "x.svg").read_text(encoding="utf-8")
    assert_self_contained(svg)
    assert "Norway" in texts(svg) and "Perspective - psychosocial and recovery-oriented" in texts(svg)
    exit_code, stdout, stderr = run_cli("freq", "-p", by_country, "--plot", tmp_path / "j.svg", "--json")
    assert exit_code == 0, stderr
    assert json.loads(stdout)["plot"] == str(tmp_path / "j.svg") and (tmp_path / "j.svg").exists()


def test_freq_plot_with_another_suffix_says_which_work_in_one_line(by_country: Path, tmp_path: Path) -> None:
    exit_code, stdout, stderr = run_cli("freq", "-p", by_country, "--by", "country", "--plot", tmp_path / "x.jpg")
    assert exit_code == 1 and stdout == ""  # told before counting, not after a table
    assert stderr == f"Error: {tmp_path / 'x.jpg'}: a chart is written as .svg or .png; give a file name ending in one of them\n"
    assert list(tmp_path.iterdir()) == []


def test_freq_help_documents_plot() -> None:
    exit_code, stdout, _ = run_cli("freq", "--help")
    assert exit_code == 0 and "--plot" in stdout and "FILE.svg|FILE.png" in stdout


def test_matplotlib_loads_only_to_draw_and_leaves_no_global_state(by_country: Path, tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from typer.testing import CliRunner
        from ipl_coder.cli import app
        CliRunner().invoke(app, ["--help"])
        result = CliRunner().invoke(app, ["freq", "-p", {str(by_country)!r}])
        assert result.exit_code == 0, result.output
        assert "matplotlib" not in sys.modules, "loaded without drawing"
        import matplotlib
        def settings():  # reading "backend" would make matplotlib load pyplot to find one: leave it out
            return {{key: matplotlib.rcParams[key] for key in matplotlib.rcParams if key != "backend"}}
        before = settings()
        result = CliRunner().invoke(app, ["freq", "-p", {str(by_country)!r}, "--plot", {str(tmp_path / "c.svg")!r}])
        assert result.exit_code == 0, result.output
        assert "matplotlib.pyplot" not in sys.modules, "pyplot keeps figures in global state"
        assert settings() == before, "settings changed for everyone"
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=os.environ.copy(), check=False)
    assert done.returncode == 0, done.stderr

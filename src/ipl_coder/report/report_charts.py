"""The report's charts: code × group for each ``--by`` attribute, codes by transcript, and code co-occurrence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from ipl_coder.report.content import ReportContent


def report_charts(project_dir: Path, content: ReportContent, statuses: Sequence[str], by: Sequence[str]) -> Iterator[tuple[str, str]]:
    """(title, inline SVG) for each chart, in the order the report shows them."""
    from ipl_coder.report import charts
    from ipl_coder.report.groups import group_frequencies

    colors = {code.code_id: code.color for code in content.codes}
    top = [code.code_id for code in content.codes if code.depth == 0]
    labels = {code.code_id: code.label for code in content.codes}
    for attribute in by:
        result = group_frequencies(project_dir, [attribute], statuses)
        groups = list(dict.fromkeys(" · ".join(row.group) or "(none)" for row in result.rows))
        rate = {(row.code_id, " · ".join(row.group) or "(none)"): row.per_1000_words for row in result.rows}
        counts = {(labels.get(row.code_id, row.code_id), " · ".join(row.group) or "(none)"): float(row.segments) for row in result.rows}
        title = f"Segments per 1,000 words by {result.by[0]}"
        yield title, charts.to_svg(charts.grouped_bars(top, groups, rate, colors=colors, title=title, value_label="per 1,000 words"))
        title = f"Segments by code and {result.by[0]}"
        rows = [labels[code.code_id] for code in content.codes]
        yield title, charts.to_svg(charts.heatmap(rows, groups, counts, title=title))
    transcripts = [transcript.name for transcript in content.transcripts]
    empty: Counter[str] = Counter()
    per = {(code, name): float(content.per_transcript.get(name, empty)[code]) for name in transcripts for code in top}
    title = "Segments of each top-level code by transcript"
    yield title, charts.to_svg(charts.stacked_bars(top, transcripts, per, colors=colors, title=title, value_label="segments"))
    from ipl_coder.report.cooccurrence import code_cooccurrence

    run_unit = content.unit if content.unit in ("sentence", "paragraph", "turn") else "turn"
    together = code_cooccurrence(project_dir, run_unit, statuses)
    names = [labels.get(code, code) for code in together.codes]
    cells = {(labels.get(pair.code_a, pair.code_a), labels.get(pair.code_b, pair.code_b)): float(pair.passages) for pair in together.pairs}
    cells |= {(b, a): value for (a, b), value in list(cells.items())}
    cells |= {(labels.get(code, code), labels.get(code, code)): float(number) for code, number in together.passages_by_code.items()}
    title = f"Codes on the same {run_unit} (the diagonal: {run_unit}s with the code)"
    yield title, charts.to_svg(charts.heatmap(names, names, cells, title=title))

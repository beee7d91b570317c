"""How much of a human coder's coding the codebook's rules find: ``make quality``.

For each half of the gold set (``benchmarks/gold/``: ``tuning`` to adjust
rules against, ``reporting`` to report, never looked at while tuning), this
codes the half's interviews into a fresh project with the codebook, imports
the gold coding (a review sheet of codes added by coder ``gold``), and scores
the machine against it with ``agreement --against gold``, per sentence × code.

    .venv/bin/python benchmarks/quality.py [--codebook codebooks/ipl.yaml] [--unit sentence|paragraph] [--half tuning]

It prints precision, recall and F1 per code and over all codes (micro), for
each half, and leaves each half's project in build/quality/<half>/ with the
figures and every disagreement in <half>.csv and <half>-disagreements.csv.
These are benchmark figures, not tests: nothing fails when they drop.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from ipl_coder.coding.project import CodeOptions, code_transcripts  # noqa: E402
from ipl_coder.exchange.review_sheet.reader import import_review_sheet  # noqa: E402
from ipl_coder.review.against import AgainstResult, compare_with_coder, write_against_csv  # noqa: E402

GOLD = ROOT / "benchmarks" / "gold"
HALVES = ("tuning", "reporting")


def score_half(half: str, codebook: Path, unit: str, out: Path) -> AgainstResult:
    project = out / half
    shutil.rmtree(project, ignore_errors=True)
    code_transcripts([GOLD / half], codebook, project, CodeOptions(jobs=1))
    import_review_sheet(project, GOLD / f"{half}.csv", coder="gold")
    result = compare_with_coder(project, "gold", unit)
    write_against_csv(out / f"{half}.csv", result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "ipl.yaml")
    parser.add_argument("--unit", choices=("sentence", "paragraph"), default="sentence")
    parser.add_argument("--half", choices=HALVES, action="append", help="only this half (may be repeated)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "quality")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results = {half: score_half(half, args.codebook, args.unit, args.out) for half in args.half or HALVES}
    table = Table(title=f"{args.codebook.name} against the gold coding, per {args.unit} × code", title_justify="left")
    table.add_column("code")
    for half in results:
        for heading in ("P", "R", "F1"):
            table.add_column(f"{half} {heading}", justify="right")
    codes = [row.code_id for row in next(iter(results.values())).figures if not row.rule_id]
    for code in codes:
        cells = []
        for result in results.values():
            row = next((row for row in result.figures if row.code_id == code and not row.rule_id), None)
            cells += [_share(row.precision if row else None), _share(row.recall if row else None), _share(row.f1 if row else None)]
        table.add_row(code or "all codes (micro)", *cells, end_section=code == codes[-2])
    console = Console(width=None if sys.stdout.isatty() else 120)
    console.print(table)
    for half, result in results.items():
        total = result.figures[-1]
        console.print(f"{half}: {result.transcripts} interviews, {result.units} {args.unit}s, {total.both + total.coder_only} "
                      f"gold cells, {total.both + total.machine_only} suggested cells; details in {args.out / half}.csv "
                      f"and {args.out / half}-disagreements.csv")  # fmt: skip


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    main()

"""``ipl-coder agreement --against CODER``: the terminal view of the machine scored against one coder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.markup import escape
from rich.table import Table

from ipl_coder.cli.common import error_console, output_console, print_json
from ipl_coder.wording import count

if TYPE_CHECKING:
    from ipl_coder.review.against import AgainstResult, Disagreement


def run_against(project: Path, coder: str, unit: str, out: Path | None, shown: int, as_json: bool) -> None:
    from ipl_coder.review.against import compare_with_coder, disagreements_csv, disagreements_path, write_figures_csv

    keep = None if as_json else shown  # the terminal shows a few of each kind; the file gets them all as they are found
    written: list[Path] = []
    if out is None:
        result = compare_with_coder(project, coder, unit, keep=keep)
    else:
        with disagreements_csv(disagreements_path(out)) as listed:
            result = compare_with_coder(project, coder, unit, keep=keep, listed=listed)
        write_figures_csv(out, result)
        written = [out, disagreements_path(out)]
    if as_json:
        print_json(_as_json(result, written))
        return
    for note in result.notes:
        error_console.print(f"[yellow]Note[/] {escape(note)}", soft_wrap=True)
    _print_figures(result)
    _print_disagreements(result, shown, written)
    for path in written:
        output_console().print(f"Wrote {escape(str(path))}")


def _print_figures(result: AgainstResult) -> None:
    from ipl_coder.review.against import MODEL_RULE, RULES_AND_MODEL

    table = Table(title=f"Machine against {result.coder}, per {result.unit} × code", title_justify="left", box=box.SIMPLE_HEAD,
                  caption=f"both: {result.unit}s {result.coder} coded and a rule suggested; machine only: suggested, not coded; "
                  f"{result.coder} only: coded, never suggested", caption_justify="left", pad_edge=False)  # fmt: skip
    table.add_column("code / rule", overflow="fold")
    for heading in ("both", "machine only", f"{result.coder} only", "precision", "recall", "F1"):
        table.add_column(heading, justify="right", no_wrap=True)
    first_total = next(index for index, row in enumerate(result.figures) if not row.code_id)
    for index, row in enumerate(result.figures):
        if not row.code_id:
            name = {"": "all codes (micro)", MODEL_RULE: "all codes, learned model only",
                    RULES_AND_MODEL: "all codes, rules and learned model"}[row.rule_id]  # fmt: skip
        else:
            name = _rule_name(row.code_id, row.rule_id) if row.rule_id else row.code_id
        table.add_row(escape(name), f"{row.both:,}", f"{row.machine_only:,}", f"{row.coder_only:,}", _share(row.precision),
                      _share(row.recall), _share(row.f1), style="dim" if row.rule_id and row.code_id else None,
                      end_section=index == first_total - 1)  # fmt: skip
    console = output_console()
    console.print(table)
    console.print(f"Unit: {result.unit}. Compared {count(result.units, result.unit)} (each × code) in participants' turns "
                  f"of {count(result.transcripts, 'transcript')} {result.coder} coded; all codes sums the top-level codes."
                  + (" The rules' figures leave out the learned model's suggestions, scored apart."
                     if any(row.rule_id == MODEL_RULE for row in result.figures) else ""))  # fmt: skip


def _print_disagreements(result: AgainstResult, shown: int, written: list[Path]) -> None:
    console = output_console()
    for kind, title in (("missed", f"{result.coder} coded, no rule suggested"), ("extra", f"suggested, {result.coder} did not code")):
        items = [item for item in result.disagreements if item.kind == kind]
        console.print(f"\n[bold]{title}[/] ({result.count(kind):,})")
        for item in items[:shown]:
            console.print(_line(item), soft_wrap=True, highlight=False)
        if result.count(kind) > shown:
            where = f"all are in {written[1]}" if written else "--out FILE.csv writes them all"
            console.print(f"[dim]… and {result.count(kind) - shown:,} more ({where}; --show N lists more here)[/]")


def _line(item: Disagreement) -> str:
    place = f"{item.transcript} {item.start_char}–{item.end_char}"
    why = f"  [dim]{escape(', '.join(item.rules))}: {escape(', '.join(item.words))}[/]" if item.rules else ""
    text = item.text if len(item.text) <= 160 else item.text[:157] + "…"
    return f"  [cyan]{escape(', '.join(item.codes))}[/]  {escape(place)}  {escape(text)}{why}"


def _rule_name(code_id: str, rule_id: str) -> str:
    """A rule under its own code loses the code's name ("  :terms"); a sub-code's rule keeps it."""
    from ipl_coder.review.against import MODEL_RULE

    if rule_id == MODEL_RULE:
        return "  (learned model)"
    owner, _, rest = rule_id.partition(":")
    return f"  :{rest}" if owner == code_id else f"  {rule_id}"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _as_json(result: AgainstResult, written: list[Path]) -> dict[str, Any]:
    return {
        "coder": result.coder, "unit": result.unit, "transcripts": result.transcripts, "units": result.units,
        "notes": result.notes, "out": [str(path) for path in written],
        "figures": [
            {"code": row.code_id or None, "rule": row.rule_id or None, "both": row.both, "machine_only": row.machine_only,
             "coder_only": row.coder_only, "precision": _rounded(row.precision), "recall": _rounded(row.recall),
             "f1": _rounded(row.f1)}
            for row in result.figures
        ],
        "disagreements": [
            {"kind": item.kind, "transcript": item.transcript, "speaker": item.speaker, "start": item.start_char,
             "end": item.end_char, "code": item.code_id, "codes": list(item.codes), "rules": list(item.rules),
             "words": list(item.words), "text": item.text}
            for item in result.disagreements
        ],
    }  # fmt: skip


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)

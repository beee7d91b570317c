"""Does learning from the team's decisions find more? ``make learn-bench``.

Simulates a coder on one half of the gold set (``benchmarks/gold/``; the
tuning half by default, which is the one settings may be chosen on): the half
is coded with the rules into a fresh project; then, step by step, the
suggestions of 1, 2, 4, ... transcripts are reviewed as the gold coding says
(accepted where the gold has the code on the passage, else rejected) and the
codes the gold has and no suggestion found are added; ``ipl-coder learn``
trains on that; ``ipl-coder code --learned`` codes the half again; and the
transcripts not yet reviewed are scored against the gold, per sentence ×
top-level code: the rules alone, and the rules with the model.

    .venv/bin/python benchmarks/learn_bench.py [--half tuning] [--steps 1,2,4,8] [--seed 18] [--precision 0.6]

A benchmark, not a test: nothing fails when a figure drops.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ipl_coder.codebook.schema import load_codebook  # noqa: E402
from ipl_coder.coding.project import CodeOptions, code_transcripts  # noqa: E402
from ipl_coder.coding.units import participant_units  # noqa: E402
from ipl_coder.errors import ProjectError  # noqa: E402
from ipl_coder.learning.learn import learn  # noqa: E402
from ipl_coder.learning.suggest import LearnedSuggester  # noqa: E402
from ipl_coder.store import NewDecision, Passage, ProjectStore, SegmentRow  # noqa: E402

GOLD = ROOT / "benchmarks" / "gold"
CODER = "bench"
Cell = tuple[str, int, str]  # transcript, sentence index, top-level code


@dataclass(frozen=True)
class GoldPassage:
    transcript: str
    code: str
    start: int
    end: int


@dataclass(frozen=True)
class Scores:
    both: int
    suggested: int
    gold: int

    def line(self) -> tuple[float, float, float]:
        precision = self.both / self.suggested if self.suggested else 0.0
        recall = self.both / self.gold if self.gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1


def gold_passages(half: str) -> list[GoldPassage]:
    with (GOLD / f"{half}.csv").open(encoding="utf-8-sig", newline="") as handle:
        return [GoldPassage(row["transcript"], row["code"], int(row["start"]), int(row["end"])) for row in csv.DictReader(handle)]


def root_of(parents: dict[str, str | None], code: str) -> str:
    while parents.get(code):
        code = parents[code] or code
    return code


def review(project: Path, transcripts: list[str], gold: list[GoldPassage], parents: dict[str, str | None]) -> int:
    """Decide every suggestion of ``transcripts`` as the gold says, and add what the gold has that nothing found."""
    decisions: list[NewDecision] = []
    with ProjectStore.open(project, lock="exclusive") as store:
        for name in transcripts:
            passages = [item for item in gold if item.transcript == name]
            accepted: list[tuple[str, int, int]] = []
            for segment in store.segments(None, transcript=name):
                if segment.origin == "human" or segment.status != "pending":
                    continue
                code = root_of(parents, segment.code_id)
                hit = any(p.code == code and p.start < segment.end_char and segment.start_char < p.end for p in passages)
                decisions.append(NewDecision(CODER, "accept" if hit else "reject", segment.segment_id))
                if hit:
                    accepted.append((code, segment.start_char, segment.end_char))
            for item in passages:
                if not any(code == item.code and start < item.end and item.start < end for code, start, end in accepted):
                    decisions.append(NewDecision(CODER, "add", new_code_id=item.code, passage=Passage(name, item.start, item.end)))
        store.record_decisions(decisions)
    return len(decisions)


def score(project: Path, transcripts: list[str], gold: list[GoldPassage], parents: dict[str, str | None]) -> tuple[Scores, Scores, Scores]:
    """Rules alone, the model alone, and the two together, on ``transcripts``, per sentence × top-level code."""
    with ProjectStore.open(project) as store:
        units = participant_units(store, transcripts, "sentence")
        segments = [s for s in store.segments(None) if s.transcript in units and s.origin != "human"]
    gold_cells = {(p.transcript, index, p.code) for p in gold if p.transcript in units
                  for index in units[p.transcript].overlapping(p.start, p.end)}  # fmt: skip

    def cells(chosen: list[SegmentRow]) -> set[Cell]:
        return {(s.transcript, index, root_of(parents, s.code_id)) for s in chosen
                for index in units[s.transcript].overlapping(s.start_char, s.end_char)}  # fmt: skip

    results = []
    for origins in (("machine",), ("model",), ("machine", "model")):
        found = cells([s for s in segments if s.origin in origins])
        results.append(Scores(len(found & gold_cells), len(found), len(gold_cells)))
    return results[0], results[1], results[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=("tuning", "reporting"), default="tuning")
    parser.add_argument("--steps", default="1,2,4,8")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--precision", type=float, default=None)
    parser.add_argument("--codebook", type=Path, default=ROOT / "codebooks" / "ipl.yaml")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "learn-bench")
    args = parser.parse_args()
    project = args.out / args.half
    shutil.rmtree(project, ignore_errors=True)
    codebook = load_codebook(args.codebook)
    parents = {code.code_id: code.parent_id for code in codebook.codes}
    gold = gold_passages(args.half)
    code_transcripts([GOLD / args.half], args.codebook, project, CodeOptions(jobs=1))
    with ProjectStore.open(project) as store:
        names = [row.name for row in store.transcripts()]
    print(f"{args.half} half: {len(names)} interviews; reviewed in this order: {', '.join(names)}")
    print("reviewed | decisions | learn s | code s (rules / +model) | rules P R F1 | model P R F1 | rules+model P R F1")
    reviewed: list[str] = []
    for step in (int(value) for value in args.steps.split(",")):
        if step >= len(names):
            break
        decisions = review(project, names[len(reviewed) : step], gold, parents)
        reviewed = names[:step]
        started = time.perf_counter()
        extra = {"precision": args.precision} if args.precision is not None else {}
        try:
            learned = learn(project, seed=args.seed, **extra)
        except ProjectError as error:  # too few decisions yet for any code: nothing to score
            print(f"{step:8} | {decisions:9} | {error}")
            continue
        learn_seconds = time.perf_counter() - started
        started = time.perf_counter()
        code_transcripts([GOLD / args.half], args.codebook, project, CodeOptions(jobs=1))
        rules_seconds = time.perf_counter() - started
        started = time.perf_counter()
        options = CodeOptions(jobs=1, learned=LearnedSuggester.load(project, codebook, codebook.run_unit()))
        code_transcripts([GOLD / args.half], args.codebook, project, options)
        learned_seconds = time.perf_counter() - started
        rules, model, both = score(project, names[step:], gold, parents)
        figures = " | ".join(" ".join(f"{value:.2f}" for value in item.line()) for item in (rules, model, both))
        print(f"{step:8} | {decisions:9} | {learn_seconds:7.1f} | {rules_seconds:5.1f} / {learned_seconds:5.1f} | {figures}"
              f"   (suggested: {', '.join(learned.suggested) or 'none'}; not: {', '.join(learned.not_suggested) or 'none'})")  # fmt: skip


if __name__ == "__main__":
    main()

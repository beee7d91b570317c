"""`make bench`: ipl-coder's speed and memory as ratios to spaCy's own tokenising cost, measured in the same run.

Absolute times on a shared machine vary by half from one day to the next, so
every figure is printed beside the *floor*, timed in the same run on the same
files: spaCy's blank tokenizer and sentencizer over the corpus in one process,
``import spacy`` included (benchmarks/floor.py). Also timed: a plain-regex
coder with every English term of the codebook, one alternation per code
(benchmarks/regex_baseline.py). And two bounds (benchmarks/bound.py): spaCy's
own work alone split over two forked workers, the least a cold run can take in
this design, and ``import spacy`` with the blank pipeline, the least any run
that loads spaCy can take; each is printed with what it leaves of its target.

The corpus is bench_code.py's: 67 synthetic transcripts of about 10,000 words,
recombined from sample_transcripts/. Each figure is the median of --repeat runs
(5 by default); wall time is end to end, CPU time adds the command's worker
processes, and peak memory is the largest process's resident size.

    .venv/bin/python benchmarks/bench_speed.py [--repeat 5] [--scale 10] [--scale-repeat 1] [--keep]

--scale N also builds N times the corpus (6.7 million words at 10) and runs
`code`, then every command that reads a whole project, once each (--scale-repeat),
printing time against the 1x run and peak memory. --scale 0 skips it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_code import build_corpus  # noqa: E402
from bench_review import decide_everything  # noqa: E402

PYTHON = sys.executable
CLI = str(Path(sys.executable).parent / "ipl-coder")
CODEBOOK = ROOT / "codebooks" / "ipl.yaml"


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # user + system seconds of the process and every child it waited for
    peak_mib: float


def run(command: Sequence[str]) -> Run:
    """Run a command to its end, as a user would: a process of its own, started from benchmarks/measure.py."""
    result = subprocess.run([PYTHON, str(ROOT / "benchmarks" / "measure.py"), *command], capture_output=True, text=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1]) if result.returncode == 0 else {"status": result.returncode}
    if figures["status"] != 0:
        raise SystemExit(f"failed ({figures['status']}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return Run(figures["wall"], figures["cpu"], figures["peak_mib"])


@dataclass(frozen=True)
class Series:
    runs: list[Run]

    @property
    def wall(self) -> float:
        return statistics.median(run.wall for run in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak(self) -> float:
        return max(run.peak_mib for run in self.runs)


def repeated(times: int, command: Sequence[str], before: Sequence[str] | None = None) -> Series:
    runs = []
    for _ in range(times):
        if before:
            subprocess.run(before, check=True)
        runs.append(run(command))
    return Series(runs)


def english_terms(path: Path) -> dict[str, list[str]]:
    from ipl_coder.codebook.schema import load_codebook
    from ipl_coder.coding.matching import unquote

    terms: dict[str, list[str]] = {}
    for code in load_codebook(path).in_language("en").codes:
        words = list(code.term_rule.terms) if code.term_rule else []
        for rule in code.boolean_rules:
            words += [*rule.all_terms, *rule.any_terms]
        for near in code.near_rules:
            words += [*near.terms, *near.near_terms]
        terms[code.code_id] = sorted({unquote(word) for word in words})
    return terms


def line(label: str, series: Series, floor: Series | None, target: str = "") -> str:
    ratios = f"  = {series.wall / floor.wall:4.2f} x floor wall, {series.cpu / floor.cpu:4.2f} x floor CPU" if floor else ""
    return f"  {label:<44} wall {series.wall:6.2f} s  CPU {series.cpu:6.2f} s  peak {series.peak:5.0f} MiB{ratios}{target}"


def left_for_us(bound: Series, target_wall: float) -> str:
    """How much of a target's wall time spaCy's own work leaves for everything ipl-coder does."""
    return f"   leaves {target_wall - bound.wall:+.2f} s of the {target_wall:.2f} s target"


class Bench:
    def __init__(self, work: Path, repeat: int) -> None:
        self.work = work
        self.repeat = repeat
        self.regex_repeat = repeat  # the regex baseline takes ten times the floor: --regex-repeat 1 saves minutes
        self.codebook = Path(shutil.copy(CODEBOOK, work / "ipl.yaml"))
        self.edits = 0

    def code(self, corpus: Path, project: Path, *extra: str) -> list[str]:
        return [CLI, "code", str(corpus), "--codebook", str(self.codebook), "--project", str(project), "--quiet", *extra]

    def edit_rules(self) -> None:
        """A term added to one code (broker, with token patterns): that code is matched again on the cached Docs."""
        self.edits += 1
        subprocess.run([CLI, "codebook", "add-term", str(self.codebook), "broker", f"bench term {self.edits}"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip

    def edit_wording(self) -> None:
        """A comment (or a label or definition): a new codebook version whose rules are the same."""
        self.edits += 1
        with self.codebook.open("a", encoding="utf-8") as handle:
            handle.write(f"# edit {self.edits}\n")

    def baselines(self, corpus: Path) -> tuple[Series, Series]:
        files = self.files(corpus)
        alternations = self.work / "alternations.json"
        # In a process of its own: a child forked from a big parent counts the parent's memory as its own peak.
        subprocess.run([PYTHON, __file__, "--terms-to", str(alternations)], check=True)
        floor = repeated(self.repeat, [PYTHON, str(ROOT / "benchmarks" / "floor.py"), "en", *files])
        regex = repeated(self.regex_repeat, [PYTHON, str(ROOT / "benchmarks" / "regex_baseline.py"), str(alternations), *files])
        return floor, regex

    @staticmethod
    def files(corpus: Path) -> list[str]:
        return [str(path) for path in sorted(corpus.glob("*.txt"))]

    def bounds(self, corpus: Path) -> tuple[Series, Series]:
        """spaCy's own work alone (benchmarks/bound.py): over two forked workers, and only starting."""
        bound = str(ROOT / "benchmarks" / "bound.py")
        workers = repeated(self.repeat, [PYTHON, bound, "workers", "en", *self.files(corpus)])
        return workers, repeated(self.repeat, [PYTHON, bound, "start", "en"])

    def cold_and_warm(self, corpus: Path, project: Path, times: int) -> tuple[Series, Series, Series, Series]:
        """Cold without the cache, cold writing it, and warm: a re-run after a rule edit, and after a wording edit."""
        no_cache = repeated(times, self.code(corpus, project, "--no-cache"), ["rm", "-rf", str(project)])
        cold, rules, wording = [], [], []
        for _ in range(times):
            shutil.rmtree(project, ignore_errors=True)
            cold.append(run(self.code(corpus, project)))
            self.edit_rules()
            rules.append(run(self.code(corpus, project)))
            self.edit_wording()
            wording.append(run(self.code(corpus, project)))
        return no_cache, Series(cold), Series(rules), Series(wording)

    def one_file(self) -> Series:
        """`code` on one transcript of about 2,000 words, in a fresh project each time."""
        folder = self.work / "one"
        folder.mkdir(exist_ok=True)
        build_corpus(folder, 1, 2_000)
        project = self.work / "one-project"
        return repeated(self.repeat, self.code(folder, project), ["rm", "-rf", str(project)])

    def project_commands(self, corpus: Path, project: Path, times: int) -> dict[str, Series]:
        """Every command that reads a whole project, on a coded one whose suggestions two coders decided."""
        decide_everything(project)
        edited = Path(shutil.copy(self.codebook, self.work / "edited.yaml"))
        subprocess.run([CLI, "codebook", "add-term", str(edited), "broker", "link person"], check=True,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        out = self.work / "out"
        out.mkdir(exist_ok=True)
        commands = {
            "freq --by country": ["freq", "-p", str(project)],
            "review export .csv": ["review", "export", "-p", str(project), "-o", str(out / "sheet.csv"), "--coder", "kari"],
            "review export .xlsx": ["review", "export", "-p", str(project), "-o", str(out / "sheet.xlsx"), "--coder", "kari"],
            "agreement (sentences)": ["agreement", "-p", str(project), "--coders", "ana,ola"],
            "agreement --against ana": ["agreement", "-p", str(project), "--against", "ana"],
            "codebook lint --project": ["codebook", "lint", str(self.codebook), "-p", str(project)],
            "codebook diff": ["codebook", "diff", str(self.codebook), str(edited), "-p", str(project)],
            "report": ["report", "-p", str(project), "-o", str(out / "report.html")],
        }
        return {label: repeated(times, [CLI, *arguments]) for label, arguments in commands.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=67)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure at 1x; the median is printed")
    parser.add_argument("--scale", type=int, default=10, help="also run N times the corpus (0: skip)")
    parser.add_argument("--scale-repeat", type=int, default=1, help="runs per figure at N x")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and project folders")
    parser.add_argument("--regex-repeat", type=int, help="runs of the plain-regex baseline (default: --repeat)")
    parser.add_argument("--code-only", action="store_true", help="time only `code`, --help and one file (no project commands)")
    parser.add_argument("--terms-to", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.terms_to:
        options.terms_to.write_text(json.dumps(english_terms(CODEBOOK)), encoding="utf-8")
        return

    work = Path(tempfile.mkdtemp(prefix="ipl-bench-"))
    bench = Bench(work, options.repeat)
    bench.regex_repeat = options.regex_repeat or options.repeat
    corpus, project = work / "corpus", work / "project"
    corpus.mkdir()
    words = build_corpus(corpus, options.transcripts, options.words)
    print(f"corpus: {options.transcripts} transcripts, {words:,} words; {os.cpu_count()} cores; median of {options.repeat} runs")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    floor, regex = bench.baselines(corpus)
    print(line("floor: spaCy blank tokenizer + sentencizer", floor, None))
    print(line("plain regex, every English term", regex, floor))
    workers, start = bench.bounds(corpus)
    print(line("bound, cold: spaCy alone, two forked workers", workers, floor, left_for_us(workers, 0.8 * floor.wall)))
    print(line("bound, any run: import spacy + blank pipeline", start, floor, left_for_us(start, 0.4 * floor.wall)))
    no_cache, cold, warm, wording = bench.cold_and_warm(corpus, project, options.repeat)
    print(line("code, cold (--no-cache), default workers", no_cache, floor, "   target <= 0.8 x wall, <= 1.5 x CPU"))
    print(line("code, cold, writing the cache", cold, floor))
    print(line("code, after a term added (cache warm)", warm, floor, "   target <= 0.4 x wall"))
    print(line("code, after a comment added (cache warm)", wording, floor))
    help_series = repeated(options.repeat, [CLI, "--help"])
    print(f"  {'ipl-coder --help':<44} {help_series.wall:6.2f} s   target <= 0.3 s")
    one = bench.one_file()
    print(f"  {'code on one 2,000-word transcript':<44} {one.wall:6.2f} s   target <= 1 s "
          f"(bound {start.wall:.2f} s + `--help` {help_series.wall:.2f} s before any reading)")  # fmt: skip
    if options.code_only:
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        return
    single = {label: series for label, series in bench.project_commands(corpus, project, 1).items()}
    if options.scale:
        big_corpus, big_project = work / "big-corpus", work / "big-project"
        big_corpus.mkdir()
        big_words = build_corpus(big_corpus, options.transcripts * options.scale, options.words)
        print(f"\n{options.scale} x the corpus: {options.transcripts * options.scale} transcripts, {big_words:,} words; "
              f"median of {options.scale_repeat} run(s)")  # fmt: skip
        big = repeated(options.scale_repeat, bench.code(big_corpus, big_project, "--no-cache"), ["rm", "-rf", str(big_project)])
        print(f"  {'code, cold (--no-cache)':<44} wall {big.wall:6.2f} s = {big.wall / no_cache.wall:5.2f} x the 1 x run "
              f"(target <= {options.scale + 1} x)  peak {big.peak:5.0f} MiB (1 x: {no_cache.peak:.0f})")  # fmt: skip
        for label, series in bench.project_commands(big_corpus, big_project, options.scale_repeat).items():
            small = single[label]
            print(f"  {label:<44} wall {series.wall:6.2f} s = {series.wall / small.wall:5.2f} x the 1 x run  "
                  f"peak {series.peak:5.0f} MiB (1 x: {small.peak:.0f}; target <= 200)")  # fmt: skip
    else:
        for label, series in single.items():
            print(line(label, series, None))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if options.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

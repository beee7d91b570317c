"""The commands of the edit-and-look loop, timed on the benchmark corpus, for this checkout and optionally another.

Researchers code, review, look at agreement and the report, try a codebook
edit with `codebook diff` or on one interview, and run everything again, many
times a day: these are the runs the caches serve. For each checkout (its
``src`` folder) this codes the corpus (bench_code.py's, 67 x 10,000 words)
into a project of its own, lets two coders decide every suggestion, and times
each command the median of --repeat runs, the first of which may fill a cache:

    .venv/bin/python benchmarks/bench_loop.py [--before OTHER_CHECKOUT/src] [--repeat 3]

Make the other checkout with ``git worktree add /tmp/before COMMIT``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_code import build_corpus  # noqa: E402

CODEBOOK = ROOT / "codebooks" / "ipl.yaml"


def cli(src: Path, *arguments: str | Path) -> float:
    """Run ipl-coder from ``src`` to its end; its wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from ipl_coder.cli import main; main()", *map(str, arguments)], check=True,
                   env={**os.environ, "PYTHONPATH": str(src)}, stdout=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def decide(src: Path, project: Path) -> None:
    script = (f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); from bench_review import decide_everything; "
              f"from pathlib import Path; decide_everything(Path({str(project)!r}))")  # fmt: skip
    subprocess.run([sys.executable, "-c", script], check=True, env={**os.environ, "PYTHONPATH": str(src)})


def loop(src: Path, work: Path, corpus: Path, repeat: int) -> dict[str, float]:
    project, codebook, edited = work / "project", work / "ipl.yaml", work / "edited.yaml"
    shutil.copy(CODEBOOK, codebook)
    shutil.copy(CODEBOOK, edited)
    cli(src, "codebook", "add-term", edited, "broker", "team")  # a broad term: some 2,000 segments added
    cli(src, "code", corpus, "-c", codebook, "-p", project, "-q")
    decide(src, project)
    commands = {
        "agreement --coders ana,ola (sentences)": ["agreement", "-p", project, "--coders", "ana,ola"],
        "agreement --against ana": ["agreement", "-p", project, "--against", "ana"],
        "report": ["report", "-p", project, "-o", work / "report.html"],
        "codebook diff (a term added to broker)": ["codebook", "diff", codebook, edited, "-p", project],
    }
    times = {label: statistics.median(cli(src, *arguments) for _ in range(repeat)) for label, arguments in commands.items()}
    one = sorted(corpus.glob("*.txt"))[0]
    after_one = []
    for _ in range(repeat):
        cli(src, "code", one, "-c", codebook, "-p", project, "-q")
        after_one.append(cli(src, "code", corpus, "-c", codebook, "-p", project, "-q"))
    times["code on every transcript, after code on one"] = statistics.median(after_one)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout's src folder, timed the same way first")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--transcripts", type=int, default=67)
    parser.add_argument("--words", type=int, default=10_000)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ipl-loop-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        build_corpus(corpus, options.transcripts, options.words)
        checkouts = {"before": options.before, "after": ROOT / "src"} if options.before else {"this": ROOT / "src"}
        results = {}
        for name, src in checkouts.items():
            (work / name).mkdir()
            results[name] = loop(src.resolve(), work / name, corpus, options.repeat)
        labels = next(iter(results.values()))
        print(f"{'command (median of ' + str(options.repeat) + ')':<48}" + "".join(f"{name:>10}" for name in results))
        for label in labels:
            print(f"{label:<48}" + "".join(f"{results[name][label]:9.2f}s" for name in results))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

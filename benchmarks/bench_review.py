"""Speed and memory of the review commands on the synthetic 67 x 10,000-word corpus.

Codes the corpus (as bench_code.py builds it), has two coders decide every
suggestion through the store, then times the real commands in subprocesses:
`review export` to .xlsx and .csv, `review import`
of a sheet with a decision on every row, and `agreement` per sentence and per segment.

    .venv/bin/python benchmarks/bench_review.py [--transcripts 67] [--words 10000]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_code import build_corpus  # noqa: E402
from ipl_coder.store import NewDecision, ProjectStore  # noqa: E402

CLI = [sys.executable, "-m", "ipl_coder"]


def timed(label: str, arguments: list[str]) -> None:
    started = time.perf_counter()
    result = subprocess.run([*CLI, *arguments], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    status = "ok" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr.strip()[-200:]}"
    print(f"{label:<34} {seconds:6.2f} s   peak so far {peak:5.0f} MiB   {status}")


def decide_everything(project: Path) -> int:
    with ProjectStore.open(project) as store:
        segments = list(store.segments(None, origin="machine"))
        for coder, accept_share in (("ana", 0.7), ("ola", 0.6)):
            chance = random.Random(coder)
            store.record_decisions([NewDecision(coder, "accept" if chance.random() < accept_share else "reject", s.segment_id)
                                    for s in segments])  # fmt: skip
    return len(segments)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=67)
    parser.add_argument("--words", type=int, default=10_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder, project = Path(temporary) / "corpus", Path(temporary) / "project"
        folder.mkdir()
        words = build_corpus(folder, options.transcripts, options.words)
        subprocess.run([*CLI, "code", str(folder), "-c", str(ROOT / "codebooks" / "ipl.yaml"), "-p", str(project), "-q"], check=True)
        started = time.perf_counter()
        segments = decide_everything(project)
        print(f"{options.transcripts} transcripts, {words:,} words, {segments:,} suggestions; "
              f"two coders decided all of them through the store in {time.perf_counter() - started:.2f} s")  # fmt: skip
        # The interactive review needs a terminal, so its first screen is timed by hand (docs/performance.md).
        sheet = Path(temporary) / "kari.csv"
        timed("review export .xlsx", ["review", "export", "-p", str(project), "-o", str(Path(temporary) / "kari.xlsx"), "--coder", "kari"])
        timed("review export .csv", ["review", "export", "-p", str(project), "-o", str(sheet), "--coder", "kari"])
        with sheet.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row["decision"] = "accept"
        with sheet.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        timed(f"review import ({len(rows):,} decisions)", ["review", "import", str(sheet), "-p", str(project), "--coder", "kari"])
        timed("agreement --unit sentence", ["agreement", "-p", str(project), "--coders", "ana,ola"])
        timed("agreement --unit segment", ["agreement", "-p", str(project), "--coders", "ana,ola", "--unit", "segment"])


if __name__ == "__main__":
    main()

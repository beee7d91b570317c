"""End-to-end speed and memory of `ipl-coder code` on a synthetic corpus.

Builds 67 transcripts of about 10,000 words each by recombining the turns of
sample_transcripts/ (each transcript a different deterministic shuffle, so no
two are identical), then runs the real command in a subprocess, the way a user
would, and reports wall time, words per second and the child's peak memory.

    .venv/bin/python benchmarks/bench_code.py [--transcripts 67] [--words 10000] [--repeat 3] [--jobs 0] [--warm]

Timings on a shared machine vary a lot, so it runs the command --repeat times
(a fresh project each time) and reports the median and the best. With --warm,
each cold run is followed by a re-run into the same project after an edit of
(a copy of) the codebook, the way a researcher re-codes: the processed
transcripts then come from the project's cache. --no-cache times the cold runs
without writing the cache.
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ipl_coder.transcripts import count_words  # noqa: E402
from ipl_coder.transcripts.reader import (  # noqa: E402
    find_transcripts,
    read_transcript,
)


def sample_turns() -> list[tuple[str, str]]:
    turns = []
    for transcript_file in find_transcripts([ROOT / "sample_transcripts"]):
        transcript = read_transcript(transcript_file)
        turns += [(turn.speaker, transcript.turn_text(turn)) for turn in transcript.turns]
    return turns


def build_corpus(folder: Path, transcripts: int, words: int) -> int:
    turns = sample_turns()
    total = 0
    for number in range(1, transcripts + 1):
        shuffled = random.Random(number).sample(turns, len(turns))
        lines, count = [f"Synthetic interview {number:03d}, built from the samples.", ""], 0
        index = 0
        while count < words:
            speaker, said = shuffled[index % len(shuffled)]
            label = "Interviewer" if speaker in {"Interviewer", "I", "Q", "Int"} else f"P{number:03d}"
            lines.append(f"{label}: {said}\n")
            count += count_words(said)
            index += 1
        (folder / f"synthetic-{number:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
        total += count
    return total


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=67)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--unit", default="sentence")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per core)")
    parser.add_argument("--warm", action="store_true", help="also time a re-run after a codebook edit, with the cache warm")
    parser.add_argument("--no-cache", action="store_true", help="pass --no-cache to the cold runs")
    parser.add_argument("--keep", action="store_true", help="keep the corpus and project folders")
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ipl-bench-"))
    corpus, project = work / "corpus", work / "project"
    corpus.mkdir()
    words = build_corpus(corpus, options.transcripts, options.words)
    codebook = Path(shutil.copy(ROOT / "codebooks" / "ipl.yaml", work / "ipl.yaml"))
    command = [str(Path(sys.executable).parent / "ipl-coder"), "code", str(corpus), "--codebook", str(codebook),
               "--project", str(project), "--unit", options.unit, "--jobs", str(options.jobs), "--quiet"]  # fmt: skip
    timings, warm_timings = [], []
    for _ in range(options.repeat):
        shutil.rmtree(project, ignore_errors=True)
        timings.append(timed([*command, *(["--no-cache"] if options.no_cache else [])]))
        if options.warm:
            with codebook.open("a", encoding="utf-8") as handle:
                handle.write("# edited\n")  # a new codebook version: the rules run again, the tokens are cached
            warm_timings.append(timed(command))
    median, best = statistics.median(timings), min(timings)
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    segments = sum(1 for _ in (project / "segments.jsonl").open(encoding="utf-8"))
    print(f"corpus:      {options.transcripts} transcripts, {words:,} words (unit: {options.unit}, jobs: {options.jobs or 'one per core'})")
    print(f"wall time:   median {median:.2f} s, best {best:.2f} s of {options.repeat} runs "
          "(process start, spaCy import, coding, store, exports)")  # fmt: skip
    print(f"throughput:  {words / median:,.0f} words/s (median), {words / best:,.0f} words/s (best)")
    print(f"peak memory: {peak_mib:,.0f} MiB (resident, the largest ipl-coder process)")
    print(f"segments:    {segments:,}")
    if warm_timings:
        warm_median = statistics.median(warm_timings)
        print(f"warm re-run: median {warm_median:.2f} s, best {min(warm_timings):.2f} s of {options.repeat} runs "
              f"after a codebook edit ({words / warm_median:,.0f} words/s; cache: "
              f"{sum(entry.stat().st_size for entry in (project / 'cache').rglob('*.spacy')) / 1e6:.0f} MB)")  # fmt: skip
    if options.keep:
        print(f"kept: {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

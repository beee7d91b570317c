"""How long ``ipl-coder learn`` and ``ipl-coder code --learned`` take on the benchmark project: ``make learn-bench``.

Builds the 67 x 10,000-word corpus of bench_code.py, codes it, has a coder
decide every suggestion of the first --reviewed transcripts (accepting about
two in three, rejecting the rest, by a fixed rule), add a code to every
sentence of them with one of a few words (a way of talking no rule has, which
the model can learn) and to every twentieth sentence, then times the real commands in subprocesses:
``learn``, and ``code`` into the same project without and with ``--learned``
(the cache warm for both).

    .venv/bin/python benchmarks/learn_speed.py [--transcripts 67] [--reviewed 20] [--repeat 2]
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_code import build_corpus, timed  # noqa: E402
from ipl_coder.coding.units import participant_units  # noqa: E402
from ipl_coder.store import NewDecision, Passage, ProjectStore  # noqa: E402

CODER = "bench"
CUES = ("meeting", "trust", "phone", "money", "doctor")  # words of the samples no rule of ipl.yaml has on its own


def decide(project: Path, reviewed: int) -> int:
    """Decide every suggestion of the first ``reviewed`` transcripts, and add codes to some sentences."""
    decisions: list[NewDecision] = []
    with ProjectStore.open(project, lock="exclusive") as store:
        names = [row.name for row in store.transcripts()][:reviewed]
        codes = [code.code_id for code in store.latest_codes() if code.parent_id is None]
        for segment in (s for name in names for s in store.segments(None, transcript=name)):
            keep = int(hashlib.sha256(segment.segment_id.encode()).hexdigest(), 16) % 3 != 0
            decisions.append(NewDecision(CODER, "accept" if keep else "reject", segment.segment_id))
        for name, units in participant_units(store, names, "sentence").items():
            for index, unit in enumerate(units.units):
                words = set(units.unit_text(index).casefold().split())
                # A way of talking about a code that no rule has (which the model can learn), and some codes at random.
                cued = [code for cue, code in zip(CUES, codes, strict=False) if cue in words]
                for code in cued or ([codes[index % len(codes)]] if index % 20 == 7 else []):
                    decisions.append(NewDecision(CODER, "add", new_code_id=code, passage=Passage(name, unit.start_char, unit.end_char)))
        store.record_decisions(decisions)
    return len(decisions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transcripts", type=int, default=67)
    parser.add_argument("--words", type=int, default=10_000)
    parser.add_argument("--reviewed", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    command = [str(Path(sys.executable).parent / "ipl-coder")]
    codebook = ROOT / "codebooks" / "ipl.yaml"
    with tempfile.TemporaryDirectory() as folder:
        corpus, project = Path(folder) / "corpus", Path(folder) / "project"
        corpus.mkdir()
        words = build_corpus(corpus, args.transcripts, args.words)
        code = [*command, "code", str(corpus), "-c", str(codebook), "-p", str(project), "--quiet"]
        timed(code)
        decisions = decide(project, args.reviewed)
        learn_seconds = timed([*command, "learn", "-p", str(project), "--quiet"])
        without, with_model = [], []
        for _ in range(args.repeat):
            without.append(timed(code))
            with_model.append(timed([*code, "--learned"]))
        with ProjectStore.open(project) as store:
            model = store.learned_model()
            learned = sum(1 for segment in store.segments(None) if segment.origin == "model")
        shutil.rmtree(project)
    print(f"{args.transcripts} transcripts, {words:,} words; {decisions:,} decisions on {args.reviewed} of them")
    assert model is not None
    print(f"learn: {learn_seconds:.1f} s ({model.units:,} sentences of {model.transcripts} reviewed transcripts, "
          f"{len(model.trained_codes)} codes learned)")  # fmt: skip
    print(f"code (warm cache), median of {args.repeat}: {statistics.median(without):.1f} s without --learned, "
          f"{statistics.median(with_model):.1f} s with ({learned:,} model suggestions); "
          f"ratio {statistics.median(with_model) / statistics.median(without):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()

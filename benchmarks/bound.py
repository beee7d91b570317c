"""The least a run can take in ipl-coder's design: spaCy's own work alone, with nothing of ipl-coder's.

    python benchmarks/bound.py workers LANGUAGE FILE...   # as floor.py, split over two forked workers
    python benchmarks/bound.py start LANGUAGE             # import spacy and build the blank pipeline, nothing else

``workers`` is the cold run's bound: ``import spacy``, the blank tokenizer and
sentencizer built once, then two worker processes forked from it (as
coding/parallel.py does) tokenising half the files each. ``start`` is the bound
of any run that loads spaCy at all: a warm re-run, or one file. Whatever
ipl-coder adds (its command line, the codebook, lemmas, matching, the store,
the exports) comes on top of these. bench_speed.py prints them beside the
targets, so it shows how much of each target is left for that.
"""

import multiprocessing
import sys
from pathlib import Path

import spacy

nlp = spacy.blank(sys.argv[2])
nlp.add_pipe("sentencizer")


def tokenise(names: list[str]) -> int:
    tokens = 0
    for doc in nlp.pipe(Path(name).read_text(encoding="utf-8") for name in names):
        tokens += len(doc) + sum(1 for _ in doc.sents)
    return tokens


if __name__ == "__main__" and sys.argv[1] == "workers":
    files = sys.argv[3:]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        print(sum(pool.map(tokenise, [files[0::2], files[1::2]])), "tokens and sentences")

"""The floor of ipl-coder's design: spaCy's blank tokenizer and sentencizer over the files, in one process.

    python benchmarks/floor.py LANGUAGE FILE...

Each file is one Doc, read as UTF-8; ``import spacy`` is part of the time, as it
is of every ipl-coder run. bench_speed.py times it beside ``ipl-coder code``.
"""

import sys
from pathlib import Path

import spacy

nlp = spacy.blank(sys.argv[1])
nlp.add_pipe("sentencizer")
tokens = sentences = 0
for doc in nlp.pipe(Path(name).read_text(encoding="utf-8") for name in sys.argv[2:]):
    tokens += len(doc)
    sentences += sum(1 for _ in doc.sents)
print(f"{tokens} tokens, {sentences} sentences")

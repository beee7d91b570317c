"""A plain-regex coder: one case-insensitive alternation of a codebook's terms per code, over the files.

    python benchmarks/regex_baseline.py ALTERNATIONS.json FILE...

ALTERNATIONS.json maps each code id to its terms (bench_speed.py writes it from
codebooks/ipl.yaml, every English term of every rule kind). It counts the
matches per code: what a script without spaCy would do, and how fast.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

terms = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
patterns = {
    code_id: re.compile(r"\b(?:" + "|".join(re.escape(term) for term in sorted(words, key=len, reverse=True)) + r")\b", re.IGNORECASE)
    for code_id, words in terms.items()
    if words
}
counts: Counter[str] = Counter()
for name in sys.argv[2:]:
    text = Path(name).read_text(encoding="utf-8")
    for code_id, pattern in patterns.items():
        counts[code_id] += sum(1 for _ in pattern.finditer(text))
print(", ".join(f"{code_id} {count}" for code_id, count in sorted(counts.items())))

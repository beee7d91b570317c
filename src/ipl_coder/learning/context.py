"""What the model sees around a sentence: the codes the rules suggested on it and near it.

People code stories, not words: a sentence such as "That was a whole thing."
has a code because the sentences around it are about it. So beside the words
of a sentence, the model reads marked tokens naming the codes the codebook's
rules suggested in the same turn: ``here:CODE`` on the sentence itself,
``before:CODE`` and ``after:CODE`` on the sentence before and after,
``before2:CODE`` and ``after2:CODE`` two sentences away, and ``turn:CODE``
anywhere in the turn (and ``sentence``, in every unit). A rule's code counts with the codes above it (a rule's
``role-peer`` says ``role`` too). The same tokens are made from the store's
suggestions when ``learn`` trains and from the run's own rules when ``code
--learned`` suggests, so the model reads what it learned from.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence

# The sentence (0), its neighbours in the same turn, and what each position is called in a token.
POSITIONS = ((0, "here"), (-1, "before"), (1, "after"), (-2, "before2"), (2, "after2"))
WHOLE_TURN = "turn"
# Every unit's tokens start with it, so that none is empty: spaCy's classifier fails on a batch mixing empty and
# non-empty Docs, and scores an empty one 0 whatever it learned.
SENTENCE = "sentence"
_SAID = {"here": "on the sentence", "before": "on the sentence before", "after": "on the sentence after",
         "before2": "two sentences before", "after2": "two sentences after", WHOLE_TURN: "in the same turn"}  # fmt: skip


def rule_codes(bounds: Sequence[tuple[int, int]], segments: Iterable[tuple[str, int, int]],
               chain: Callable[[str], Sequence[str]]) -> list[set[str]]:  # fmt: skip
    """Per unit (``bounds`` in text order): the codes the rules suggest on it, with the codes above them."""
    starts = [start for start, _ in bounds]
    ends = [end for _, end in bounds]
    codes: list[set[str]] = [set() for _ in bounds]
    for code_id, start, end in segments:
        for index in range(bisect_right(ends, start), bisect_left(starts, end)):
            codes[index].update(chain(code_id))
    return codes


def context_tokens(codes: Sequence[set[str]], turns: Sequence[int], index: int) -> list[str]:
    """The marked tokens of unit ``index``: the rules' codes on it and on its neighbours in the same turn."""
    tokens = [SENTENCE]
    for offset, name in POSITIONS:
        other = index + offset
        if 0 <= other < len(codes) and turns[other] == turns[index]:
            tokens += [f"{name}:{code}" for code in sorted(codes[other])]
    first, last = index, index
    while first > 0 and turns[first - 1] == turns[index]:
        first -= 1
    while last + 1 < len(turns) and turns[last + 1] == turns[index]:
        last += 1
    in_turn = set().union(*codes[first : last + 1])
    return tokens + [f"{WHOLE_TURN}:{code}" for code in sorted(in_turn)]


def all_context_tokens(codes: Sequence[set[str]], turns: Sequence[int]) -> list[tuple[str, ...]]:
    """``context_tokens`` for every unit."""
    return [tuple(context_tokens(codes, turns, index)) for index in range(len(codes))]


def describe(token: str) -> str:
    """A context token in a researcher's words: "rules: boundary on the sentence before"."""
    where, _, code = token.partition(":")
    return f"rules: {code} {_SAID[where]}" if where in _SAID and code else token


def is_context(token: str) -> bool:
    return token.partition(":")[0] in _SAID

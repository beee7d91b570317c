"""Checking a codebook's token patterns before they reach spaCy's Matcher.

spaCy's own validation says whether a pattern is well formed, not whether it
can be matched in reasonable time and memory: a pattern of 200 optional
tokens passes it and then takes over a gigabyte. ipl-coder's limits come
first, then spaCy's verdict, condensed to one line a researcher can act on.
"""

from __future__ import annotations

import json
import re
from typing import Any


def canonical_pattern(pattern: Any) -> str | None:
    """The pattern as one string, the same however its keys were ordered: to know one already checked.

    None for what JSON cannot hold (a YAML date, say): never a pattern checked before."""
    try:
        return json.dumps(pattern, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return None


def pattern_problem(pattern: Any, checked: frozenset[str] = frozenset()) -> str | None:
    """spaCy's own verdict on a Matcher pattern, condensed to one line (None if fine), after ipl-coder's limits.

    A pattern among ``checked`` (canonical, as a codebook this program checked and saved had it) is not given
    to spaCy again: the same pattern gets the same verdict, and asking imports spaCy (most of a second).
    """
    if not isinstance(pattern, list) or not pattern:
        return "a pattern is a non-empty list of token specs such as {LOWER: peer}"
    too_big = _pattern_size_problem(pattern)  # before spaCy: it builds every token of '{n}' in memory
    if too_big:
        return too_big
    custom = next((number for number, spec in enumerate(pattern, start=1) if isinstance(spec, dict) and "_" in spec), None)
    if custom:  # spaCy accepts it here and fails on the first transcript
        return f"token {custom}: '_' (custom extension attributes) cannot be used: ipl-coder's pipelines register none"
    if checked and canonical_pattern(pattern) in checked:
        return None
    from spacy.errors import MatchPatternError  # lazy: spaCy is slow to import
    from spacy.matcher import Matcher
    from spacy.vocab import Vocab

    try:
        Matcher(Vocab(), validate=True).add("check", [pattern])
    except MatchPatternError as error:
        details = [line[2:] for line in str(error).splitlines() if line.startswith("- ")]
        return _friendly_pattern_problem(details[0]) if details else str(error).splitlines()[0]
    except re.error as error:
        return f"a REGEX that is not a valid regular expression ({error})"
    except (ValueError, TypeError, KeyError) as error:
        return str(error).splitlines()[0]
    return None


# spaCy's Matcher follows every way a pattern can match: each optional token doubles the work, and an
# open-ended '*' or '+' multiplies it by the length of the turn. Measured on a 2,000-token turn of a
# pattern of wildcards: 8 optional tokens take 0.1 s, 16 take 15 s; one '*' 0.2 s, two '*' minutes.
MAX_PATTERN_TOKENS = 50
MAX_OPEN_PLACES = 8
OPEN_ENDED_PLACES = 6  # what a '*', '+' or '{n,}' counts towards MAX_OPEN_PLACES
_RANGE = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _pattern_size_problem(pattern: list[Any]) -> str | None:
    """A pattern too long, or too open, for the Matcher to code transcripts in reasonable time and memory."""
    tokens = places = 0
    for spec in pattern:
        op = spec.get("OP", "1") if isinstance(spec, dict) else "1"
        least, most = _repeats(op if isinstance(op, str) else "1")
        tokens += least if most is None else most
        places += OPEN_ENDED_PLACES if most is None else most - least
    if tokens > MAX_PATTERN_TOKENS:
        return f"too long to match quickly: {tokens} tokens ('{{n}}' counts n) where at most {MAX_PATTERN_TOKENS} are allowed"
    if places > MAX_OPEN_PLACES:
        return (
            f"too open to match quickly: {places} optional tokens where at most {MAX_OPEN_PLACES} are allowed "
            f"('?' counts 1, '{{,m}}' m, '{{n,m}}' m-n, and '*', '+' or '{{n,}}' {OPEN_ENDED_PLACES} each); "
            "write '{,4}' rather than '*'"
        )
    return None


def _repeats(op: str) -> tuple[int, int | None]:
    """How often a token with operator ``op`` occurs: at least, at most (None: no limit). Unknown ones count once."""
    if op in ("*", "+"):
        return (0 if op == "*" else 1), None
    if op == "?":
        return 0, 1
    match = _RANGE.fullmatch(op)
    if not match or not (match.group(1) or match.group(3)):
        return 1, 1  # not an operator: spaCy says so
    least, most = (min(int(digits[:10] or 0), 10**9) for digits in (match.group(1), match.group(3)))
    if not match.group(2):
        return least, least
    return least, (most if match.group(3) else None)


def _friendly_pattern_problem(detail: str) -> str:
    """'[pattern -> 0 -> LOWR] Extra inputs are not permitted' as 'token 1: unknown key LOWR ...'."""
    match = re.match(r"\[pattern -> (\d+)(?: -> (\w+))?[^\]]*\] (.*)", detail)
    if not match:
        return detail
    token, key, message = int(match.group(1)) + 1, match.group(2), match.group(3)
    if key and message.startswith("Extra inputs"):
        return f"token {token}: '{key}' is not a token attribute spaCy knows (such as LOWER, LEMMA, POS, OP)"
    return f"token {token}{f', {key}' if key else ''}: {message}"

"""Language names as researchers write them, turned into the codes spaCy knows.

A participants sheet says "Norwegian", "norsk" or "nb-NO"; spaCy and simplemma
want "nb". Norwegian without a written standard ("no") means Bokmål, which is
what nearly all Norwegian transcripts are written in.
"""

from __future__ import annotations

import re

ALIASES = {
    "english": "en", "engelsk": "en", "eng": "en",
    "norwegian": "nb", "norsk": "nb", "bokmål": "nb", "bokmal": "nb", "no": "nb", "nob": "nb", "nor": "nb",
    "nynorsk": "nn", "nno": "nn",
    "swedish": "sv", "svenska": "sv", "svensk": "sv", "swe": "sv",
    "danish": "da", "dansk": "da", "french": "fr", "français": "fr", "german": "de", "deutsch": "de",
}  # fmt: skip
CODE = re.compile(r"^(?P<code>[a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$")


def language_code(value: str) -> str | None:
    """``"Norwegian"``, ``"nb-NO"`` and ``"no"`` give ``"nb"``; None if it is not a language."""
    key = value.strip().casefold()
    if key in ALIASES:
        return ALIASES[key]
    match = CODE.match(key)
    if not match:
        return None
    code = match.group("code")
    return ALIASES.get(code, code)

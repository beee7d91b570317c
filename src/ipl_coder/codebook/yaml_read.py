"""Read a codebook's YAML in C when we can: the same tree, with every line and column, ten times faster.

ruamel.yaml's round-trip parser is pure Python: a codebook of 4,000 lines
takes half a second to read, on every run after an edit. ruamel.yaml.clib
(libyaml, in C) builds the same nodes, and ruamel's own round-trip
constructor turns them into the same CommentedMap tree, every key and item at
the same line and column (a test compares the two on every codebook in the
repository and on awkward cases). Comments are not kept: reading a codebook
never needs them; editing one does, and uses the pure parser.

Anything libyaml refuses goes to the pure parser, so researchers see its
messages, which yaml_errors.py words; so do a file without clib installed,
one with a %YAML directive or YAML 1.1's extra line breaks (libyaml knows
YAML 1.1 only; ruamel reads 1.2), and one nested
deeper than any codebook is, on which libyaml's recursion could crash the
process instead of raising.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import YAML

from ipl_coder.transcripts.frontmatter import bracket_depth

MAX_FAST_NESTING = 200  # levels of indentation and brackets; a codebook has a handful
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)
_YAML_11_BREAKS = frozenset("\x85\u2028\u2029")  # line breaks to libyaml, not to YAML 1.2: the lines would differ


def load_yaml(text: str) -> Any:
    """The YAML in ``text`` as ruamel's round-trip loader gives it (comments aside); its errors as it raises them.

    RecursionError for brackets nested deeper than any codebook could be: the pure parser slows with the square of
    the depth, and took seconds to fail on them.
    """
    if bracket_depth(text) > MAX_FAST_NESTING:
        raise RecursionError("brackets nested deeper than a codebook's")
    if _fast_is_safe(text):
        try:
            return _CLoader(text).get_single_data()
        except Exception:  # noqa: BLE001 - any refusal or surprise: the pure parser says what is wrong, in its words
            pass
    return YAML(typ="rt").load(text)


def _fast_is_safe(text: str) -> bool:
    if _CLoader is None or _DIRECTIVE.search(text) or not _YAML_11_BREAKS.isdisjoint(text):
        return False
    indent = max((len(line) - len(line.lstrip(" -")) for line in text.splitlines()), default=0)
    return bracket_depth(text) + indent <= MAX_FAST_NESTING



def _c_loader() -> Any:
    try:
        from ruamel.yaml.constructor import RoundTripConstructor
        from ruamel.yaml.cyaml import CParser
        from ruamel.yaml.resolver import VersionedResolver
    except ImportError:  # no wheel of ruamel.yaml.clib for this platform: the pure parser does it all
        return None

    class CRoundTripLoader(CParser, RoundTripConstructor, VersionedResolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            self._parser = self._composer = self  # as ruamel's own CSafeLoader wires itself
            self.comment_handling = None
            RoundTripConstructor.__init__(self, loader=self)
            VersionedResolver.__init__(self, loadumper=self)

    return CRoundTripLoader


_CLoader = _c_loader()

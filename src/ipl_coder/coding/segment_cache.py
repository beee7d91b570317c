"""Each code's segments of a transcript, kept so that a re-run after a codebook edit codes only the codes it changed.

Researchers edit a codebook and re-run many times a day, and an edit mostly
touches one code or two. A code's segments depend only on the transcript as
coded (its text, name, turns and who speaks them, the pieces and the pipeline
that made its Docs) and on that code's own rules, unit and speakers: no code's
matches change another's. So each transcript's entry in
``PROJECT/cache/docs/`` (beside its Docs, pruned with them) maps a hash of
each code's rules to the segments they made. A run looks up every code; the
codes found are taken as they are, and only the others are matched, on the
cached Docs. With every code found, the transcript is not even tokenised.

The transcript's part of the name covers everything that could change a
code's segments besides its rules, including this program's coding sources:
a new ipl-coder version misses every entry. An entry that cannot be read, or
reads as anything else, is ignored and replaced; so is one changed in any byte
since it was written (it ends with its checksum: a digit changed in an offset
still parses). Deleting it is always safe.
JSON, never pickle: reading a shared project folder must never run code.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipl_coder import __version__
from ipl_coder.coding.doc_cache import SEGMENTS_SUFFIX, save_entry, touch_entry
from ipl_coder.files import sources_hash, with_checksum, without_checksum

if TYPE_CHECKING:
    from ipl_coder.codebook.model import Code
    from ipl_coder.transcripts import Transcript

# Bump when the entry's layout changes (2: only what the transcript and code do not say; 3: a checksum line).
SEGMENTS_FORMAT = 3
# What turns Docs and rules into segments: a change to any of them is a new key for every entry.
_CODING_SOURCES = ("coders.py", "layout.py", "units.py", "matching.py", "doc_arrays.py", "sentences.py", "clitics.py", "pipeline.py",
                   "segment_cache.py")  # fmt: skip


def code_key(code: Code, unit: str, speakers: Iterable[str]) -> str:
    """A hash of everything of a code that decides its segments; not its label, definition or place in the file."""
    rules = [code.code_id, unit, list(speakers), code.term_rule and asdict(code.term_rule),
             [asdict(rule) for rule in code.pattern_rules], [asdict(rule) for rule in code.boolean_rules],
             [asdict(rule) for rule in code.near_rules], list(code.exclude_terms)]  # fmt: skip
    return hashlib.sha256(json.dumps(rules, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()[:24]


class SegmentCache:
    """Per transcript, each code's segments by the hash of its rules (see the module's doc)."""

    def __init__(self, folder: Path, pipeline_key: str, writable: bool = True) -> None:
        self.folder = folder
        self.pipeline_key = pipeline_key
        self.writable = writable  # False: read the entries there are, write none

    def entry(self, transcript: Transcript, texts: Sequence[str]) -> Path:
        turns = [[turn.number, turn.speaker, turn.role, turn.start_char, turn.end_char] for turn in transcript.turns]
        context = json.dumps([SEGMENTS_FORMAT, __version__, _coding_hash(), self.pipeline_key, transcript.name,
                              transcript.content_hash, turns, list(texts)], ensure_ascii=False)  # fmt: skip
        return self.folder / f"{hashlib.sha256(context.encode('utf-8', 'surrogatepass')).hexdigest()[:32]}{SEGMENTS_SUFFIX}"

    def load(self, path: Path) -> dict[str, list[Any]]:
        """Each code's segments as saved (lists of JSON values), by code key; empty when there is no entry to trust."""
        codes = _read(path)
        if codes is None:
            return {}
        touch_entry(path)
        return codes

    @staticmethod
    def keys(path: Path) -> frozenset[str]:
        """The code keys an entry holds segments of (none for one not to trust), leaving it as unused as it was."""
        return frozenset(_read(path) or ())

    def save(self, path: Path, by_key: Mapping[str, Sequence[Any]]) -> None:
        """Keep each code's segments (JSON values: what the transcript and the code do not already say) by code key."""
        if not self.writable:
            return
        data = json.dumps({"codes": by_key}, ensure_ascii=False).encode("utf-8", "surrogatepass")
        save_entry(path, with_checksum(data, bound_to=path.name))


def _read(path: Path) -> dict[str, list[Any]] | None:
    """The entry's segments by code key; None when there is no entry to trust."""
    try:
        checked = without_checksum(path.read_bytes(), bound_to=path.name)
        if checked is None:
            return None  # not as this program wrote it, though it may well parse: a row changed is a wrong segment
        codes = json.loads(checked.decode("utf-8", "surrogatepass"))["codes"]
        if not isinstance(codes, dict) or not all(isinstance(rows, list) for rows in codes.values()):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return codes


@cache
def _coding_hash() -> str:
    return sources_hash(Path(__file__).parent, _CODING_SOURCES)

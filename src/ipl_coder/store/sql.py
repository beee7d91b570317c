"""Small SQL helpers the store's modules share."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from ipl_coder.errors import ProjectError

# A segment is a person's once it has a decision, a non-pending status or a human origin.
DECIDED = (
    "(status != 'pending' OR origin = 'human'"
    " OR segment_id IN (SELECT segment_id FROM decisions))"
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def json_list(values: Sequence[str]) -> str:
    return _json_tuple(tuple(values))


@lru_cache(maxsize=8192)
def _json_tuple(values: tuple[str, ...]) -> str:
    """A run stores tens of thousands of segments, most with the same few rule ids and words: each written once."""
    return json.dumps(list(values), ensure_ascii=False)


@lru_cache(maxsize=8192)
def json_tuple(text: str) -> tuple[str, ...]:
    """A stored JSON list, read back: most segments share a few, each parsed once."""
    return tuple(json.loads(text))


def json_dict(values: Any) -> str:
    return json.dumps(dict(values), ensure_ascii=False)


def write_error(path: Path, error: sqlite3.Error) -> ProjectError:
    name = getattr(error, "sqlite_errorname", "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        advice = "another program is using the project (another ipl-coder?); let it finish and run again"
    elif name.startswith("SQLITE_READONLY"):
        advice = "the project store cannot be written to; check the folder's permissions"
    else:
        advice = "free some disk space (or check the disk) and run again"
    return ProjectError(f"{path}: cannot save to the project store ({error}), so this change was not saved; {advice}")

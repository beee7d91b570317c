"""Segment ids: the store's keys for coded passages, worked out from the passage itself.

The same text, code and place always get the same id, so a run finds the
suggestion a person already decided on, and a review sheet exported months ago
still finds its rows.
"""

from __future__ import annotations

import hashlib


def segment_id_for(content_hash: str, code_id: str, start_char: int, end_char: int) -> str:
    """Stable across runs: the same text, code and place always get the same id."""
    return hashlib.sha256(f"{content_hash}:{code_id}:{start_char}:{end_char}".encode()).hexdigest()[:16]


def human_segment_id(content_hash: str, code_id: str, coder: str, start_char: int, end_char: int) -> str:
    """A code a person added is theirs: never the id of a machine suggestion, nor of another coder's."""
    return segment_id_for(content_hash, f"{code_id}@human:{coder}", start_char, end_char)

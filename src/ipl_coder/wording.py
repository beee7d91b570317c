"""Counts in words, for every message a researcher reads: "1 turn", "2 turns", "1,200 words"."""

from __future__ import annotations


def count(number: int, noun: str, plural: str = "") -> str:
    """The number and its noun, plural unless the number is 1; ``plural`` for a noun that takes more than an 's'."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"

"""Positions another tool wrote, moved onto ipl-coder's text (LF, NFC, no BOM; code points).

REFI-QDA counts Unicode code points in the source's text as written. That text
may have a BOM, CRLF line ends or decomposed accents, which ipl-coder's text
does not, so every position is mapped. NVivo for Windows counts UTF-16 units
instead: a character outside the Basic Multilingual Plane (most emoji) counts
two; :func:`utf16_to_code_points` maps those.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class MappedText:
    text: str  # the normalised text
    positions: list[int]  # for each position 0..len(raw) in the raw text, the position in ``text``

    def place(self, start: int, end: int) -> tuple[int, int] | None:
        """A raw selection in the normalised text; None when it is outside the raw text or empty once mapped."""
        if not 0 <= start <= end < len(self.positions):
            return None
        mapped = (self.positions[start], self.positions[end])
        return mapped if mapped[0] < mapped[1] else None


def normalise_with_positions(raw: str) -> MappedText:
    """The text with a leading BOM dropped, CRLF and CR as LF, and NFC, with where each raw position went."""
    pieces: list[str] = []
    positions: list[int] = []
    out = 0
    index = 0
    while index < len(raw):
        character = raw[index]
        if index == 0 and character == "\ufeff":
            positions.append(out)
            index += 1
            continue
        if character == "\r":
            positions.append(out)
            if index + 1 < len(raw) and raw[index + 1] == "\n":
                positions.append(out)  # CR and LF become one LF
                index += 1
            pieces.append("\n")
            out += 1
            index += 1
            continue
        cluster_end = index + 1
        while cluster_end < len(raw) and unicodedata.combining(raw[cluster_end]):
            cluster_end += 1
        cluster = unicodedata.normalize("NFC", raw[index:cluster_end])
        for offset in range(cluster_end - index):
            positions.append(out + min(offset, len(cluster)))  # a mark composed into its letter points after it
        pieces.append(cluster)
        out += len(cluster)
        index = cluster_end
    positions.append(out)
    return MappedText("".join(pieces), positions)


def utf16_to_code_points(raw: str) -> list[int]:
    """For each UTF-16 unit position 0..n, the code point position it falls at."""
    positions = []
    for index, character in enumerate(raw):
        positions += [index] * (2 if ord(character) > 0xFFFF else 1)
    positions.append(len(raw))
    return positions


def has_astral(raw: str) -> bool:
    """Whether UTF-16 and code point positions differ in this text."""
    return any(ord(character) > 0xFFFF for character in raw)

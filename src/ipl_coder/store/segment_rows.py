"""How the store reads a segment: only the columns a SegmentRow needs, unpacked by name here, in one place.

A whole project's segments are read for every export; ``sqlite3.Row``'s look-ups by column name cost more than
writing the rows out, so these come as plain tuples (``row_factory = None``) and become named objects at once.
"""

from __future__ import annotations

from typing import Any

from ipl_coder.store.learned import reason_from_json
from ipl_coder.store.rows import SegmentRow
from ipl_coder.store.sql import json_tuple

# What a SegmentRow is read from, in the order segment_row unpacks them.
_SEGMENT_FIELDS = ("s.segment_id", "t.name", "s.code_id", "s.start_char", "s.end_char", "s.speaker", "s.turn_number",
                   "s.unit", "s.text", "s.matched_json", "s.rules_json", "s.origin", "s.status", "s.suggested",
                   "u.timestamp", "s.coder", "s.decided_by", "s.decided_at", "s.score", "s.reason_json")  # fmt: skip
SELECT_SEGMENTS = (
    f"SELECT {', '.join(_SEGMENT_FIELDS)} FROM segments s JOIN transcripts t USING (transcript_id)"
    " LEFT JOIN turns u ON u.transcript_id = s.transcript_id AND u.turn_number = s.turn_number"
)


def segment_row(row: tuple[Any, ...]) -> SegmentRow:
    (segment_id, transcript, code_id, start_char, end_char, speaker, turn_number, unit, text, matched_json, rules_json,
     origin, status, suggested, timestamp, coder, decided_by, decided_at, score, reason_json) = row  # fmt: skip
    return SegmentRow(
        segment_id=segment_id, transcript=transcript, code_id=code_id, start_char=start_char, end_char=end_char,
        speaker=speaker, turn_number=turn_number, unit=unit, text=text, matched=json_tuple(matched_json),
        rules=json_tuple(rules_json), origin=origin, status=status, suggested=bool(suggested), timestamp=timestamp,
        coder=coder, decided_by=decided_by, decided_at=decided_at, score=score,
        reason=reason_from_json(reason_json) if origin == "model" else None,
    )  # fmt: skip

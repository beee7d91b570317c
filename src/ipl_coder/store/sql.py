"""Small SQL helpers the store's modules share."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

# A segment is a person's once it has a decision, a non-pending status or a human origin.
DECIDED = (
    "(status != 'pending' OR origin = 'human'"
    " OR segment_id IN (SELECT segment_id FROM decisions))"
)


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def json_list(values: Sequence[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def json_dict(values: Any) -> str:
    return json.dumps(dict(values), ensure_ascii=False)

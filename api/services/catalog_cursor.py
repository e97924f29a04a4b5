"""The catalogue's page cursors: opaque to clients, checked on the way back in.

A cursor is base64 of a JSON list: ``[offset]`` for relevance, ``[seq, id]`` for newest,
``[price or null, id]`` for the price sorts (keyset paging). Anything else, from a
client that made one up, is a 400, never a 500.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..errors import BadRequest

INT64_MAX = 2**63 - 1
OFFSET_MAX = 10**6  # relevance pages by offset; nobody reads this far


class InvalidCursor(BadRequest):
    """The cursor is not one this server gave out (or not for this sort)."""

    code = "invalid_cursor"
    message = "The cursor is not one this server gave out: start again without it."


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def decode(cursor: str | None, sort: str) -> list | None:
    """The cursor's values, checked against the shape ``encode`` gives out for ``sort``."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, RecursionError) as exc:
        # RecursionError: json.loads recurses once per bracket ("[" * 5000).
        raise InvalidCursor() from exc
    if sort == "relevance":
        ok = isinstance(values, list) and len(values) == 1 and _whole(values[0], 0, OFFSET_MAX)
    else:
        ok = (
            isinstance(values, list)
            and len(values) == 2
            and isinstance(values[1], str)
            and (
                _whole(values[0], -1, INT64_MAX) or (values[0] is None and sort.startswith("price"))
            )
        )
    if not ok:
        raise InvalidCursor(details={"sort": sort})
    return values


def encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()

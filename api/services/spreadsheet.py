"""What every CSV a coordinator downloads shares (the materials ledger, the earnings,
the marketing figures): UTF-8 with a byte-order mark, so Excel reads Arabic names as
Arabic; amounts in dirhams as exact decimals; free text that a spreadsheet never runs
as a formula; and rows streamed on a connection of their own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlite_utils

BOM = "\ufeff"
# What a spreadsheet would run as a formula at the start of a cell of free text.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def mad(centimes: int | None) -> str:
    """Centimes as dirhams, exactly: 96050 -> "960.50"."""
    if centimes is None:
        return ""
    sign = "-" if centimes < 0 else ""
    whole, rest = divmod(abs(centimes), 100)
    return f"{sign}{whole}.{rest:02d}"


def spreadsheet_text(value: Any) -> str:
    """Free text as a cell that stays text in a spreadsheet."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def on_own_connection(
    pool: Any, rows: Callable[[sqlite_utils.Database], Iterator[str]]
) -> Iterator[str]:
    """``rows(db)`` on a connection of its own from ``pool``: a streamed answer outlives
    the request, whose connection goes back to the pool when the view returns."""
    db = pool.acquire()
    try:
        yield from rows(db)
    finally:
        pool.release(db)

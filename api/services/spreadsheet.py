"""What every CSV a coordinator downloads shares (the materials ledger, the earnings,
the marketing figures): UTF-8 with a byte-order mark, so Excel reads Arabic names as
Arabic; amounts in dirhams as exact decimals; free text that a spreadsheet never runs
as a formula; and rows streamed on a connection of their own."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterable, Iterator
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


def csv_lines(columns: Iterable[str], pages: Iterable[Iterable[list[Any]]]) -> Iterator[str]:
    """The CSV text: the BOM and the header, then each page of rows as one piece, so a
    long export streams a page at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield BOM + buffer.getvalue()
    for page in pages:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(page)
        yield buffer.getvalue()


class DisplayNames:
    """Accounts' display names, each looked up once per export."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.known: dict[str, str] = {}

    def __call__(self, user_id: str) -> str:
        if user_id not in self.known:
            found = self.db.execute("SELECT display_name FROM users WHERE id = ?", [user_id])
            self.known[user_id] = (found.fetchone() or [""])[0]
        return self.known[user_id]


def pages_of(rows: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    """Rows in pages of ``size`` (itertools.batched, from Python 3.12)."""
    it = iter(rows)
    while page := list(itertools.islice(it, size)):
        yield page

"""What a cooperative owes its artisans, as CSV: one row per entry, oldest first, for the
accountant. The amount column is signed as it counts (a payment negative), so the rows
of an artisan add up to her balance.

Written as the materials ledger's CSV is (api/services/spreadsheet.py gives both the
BOM, the amounts and the formula-safe text): a generator over pages of entries, on a
connection of its own, so a long ledger is never held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from schemas.taxonomy import LOCALES

from ..spreadsheet import DisplayNames, csv_lines, mad, on_own_connection, spreadsheet_text
from .words import PAYMENT_METHODS

PAGE = 500
COLUMNS = (
    "date",
    "id",
    "artisan",
    "artisan_name",
    "kind",
    "amount_mad",
    "pieces",
    "unit_mad",
    "bulk_order",
    "shipment",
    "part",
    "method",
    "method_name",
    "reference",
    "advance_mad",
    "corrects",
    "note",
    "recorded_by",
)


def filename(cooperative: str, today: str) -> str:
    return f"earnings-{cooperative}-{today}.csv"


def streamed(pool: Any, cooperative: str, lang: str) -> Iterator[str]:
    return on_own_connection(pool, lambda db: rows(db, cooperative, lang))


def rows(db: sqlite_utils.Database, cooperative: str, lang: str) -> Iterator[str]:
    """The CSV, header first, a page of entries at a time, in the order recorded here."""
    lang = lang if lang in LOCALES else "fr"
    return csv_lines(COLUMNS, _pages(db, cooperative, lang))


def _pages(db: sqlite_utils.Database, cooperative: str, lang: str) -> Iterator[list[list]]:
    names = DisplayNames(db)
    after = 0
    while page := db.execute(
        "SELECT e.seq, e.id, e.signed_centimes, r.body FROM earning_entries e "
        "JOIN docs d ON d.id = e.id JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE e.cooperative = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
        [cooperative, after, PAGE],
    ).fetchall():
        after = page[-1][0]
        out = []
        for _, entry_id, signed, raw in page:
            body = json.loads(raw)
            name = names(body.get("artisan") or "")
            out.append(_row(entry_id, signed, body, name, lang))
        yield out


def _row(entry_id: str, signed: int, body: dict[str, Any], name: str, lang: str) -> list[Any]:
    method = body.get("method") or ""
    # Entries may come by sync from any phone: every text a client wrote stays text.
    return [
        spreadsheet_text(body.get("at")),
        spreadsheet_text(entry_id),
        spreadsheet_text(body.get("artisan")),
        spreadsheet_text(name),
        spreadsheet_text(body.get("kind")),
        mad(signed),  # as projected: what the entry does to her balance
        body.get("pieces", ""),
        mad(body.get("unit_centimes")),
        spreadsheet_text(body.get("bulk_order")),
        spreadsheet_text(body.get("shipment")),
        spreadsheet_text(body.get("part")),
        spreadsheet_text(method),
        PAYMENT_METHODS.get(method, {}).get(lang, ""),
        spreadsheet_text(body.get("reference")),
        mad(body.get("advance_centimes")),
        spreadsheet_text(body.get("corrects")),
        spreadsheet_text(body.get("note")),
        spreadsheet_text(body.get("by")),
    ]

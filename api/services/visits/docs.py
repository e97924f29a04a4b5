"""Reading workshop and booking documents straight from the store's tables (the winning
revision of live documents), by id range: no index of our own to keep up to date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from schemas.visits import BOOKING_PREFIX, WORKSHOP_PREFIX

_WINNERS = (
    "SELECT d.id, d.winner, r.body FROM docs d JOIN revs r ON r.doc_id = d.id "
    "AND r.rev = d.winner WHERE d.deleted = 0 "
)


def _db(store_or_db: Any) -> sqlite_utils.Database:
    return getattr(store_or_db, "db", store_or_db)


def _rows(db: sqlite_utils.Database, sql: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    for doc_id, rev, body in db.execute(_WINNERS + sql, params).fetchall():
        if body:
            yield {**json.loads(body), "_id": doc_id, "_rev": rev}


def _prefix_range(prefix: str) -> list[str]:
    # Every id starting with prefix sorts in [prefix, prefix + U+10FFFF): a range scan of
    # the primary key.
    return [prefix, prefix + "\U0010ffff"]


def get(store_or_db: Any, doc_id: str, kind: str) -> dict[str, Any] | None:
    found = next(_rows(_db(store_or_db), "AND d.id = ?", [doc_id]), None)
    return found if found is not None and found.get("type") == kind else None


def workshops(store_or_db: Any, cooperative: str | None = None) -> list[dict[str, Any]]:
    """The workshops of one cooperative (by id range), or every one."""
    prefix = f"{WORKSHOP_PREFIX}{cooperative}:" if cooperative else WORKSHOP_PREFIX
    found = _rows(
        _db(store_or_db), "AND d.id >= ? AND d.id < ? ORDER BY d.id", _prefix_range(prefix)
    )
    return [
        w
        for w in found
        if w.get("type") == "workshop"
        and (cooperative is None or w.get("cooperative") == cooperative)
    ]


def bookings(store_or_db: Any, field: str, value: str) -> list[dict[str, Any]]:
    """Bookings whose ``field`` (buyer, cooperative, workshop) is ``value``."""
    assert field in ("buyer", "cooperative", "workshop")
    found = _rows(
        _db(store_or_db),
        f"AND d.id >= ? AND d.id < ? AND json_extract(r.body, '$.{field}') = ?",
        [*_prefix_range(BOOKING_PREFIX), value],
    )
    return [b for b in found if b.get("type") == "booking"]

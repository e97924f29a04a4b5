"""Bulk orders' tables, kept by the store in the transaction of every write (as the
materials ledger's, api/services/ledger/projection.py), whichever path a document came
by: REST, ``/sync``, the compact protocol or the hub.

- ``bulk_members``: which parts, checks and shipments belong to which bulk order, so a
  bulk order's totals read its few documents and never scan the store;
- ``earning_entries``: each artisan's entries of what the cooperative owes her, so her
  balance is one indexed sum and the CSV one ordered walk.

The figures themselves are computed from the documents by ``totals`` and ``balance`` in
sync/rules/bulk_orders.py, the definition a phone computes too.
"""

from __future__ import annotations

import json

import sqlite_utils

from schemas.bulk_orders import CHECK_PREFIX, EARNING_PREFIX, ORDER_PREFIX, SHIPMENT_PREFIX
from sync.store.doc_rows import WinnerChange

MEMBER_KINDS = ("order", "piece_check", "shipment")
# Where these documents live (sync/rules/bulk_orders.py checks it). A deletion says
# nothing of its type; other ids are left alone, so a migration older than these tables
# may delete its own documents through the same store.
OWN_PREFIXES = (ORDER_PREFIX, CHECK_PREFIX, SHIPMENT_PREFIX, EARNING_PREFIX)


def project(db: sqlite_utils.Database, changes: list[WinnerChange]) -> None:
    for change in changes:
        body = change.body or {}
        kind = body.get("type")
        member = kind in MEMBER_KINDS and isinstance(body.get("bulk_order"), str)
        gone = change.body is None and change.doc_id.startswith(OWN_PREFIXES)
        if member or gone:
            db.execute("DELETE FROM bulk_members WHERE doc_id = ?", [change.doc_id])
        if member:
            db.execute(
                "INSERT INTO bulk_members (doc_id, bulk_id, kind) VALUES (?, ?, ?)",
                [change.doc_id, body["bulk_order"], kind],
            )
        if kind == "earning" or gone:
            db.execute("DELETE FROM earning_entries WHERE id = ?", [change.doc_id])
        if kind == "earning" and _countable(body):
            amount = body["amount_centimes"]
            db.execute(
                "INSERT INTO earning_entries (id, artisan, cooperative, kind, signed_centimes, "
                "at) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    change.doc_id,
                    body["artisan"],
                    body["cooperative"],
                    body["kind"],
                    -amount if body["kind"] == "paid" else amount,
                    str(body.get("at") or ""),
                ],
            )


def _countable(body: dict) -> bool:
    """An entry the hub brought unchecked counts only if it says whose and how much."""
    amount = body.get("amount_centimes")
    return (
        isinstance(body.get("artisan"), str)
        and isinstance(body.get("cooperative"), str)
        and body.get("kind") in ("earned", "paid", "correction")
        and isinstance(amount, int)
        and not isinstance(amount, bool)
    )


def rebuild(db: sqlite_utils.Database) -> int:
    """Both tables again from the documents (a migration; a restored backup)."""
    db.execute("DELETE FROM bulk_members")
    db.execute("DELETE FROM earning_entries")
    rows = db.execute(
        "SELECT d.id, r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.deleted = 0 AND json_extract(r.body, '$.type') IN "
        "('order', 'piece_check', 'shipment', 'earning') ORDER BY d.seq"
    ).fetchall()
    project(db, [WinnerChange(doc_id, json.loads(body)) for doc_id, body in rows])
    return len(rows)

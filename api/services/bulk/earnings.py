"""What the cooperative owes each artisan: her entries (earned when her checked pieces
ship, paid when a coordinator records a payment, corrected by an entry naming the one it
corrects), her balance, and every artisan's balance for her coordinators.

Entries are ``earning`` documents in her channel, so her phone shows her balance
offline (``balance`` in sync/rules/bulk_totals.py); the server reads the same sum from
``earning_entries`` (api/services/bulk/projection.py).

A payment larger than what she is owed is allowed, and recorded as an advance
(``advance_centimes`` on the entry; her balance goes below zero): cooperatives advance
money for materials, and refusing the record would not undo the cash handed over.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlite_utils

from schemas.bulk_orders import EARNING_PREFIX
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ...errors import Forbidden, NotFound
from ..accounts import User
from ..directory import artisan_cooperative
from ..ledger.materials import check_for
from ..products import now_iso
from ..visible_docs import visible_doc


class NotYourArtisan(Forbidden):
    code = "artisan_of_another_cooperative"
    message = "This artisan is not a member of your cooperatives."


def balance(db: sqlite_utils.Database, artisan: str) -> int:
    row = db.execute(
        "SELECT COALESCE(SUM(signed_centimes), 0) FROM earning_entries WHERE artisan = ?",
        [artisan],
    ).fetchone()
    return row[0]


def _their_cooperative(store: DocumentStore, user: User, artisan: str) -> str:
    coop = artisan_cooperative(store.db, artisan)
    if coop is None or (user.role != "admin" and coop not in user.cooperative_ids):
        raise NotYourArtisan(details={"artisan": artisan})
    return coop


def pay(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """Record a payment to an artisan; the part beyond her balance is an advance."""
    with write_transaction(store.db):
        coop = _their_cooperative(store, user, data["artisan"])
        owed = balance(store.db, data["artisan"])
        doc = {
            "_id": f"{EARNING_PREFIX}{secrets.token_hex(8)}",
            "type": "earning",
            "kind": "paid",
            "artisan": data["artisan"],
            "cooperative": coop,
            "amount_centimes": data["amount_centimes"],
            "method": data["method"],
            "reference": data.get("reference") or "",
            "note": data.get("note") or "",
            "advance_centimes": max(0, data["amount_centimes"] - max(owed, 0)),
            "at": now_iso(),
            "by": user.id,
        }
        store.put(doc, check=check_for(store, user))
        return render(store.get_doc(doc["_id"]))


def correct(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """A correction of an entry: a new entry naming it, the amount signed."""
    with write_transaction(store.db):
        try:
            wrong = visible_doc(store, user, data["corrects"], "earning", "entry")
        except NotFound:
            raise NotFound(
                "No such entry to correct.", details={"corrects": data["corrects"]}
            ) from None
        coop = _their_cooperative(store, user, wrong["artisan"])
        doc = {
            "_id": f"{EARNING_PREFIX}{secrets.token_hex(8)}",
            "type": "earning",
            "kind": "correction",
            "artisan": wrong["artisan"],
            "cooperative": coop,
            "amount_centimes": data["amount_centimes"],
            "corrects": wrong["_id"],
            "note": data["note"],
            "at": now_iso(),
            "by": user.id,
        }
        store.put(doc, check=check_for(store, user))
        return render(store.get_doc(doc["_id"]))


def render(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"] = doc["_id"]
    out["signed_centimes"] = (
        -doc["amount_centimes"] if doc["kind"] == "paid" else doc["amount_centimes"]
    )
    return out


def entries(
    store: DocumentStore, user: User, artisan: str, after: int, limit: int
) -> dict[str, Any]:
    """An artisan's entries in the order recorded here, oldest first, with her balance.
    She reads her own; a coordinator her cooperatives' artisans'."""
    if not (user.role == "artisan" and user.id == artisan):
        if user.role not in ("coordinator", "admin"):
            raise Forbidden("An artisan reads her own entries.")
        _their_cooperative(store, user, artisan)
    rows = store.db.execute(
        "SELECT seq, id FROM earning_entries WHERE artisan = ? AND seq > ? ORDER BY seq LIMIT ?",
        [artisan, after, limit + 1],
    ).fetchall()
    items = [render({**store.winner_body(i), "_id": i}) for _, i in rows[:limit]]
    more = len(rows) > limit
    return {
        "artisan": artisan,
        "balance_centimes": balance(store.db, artisan),
        "items": items,
        "next": str(rows[limit - 1][0]) if more else None,
        "more": more,
    }


def latest(store: DocumentStore, cooperative: str, limit: int) -> list[dict[str, Any]]:
    """The cooperative's latest entries, newest first, as ``render`` gives them."""
    rows = store.db.execute(
        "SELECT id FROM earning_entries WHERE cooperative = ? ORDER BY seq DESC LIMIT ?",
        [cooperative, limit],
    ).fetchall()
    return [render({**store.winner_body(entry_id), "_id": entry_id}) for (entry_id,) in rows]


def busiest(db: sqlite_utils.Database, cooperatives: list[str]) -> str:
    """Of these cooperatives, the one with the latest entry (else the first)."""
    row = db.execute(
        f"SELECT cooperative FROM earning_entries WHERE cooperative IN "
        f"({','.join('?' * len(cooperatives))}) ORDER BY seq DESC LIMIT 1",
        cooperatives,
    ).fetchone()
    return row[0] if row else cooperatives[0]


def balances(db: sqlite_utils.Database, user: User, cooperative: str) -> list[dict[str, Any]]:
    """Every artisan of a cooperative with what she earned, was paid, and is owed."""
    if user.role != "admin" and cooperative not in user.cooperative_ids:
        raise Forbidden("You can read the balances of your own cooperatives.")
    rows = db.execute(
        "SELECT u.id, u.display_name, "
        "COALESCE(SUM(CASE e.kind WHEN 'earned' THEN e.signed_centimes END), 0), "
        "COALESCE(-SUM(CASE e.kind WHEN 'paid' THEN e.signed_centimes END), 0), "
        "COALESCE(SUM(CASE e.kind WHEN 'correction' THEN e.signed_centimes END), 0), "
        "COALESCE(SUM(e.signed_centimes), 0) "
        "FROM users u LEFT JOIN earning_entries e ON e.artisan = u.id "
        "WHERE u.role = 'artisan' AND u.cooperative_id = ? GROUP BY u.id ORDER BY u.display_name",
        [cooperative],
    ).fetchall()
    return [
        {
            "artisan": artisan,
            "display_name": name,
            "earned_centimes": earned,
            "paid_centimes": paid,
            "corrections_centimes": corrections,
            "balance_centimes": total,
        }
        for artisan, name, earned, paid, corrections, total in rows
    ]

"""Stock reserved by accepted orders of in-stock products; made-to-order pieces have none.

A reservation takes pieces off the product's ``stock.quantity`` (so the artisan's phone
and the catalogue show what is left) and is recorded in ``stock_reservations``, keyed by
order: reserving twice (a REST accept, then the feed seeing it) takes the pieces once,
and a reservation is given back once when a concurrent cancellation wins.

The server and the artisan both write that count: an edit her phone made offline on
the revision before a reservation conflicts with it. The product rule
(sync/rules/resolution.py ``product_edit``, applied by the order feed to what phones push and
by the replicator to what the hub brings) merges ``stock.quantity`` three-way, against
the revision both came from: her change and the reservation both count (5, reserved to
4, counted 7 on her phone, becomes 6). docs/features.md, "Orders", says so.
"""

from __future__ import annotations

import time
from typing import Any

from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ..errors import AppError
from .products import now_iso


class NotEnoughStock(AppError):
    status = 409
    code = "not_enough_stock"
    message = "There are not enough pieces in stock to accept this order."


def _adjust(store: DocumentStore, product_id: str, delta: int) -> int:
    """Add ``delta`` to the product's stock (never below 0); returns what was applied."""
    row = store.row(product_id)
    product = store.winner_body(product_id)
    if row is None or product is None:
        return 0
    stock = dict(product.get("stock") or {})
    have = int(stock.get("quantity") or 0)
    applied = max(delta, -have)
    if applied == 0:
        return 0
    stock["quantity"] = have + applied
    # A server-side write (no user check): the reservation follows an accepted order.
    store.put(
        {**product, "stock": stock, "updated_at": now_iso(), "_id": product_id, "_rev": row.winner},
        check=None,
    )
    return applied


def reserve(store: DocumentStore, order: dict[str, Any], *, strict: bool) -> None:
    """Reserve the order's pieces. ``strict`` (a REST accept) refuses when too few are
    left; a move that came by sync already happened on the phone, so it takes what is
    there and records the shortfall for the coordinator."""
    if order.get("stock_mode") != "in_stock":
        return
    order_id = order.get("_id") or order.get("id")
    with write_transaction(store.db):
        if store.db.execute(
            "SELECT 1 FROM stock_reservations WHERE order_id = ?", [order_id]
        ).fetchone():
            return
        product = store.winner_body(order["product_id"]) or {}
        have = int((product.get("stock") or {}).get("quantity") or 0)
        if strict and have < order["quantity"]:
            raise NotEnoughStock(details={"available": have, "quantity": order["quantity"]})
        taken = -_adjust(store, order["product_id"], -order["quantity"])
        store.db.execute(
            "INSERT INTO stock_reservations (order_id, product_id, quantity, shortfall, "
            "reserved_at) VALUES (?, ?, ?, ?, ?)",
            [order_id, order["product_id"], taken, order["quantity"] - taken, time.time()],
        )


def release(store: DocumentStore, order: dict[str, Any]) -> None:
    """Give a reservation back (the order ended without the piece leaving)."""
    order_id = order.get("_id") or order.get("id")
    with write_transaction(store.db):
        row = store.db.execute(
            "SELECT product_id, quantity FROM stock_reservations WHERE order_id = ? "
            "AND released_at IS NULL",
            [order_id],
        ).fetchone()
        if row is None:
            return
        _adjust(store, row[0], row[1])
        store.db.execute(
            "UPDATE stock_reservations SET released_at = ? WHERE order_id = ?",
            [time.time(), order_id],
        )

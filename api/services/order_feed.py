"""What follows a change to an order, however it arrived (REST, a phone's /sync push,
the hub's replication): concurrent moves merged, stock reserved or given back, the
other party notified. And what follows a change to a product: concurrent revisions (an
edit her phone made offline, beside the server's reservation) settled by the product
rule (sync/rules/resolution.py: the latest edit, the stock count merged three-way), written
as an ordinary revision that syncs back to her phone.

Products are followed here, on the same checkpoint, rather than by a follower of their
own: a reservation and the product's conflict touch the same document, and one pass in
feed order, advancing one checkpoint with its effects, settles both with no second
lock or second place to run it from. The replicator resolves what the hub brings in
with the same rule; this catches what phones push through /sync. A listing's photos are
followed on the same checkpoint too: one pushed after its bytes were uploaded becomes
ready here (api/services/photo_docs.py, ``ready_if_uploaded``).

REST writes call ``settle``/``notify`` in their own transaction (the transactional
outbox). Everything else is found by ``process``, which reads the changes feed from a
checkpoint kept in ``order_feed``, and advances it in the same transaction as its
effects, so a crash repeats the work (idempotent: reservations are keyed by order,
notifications by dedup key) instead of losing it. It runs after every write request
and before every dispatcher pass.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from sync.rules import orders as order_rules
from sync.rules import resolution
from sync.rules.resolution import Unresolvable
from sync.store import revtree
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from . import order_states, outbox, photo_docs, stock
from .directory import coordinators_of

log = logging.getLogger("hirfa.orders")

BATCH = 500
# Past this many changes with no order, product or profile among them, move the checkpoint
# anyway, so the quick look after each request stays short.
SKIP_AHEAD = 1000


def _checkpoint(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT value FROM order_feed WHERE key = 'seq'").fetchone()[0]


def _changed(db: sqlite_utils.Database, since: int) -> list[tuple[str, int]]:
    return db.execute(
        "SELECT id, seq FROM docs WHERE seq > ? AND (id LIKE 'order:%' OR id LIKE 'product:%' "
        "OR id LIKE 'cooperative:%' OR id LIKE 'artisan:%' OR id LIKE 'photo:%') "
        "ORDER BY seq LIMIT ?",
        [since, BATCH],
    ).fetchall()


def process(store: DocumentStore, media_dir: str | None = None) -> int:
    """Settle the orders and products changed since the checkpoint, and, given the media
    folder, mark ready the photos whose bytes came first; returns how many."""
    db = store.db
    if not _changed(db, _checkpoint(db)):  # the common case, without the write lock
        if store.update_seq() - _checkpoint(db) > SKIP_AHEAD:
            with write_transaction(db):
                db.execute(
                    "UPDATE order_feed SET value = ? WHERE key = 'seq'", [store.update_seq()]
                )
        return 0
    with write_transaction(db):
        rows = _changed(db, _checkpoint(db))
        # Most listings synced have no conflict: their trees, read in one query, say so
        # without a look-up each (a phone's push of 250 listings is 250 of them).
        merged = store.rows([doc_id for doc_id, _ in rows if doc_id.startswith(FIELD_MERGED)])
        for doc_id, _ in rows:
            if doc_id.startswith(FIELD_MERGED):
                if doc_id in merged and revtree.conflicts(merged[doc_id].tree):
                    settle_product(store, doc_id)
            elif doc_id.startswith(PHOTO):
                if media_dir is not None:
                    photo_docs.ready_if_uploaded(store, doc_id, media_dir)
            else:
                settle(store, doc_id)
        # Our own writes above are settled already: skip past them when we saw everything.
        done = store.update_seq() if len(rows) < BATCH else rows[-1][1]
        db.execute("UPDATE order_feed SET value = ? WHERE key = 'seq'", [done])
    return len(rows)


PHOTO = "photo:"
# Settled field by field (product_edit): products and the directory's profiles.
FIELD_MERGED_TYPES = ("product", "cooperative", "artisan")
FIELD_MERGED = tuple(f"{kind}:" for kind in FIELD_MERGED_TYPES)


def settle_product(store: DocumentStore, doc_id: str) -> bool:
    """Resolve the conflict of a product (or a directory profile), if it has one; returns
    whether it did."""
    row = store.row(doc_id)
    if row is None or not revtree.conflicts(row.tree):
        return False
    if (store.body(doc_id, row.winner) or {}).get("type") not in FIELD_MERGED_TYPES:
        return False
    # What the rule cannot settle (a leaf's body missing) is listed for the coordinator.
    return bool(resolution.resolve(store, [doc_id]).resolved)


def _branches(store: DocumentStore, doc_id: str) -> tuple[list[tuple[str, dict]], bool]:
    """The live leaves, and whether one of them rewrote its parent's history (a write on
    the current revision that dropped steps: settled as if it were a concurrent branch)."""
    row = store.row(doc_id)
    if row is None:
        return [], False
    leaves = [(r, store.body(doc_id, r)) for r in revtree.leaves(row.tree)]
    leaves = [(r, b) for r, b in leaves if b is not None and not row.tree[r].deleted]
    rewritten = False
    for rev, body in leaves:
        parent = row.tree[rev].parent
        before = store.body(doc_id, parent) if parent else None
        steps, after = (before or {}).get("history") or [], body.get("history") or []
        if before and after[: len(steps)] != steps:
            leaves.append((parent, before))
            rewritten = True
    return leaves, rewritten


def settle(store: DocumentStore, doc_id: str) -> dict[str, Any] | None:
    """Merge concurrent moves, then bring stock and notifications in line with the
    result. Returns the order as it now stands."""
    with write_transaction(store.db):
        leaves, rewritten = _branches(store, doc_id)
        if not leaves or leaves[0][1].get("type") != "order":
            return None
        row = store.row(doc_id)
        live = [r for r in revtree.leaves(row.tree) if not row.tree[r].deleted]
        merged = None
        if len(live) > 1 or rewritten:
            try:
                merged = order_rules.merge_order([body for _, body in leaves])
            except Unresolvable as exc:
                # Only replication brings such branches in (writes here are refused);
                # the replicator lists them for the coordinator. The winner stands.
                log.warning("order %s left in conflict: %s", doc_id, exc)
        if merged is not None:
            current = store.body(doc_id, row.winner)
            edits = []
            if merged != current:
                edits.append({**merged, "_id": doc_id, "_rev": row.winner})
            # As CouchDB's docs resolve a conflict: the result on the winner, the other
            # leaves deleted. Revision ids come from parent and body, so two servers
            # settling the same conflict write the same revisions.
            edits += [{"_id": doc_id, "_rev": r, "_deleted": True} for r in live if r != row.winner]
            for result in store.bulk_docs(edits, new_edits=True, check=None):
                if "error" in result:
                    log.warning("settling %s: %s", doc_id, result["reason"])
        order = store.winner_body(doc_id)
        if order is None:
            return None
        order = {**order, "_id": doc_id}
        if order["status"] in order_states.HOLDS_STOCK:
            stock.reserve(store, order, strict=False)
        elif order["status"] in ("cancelled", "declined"):
            stock.release(store, order)
        notify(store.db, order)
    return order


def notify(db: sqlite_utils.Database, order: dict[str, Any]) -> None:
    """Queue the notification of the order's current status for the party who did not
    make the last move (once per order and status, whatever path we came by)."""
    last = order["history"][-1]
    data = {
        "order_id": order["_id"],
        "product_id": order["product_id"],
        "status": order["status"],
        "product_title": order.get("product_title") or {},
        "quantity": order.get("quantity"),
    }
    common = {"dedup_key": f"{order['_id']}:{order['status']}", "collapse_key": order["_id"]}
    if order["status"] == "placed":
        # High priority wakes the artisan's phone: a buyer is waiting for an answer.
        outbox.enqueue(
            db, user_id=order["artisan"], kind="order_placed", data=data, priority="high", **common
        )
        return
    if order.get("bulk_order") is not None:
        # A part of a bulk order: between the artisan and her cooperative's coordinators.
        mine = last.get("role") == "artisan"
        people = coordinators_of(db, order.get("cooperative")) if mine else [order["artisan"]]
        for person in people:
            outbox.enqueue(
                db,
                user_id=person,
                kind="order_moved",
                data=data,
                dedup_key=f"{order['_id']}:{order['status']}:{person}",
                collapse_key=order["_id"],
            )
        return
    to = order["artisan"] if last.get("role") == "buyer" else order["buyer"]
    outbox.enqueue(db, user_id=to, kind="order_moved", data=data, **common)

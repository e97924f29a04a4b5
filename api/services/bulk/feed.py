"""What follows a bulk order's documents, however they arrived (REST, /sync, the compact
protocol, the hub): concurrent edits merged, what shipped pieces earned their artisans
written, parts moved on when their pieces ship and arrive, and each person concerned told.

Like api/services/order_feed.py it reads the changes feed from its own checkpoint
(``bulk_feed``) and advances it in the same transaction as its effects, after every
write request and before every dispatcher pass. A crash repeats the work instead of
losing it: an earned entry has one id per shipment and part and the same body on every
server, a part moves only forward, and a push has its dedup key.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from schemas.bulk_orders import BULK_DOCUMENT_SCHEMAS
from sync.rules import resolution
from sync.rules.bulk_totals import earned_entry
from sync.store import revtree
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from .. import outbox
from ..directory import coordinators_of
from . import members

log = logging.getLogger("hirfa.bulk")

BATCH = 500
# Past this many changes with no bulk document among them, move the checkpoint anyway,
# so the look after each write request stays short (as api/services/order_feed.py).
SKIP_AHEAD = 1000
FOLLOWED = ("bulk:%", "check:%", "shipment:%", "earning:%")
_SCHEMAS = {kind: schema() for kind, schema in BULK_DOCUMENT_SCHEMAS.items()}


def _checkpoint(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT value FROM bulk_feed WHERE key = 'seq'").fetchone()[0]


def _changed(db: sqlite_utils.Database, since: int) -> list[tuple[str, int]]:
    return db.execute(
        "SELECT id, seq FROM docs WHERE seq > ? AND deleted = 0 AND (id LIKE ? OR id LIKE ? "
        "OR id LIKE ? OR id LIKE ?) ORDER BY seq LIMIT ?",
        [since, *FOLLOWED, BATCH],
    ).fetchall()


def process(store: DocumentStore) -> int:
    """Follow the bulk documents changed since the checkpoint; returns how many."""
    db = store.db
    if not _changed(db, _checkpoint(db)):  # the common case, without the write lock
        if store.update_seq() - _checkpoint(db) > SKIP_AHEAD:
            with write_transaction(db):
                db.execute("UPDATE bulk_feed SET value = ? WHERE key = 'seq'", [store.update_seq()])
        return 0
    followed = 0
    with write_transaction(db):
        # Until nothing is left: what the feed writes itself (an earned entry) is
        # followed in the same pass, so its artisan is told with the shipment.
        while rows := _changed(db, _checkpoint(db)):
            for doc_id, _ in rows:
                row = store.row(doc_id)
                if row is not None and revtree.conflicts(row.tree):
                    resolution.resolve(store, [doc_id])
                body = store.winner_body(doc_id)
                if body is not None:
                    follow(store, {**body, "_id": doc_id})
            db.execute("UPDATE bulk_feed SET value = ? WHERE key = 'seq'", [rows[-1][1]])
            followed += len(rows)
    return followed


def follow(store: DocumentStore, doc: dict[str, Any]) -> None:
    kind = doc.get("type")
    if not _valid(doc):
        return
    if kind == "bulk_order":
        _tell_bulk_move(store.db, doc)
        # Shipments that arrived before their bulk order (from the hub) are settled now.
        for shipment in members.members(store, doc["_id"]).shipments:
            if _valid(shipment):
                settle_shipment(store, shipment, doc)
        return
    bulk = store.winner_body(doc.get("bulk_order") or "")
    title = (bulk or {}).get("title") or {}
    if kind == "shipment":
        if bulk is not None and bulk.get("type") == "bulk_order":
            settle_shipment(store, doc, {**bulk, "_id": doc["bulk_order"]})
        _tell_shipment(store.db, {**doc, "title": title})
    elif kind == "piece_check":
        _tell(store.db, doc.get("artisan"), "pieces_checked", {**doc, "title": title}, doc["_id"])
    elif kind == "earning":
        entry = {**doc, "title": title}
        _tell(store.db, doc.get("artisan"), "earning_recorded", entry, doc["_id"])


def _valid(doc: dict[str, Any]) -> bool:
    """Whether a document is what its schema says. Only the hub brings one no rule
    checked: it is left as it is, for a person, rather than stop the feed."""
    kind = doc.get("type")
    schema = _SCHEMAS.get(kind) if isinstance(kind, str) else None
    if schema is None or schema.validate({k: v for k, v in doc.items() if k[0] != "_"}):
        log.warning("bulk feed: %s is not a valid bulk document; left alone", doc.get("_id"))
        return False
    return True


def settle_shipment(store: DocumentStore, shipment: dict[str, Any], bulk: dict[str, Any]) -> None:
    """What the shipment's pieces earned each artisan, written once; and each part whose
    passed pieces have all shipped (or arrived) moved on."""
    share = bulk.get("artisan_share_centimes")
    if not isinstance(share, int) or isinstance(share, bool):
        return  # accepted elsewhere and not yet here: settled when the acceptance arrives
    for line in shipment.get("pieces") or []:
        doc_id, body = earned_entry(shipment, line, share)
        if store.row(doc_id) is None:
            store.put({"_id": doc_id, **body}, check=None)  # the server's own, from the rules
    found, totals = members.totals(store, bulk)
    shipped_parts = {line.get("part") for line in shipment.get("pieces") or []}
    for part in found.parts:
        if part["_id"] in shipped_parts:
            _move_part(store, part, totals["per_part"].get(part["_id"]) or {}, shipment)


# A part moves on when none of its pieces is left to make or to check.
_ON_THE_WAY = ("accepted", "in_production", "ready")


def _move_part(
    store: DocumentStore, part: dict[str, Any], pieces: dict[str, Any], shipment: dict[str, Any]
) -> None:
    unfinished = sum(pieces.get(n, 0) for n in ("awaiting_answer", "in_production", "ready"))
    if unfinished or pieces.get("checked") or not pieces.get("assigned"):
        return
    steps: list[str] = []
    if part["status"] in _ON_THE_WAY:
        steps = ([] if part["status"] == "ready" else ["ready"]) + ["shipped"]
    arrived = pieces.get("delivered") == pieces.get("assigned")
    if arrived and (steps or part["status"] == "shipped"):
        steps.append("delivered")
    if not steps:
        return
    history = list(part["history"])
    for status in steps:
        delivered = status == "delivered"
        by = shipment.get("delivered_by") if delivered else shipment.get("by")
        at = shipment.get("delivered_at") if delivered else shipment.get("shipped_at")
        history.append({"status": status, "by": str(by), "role": _role(store.db, by), "at": at})
    body = {k: v for k, v in part.items() if not k.startswith("_")}
    body.update(history=history, status=steps[-1], updated_at=history[-1]["at"])
    store.put({**body, "_id": part["_id"], "_rev": part["_rev"]}, check=None)


def _role(db: sqlite_utils.Database, user_id: Any) -> str:
    row = db.execute("SELECT role FROM users WHERE id = ?", [user_id]).fetchone()
    return row[0] if row else "coordinator"


def _tell_bulk_move(db: sqlite_utils.Database, bulk: dict[str, Any]) -> None:
    status = bulk.get("status")
    last = (bulk.get("history") or [{}])[-1]
    if status == "requested" or (status == "cancelled" and last.get("role") == "buyer"):
        people = coordinators_of(db, bulk.get("cooperative"))
    else:
        people = [bulk.get("buyer")]
    kind = "bulk_requested" if status == "requested" else "bulk_moved"
    for person in people:
        _tell(db, person, kind, bulk, f"{bulk['_id']}:{status}")


def _tell_shipment(db: sqlite_utils.Database, shipment: dict[str, Any]) -> None:
    status = shipment.get("status")
    people = [shipment.get("buyer")] if status == "shipped" else []
    if status == "delivered":
        people = coordinators_of(db, shipment.get("cooperative"))
        people += sorted({line.get("artisan") for line in shipment.get("pieces") or []})
    for person in people:
        _tell(db, person, "bulk_shipped", shipment, f"{shipment['_id']}:{status}")


def _tell(db: sqlite_utils.Database, user_id: Any, kind: str, doc: dict[str, Any], event: str):
    if not isinstance(user_id, str):
        return
    data = {
        "bulk_order_id": doc.get("bulk_order") or doc["_id"],
        "doc_id": doc["_id"],
        "status": doc.get("status"),
        "product_title": doc.get("title") or {},
        "quantity": doc.get("quantity"),
        "count": _pieces(doc.get("pieces")),
        "passed": doc.get("passed"),
        "refused": doc.get("refused"),
        "reason_code": doc.get("reason"),
        "entry_kind": doc.get("kind"),
        "amount_centimes": doc.get("amount_centimes"),
        "tracking": doc.get("tracking"),
        "method": doc.get("method"),
        "reference": doc.get("reference"),
        "note": doc.get("note") if doc.get("type") == "earning" else None,
        "due": doc.get("due"),
    }
    data = {k: v for k, v in data.items() if v not in (None, "", {})}
    outbox.enqueue(db, user_id=user_id, kind=kind, data=data, dedup_key=f"{kind}:{event}:{user_id}")


def _pieces(pieces: Any) -> int | None:
    """How many pieces: an earned entry says it, a shipment lists them per part."""
    if isinstance(pieces, int):
        return pieces
    lines = pieces if isinstance(pieces, list) else []
    return sum(line.get("count", 0) for line in lines if isinstance(line, dict)) or None

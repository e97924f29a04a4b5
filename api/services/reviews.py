"""The coordinator's review: a review document per product, written only by the
coordinators of its cooperative (one writer, so it never conflicts with the artisan's
edits), a decision that moves the product's status, and a notification to the artisan
written in the same transaction."""

from __future__ import annotations

import json
from typing import Any

from schemas.documents import REASON_CODES
from sync.rules.access import make_check
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound, StoreError

from ..errors import BadRequest, Conflict, Forbidden, NotFound
from . import list_index, outbox
from .accounts import User
from .directory import artisan_cooperative
from .products import now_iso

DECISIONS = {"approve": "approved", "request_changes": "changes_requested", "reject": "rejected"}


class ProductChanged(Conflict):
    """The product has a newer revision than the one the coordinator decided on."""

    code = "product_changed"
    message = "The product changed since you opened it: look at it again, then decide."


# The queue's order is the store sequence at which each product entered `submitted`, kept
# by the server: a phone's `updated_at` is the phone's clock (or a forgery: "0000"), and
# the winner's seq moves with every edit. ``_follow`` reads the changes feed from a
# checkpoint, like the catalogue index: a product seen submitted gets the seq it was first
# seen at and keeps it through edits while submitted; seen in any other state, it is
# forgotten, so the next submission queues at the back (tables: api/schema_steps.py,
# review_queue).


def _follow(db) -> None:
    """Bring ``review_submissions`` up to date with the store."""
    while True:
        since = db.execute("SELECT value FROM review_feed WHERE key = 'seq'").fetchone()[0]
        rows = db.execute(
            "SELECT d.id, d.seq, d.deleted, json_extract(r.body, '$.type'), "
            "json_extract(r.body, '$.status'), json_extract(r.body, '$.cooperative'), "
            "json_extract(r.body, '$.category') FROM docs d "
            "LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
            "WHERE d.seq > ? ORDER BY d.seq LIMIT 500",
            [since],
        ).fetchall()
        if not rows:
            return
        with write_transaction(db):
            if db.execute("SELECT value FROM review_feed WHERE key = 'seq'").fetchone()[0] != since:
                continue  # another request followed them
            for doc_id, seq, deleted, kind, status, coop, category in rows:
                if not deleted and kind == "product" and status == "submitted":
                    # Queued at the first sight; an edit while queued keeps the place.
                    db.execute(
                        "INSERT INTO review_submissions (product_id, seq, cooperative, "
                        "category) VALUES (?, ?, ?, ?) ON CONFLICT (product_id) DO UPDATE "
                        "SET cooperative = excluded.cooperative, category = excluded.category",
                        [doc_id, seq, coop, category],
                    )
                else:
                    db.execute("DELETE FROM review_submissions WHERE product_id = ?", [doc_id])
            db.execute("UPDATE review_feed SET value = ? WHERE key = 'seq'", [rows[-1][1]])


def review_id(product_id: str) -> str:
    return f"review:{product_id}"


def _coordinated(user: User, cooperative: str | None) -> None:
    if user.role == "admin":
        return
    if user.role != "coordinator" or cooperative not in user.cooperative_ids:
        raise Forbidden("Only a coordinator of this product's cooperative can review it.")


def queue(store: DocumentStore, user: User, filters: dict[str, Any]) -> dict[str, Any]:
    """Submitted products of the coordinator's cooperatives, waiting longest first.

    Read from indexes: the page from ``review_submissions`` (per cooperative and
    category, in queue order), the counts from the list index's (api/services/list_index.py)."""
    _follow(store.db)
    coops = list(user.cooperative_ids) if user.role == "coordinator" else None
    if filters.get("cooperative"):
        if coops is not None and filters["cooperative"] not in coops:
            raise Forbidden("You can only review your own cooperatives.")
        coops = [filters["cooperative"]]
    with list_index.reading(store):
        # A product is in its cooperative's channel (sync/rules/access.py, channels_for).
        channels = [list_index.EVERYONE] if coops is None else [f"coop:{c}" for c in coops]
        counts = list_index.counts(store.db, channels, "product")
        ids = _queued(
            store.db,
            coops,
            filters.get("category"),
            filters.get("limit", 50),
            filters.get("offset", 0),
        )
        found = {
            row[0]: row[1:]
            for row in store.db.execute(
                "SELECT d.id, d.winner, r.body FROM docs d "
                "JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
                f"WHERE d.deleted = 0 AND d.id IN ({','.join('?' * len(ids)) or 'NULL'})",
                ids,
            )
        }
    items = []
    for doc_id in ids:
        if doc_id not in found:
            continue
        rev, body = found[doc_id]
        doc = json.loads(body)
        # What the queue's order says, checked on the product itself.
        queued = doc.get("type") == "product" and doc.get("status") == "submitted"
        queued = queued and (coops is None or doc.get("cooperative") in coops)
        if queued and filters.get("category") in (None, doc.get("category")):
            items.append({**doc, "id": doc_id, "rev": rev})
    return {"items": items, "counts": counts}


def _queued(
    db, coops: list[str] | None, category: str | None, limit: int, offset: int
) -> list[str]:
    """One page of the queue's product ids, oldest submission first: one index range per
    cooperative, merged in order by SQLite (MERGE (UNION ALL))."""
    parts, params = [], []
    for coop in [None] if coops is None else coops:
        where = [name for name, value in (("cooperative", coop), ("category", category)) if value]
        parts.append(
            "SELECT product_id, seq FROM review_submissions"
            + "".join(f" {'AND' if i else 'WHERE'} {name} = ?" for i, name in enumerate(where))
        )
        params += [value for value in (coop, category) if value]
    if not parts:
        return []
    rows = db.execute(
        " UNION ALL ".join(parts) + " ORDER BY seq LIMIT ? OFFSET ?", [*params, limit, offset]
    ).fetchall()
    return [row[0] for row in rows]


def get_review(store: DocumentStore, user: User, product_id: str) -> dict[str, Any]:
    try:
        product = store.get_doc(product_id)
    except DocumentNotFound as exc:
        raise NotFound("No such product.", details={"id": product_id}) from exc
    if not (user.role == "artisan" and product.get("owner") == user.id):
        _coordinated(user, product.get("cooperative"))
    try:
        return store.get_doc(review_id(product_id))
    except DocumentNotFound as exc:
        raise NotFound("This product has not been reviewed yet.") from exc


def decide(
    store: DocumentStore,
    user: User,
    product_id: str,
    decision: str,
    reason_codes: list[str] | None = None,
    comment: str | None = None,
    product_rev: str | None = None,
) -> dict[str, Any]:
    """Record a decision and move the product; 409 unless the product is submitted (and,
    when ``product_rev`` is given, still at the revision the coordinator looked at)."""
    if decision not in DECISIONS:
        raise BadRequest(f"Unknown decision {decision!r}.", details={"allowed": list(DECISIONS)})
    reason_codes = list(dict.fromkeys(reason_codes or []))
    unknown = [code for code in reason_codes if code not in REASON_CODES]
    if unknown:
        raise BadRequest(
            f"Unknown reason codes: {', '.join(unknown)}.", details={"allowed": list(REASON_CODES)}
        )
    if decision == "request_changes" and not reason_codes:
        raise BadRequest(
            "Say what to change: give at least one reason code.",
            details={"fields": {"reason_codes": ["Required to request changes."]}},
        )
    if "other" in reason_codes and not (comment or "").strip():
        raise BadRequest(
            "Say what the other reason is: write a comment.",
            details={"fields": {"comment": ["Required when the reason is `other`."]}},
        )
    with write_transaction(store.db):
        try:
            product = store.get_doc(product_id)
        except DocumentNotFound as exc:
            raise NotFound("No such product.", details={"id": product_id}) from exc
        if product.get("type") != "product":
            raise NotFound("No such product.", details={"id": product_id})
        _coordinated(user, product.get("cooperative"))
        if product.get("status") != "submitted":
            raise Conflict(
                f"Only a submitted product can be decided on; this one is {product.get('status')}.",
                details={"status": product.get("status"), "rev": product["_rev"]},
            )
        if product_rev and product_rev != product["_rev"]:
            raise ProductChanged(details={"rev": product["_rev"], "product_rev": product_rev})
        at = now_iso()
        entry = {
            "decision": decision,
            "by": user.id,
            "at": at,
            "reason_codes": reason_codes,
            "comment": comment or "",
            "product_rev": product["_rev"],
        }
        review = _write_review(store, user, product, entry)
        product["status"] = DECISIONS[decision]
        product["updated_at"] = at
        store.put(product)  # the server's own move of the status: no client rule applies
        # Decided: a later resubmission queues at the back, even if the follower only
        # sees it submitted again.
        store.db.execute("DELETE FROM review_submissions WHERE product_id = ?", [product_id])
        _notify(store, product, entry)
    return review


def _write_review(store: DocumentStore, user: User, product: dict, entry: dict) -> dict:
    rid = review_id(product["_id"])
    try:
        review = store.get_doc(rid)
        if review.get("type") != "review" or review.get("product_id") != product["_id"]:
            raise Conflict("Another document holds this product's review id.", details={"id": rid})
    except DocumentNotFound:
        review = {
            "_id": rid,
            "type": "review",
            "product_id": product["_id"],
            "artisan": product["owner"],
            "cooperative": product["cooperative"],
            "history": [],
        }
    review.update(
        {
            "decision": entry["decision"],
            "reason_codes": entry["reason_codes"],
            "comment": entry["comment"],
            "decided_by": entry["by"],
            "decided_at": entry["at"],
        }
    )
    review["history"] = [*review.get("history", []), entry]
    check = (
        None
        if user.role == "admin"
        else make_check(user, lambda a: artisan_cooperative(store.db, a), reviews=True)
    )
    store.put(review, check=check)
    return store.get_doc(rid)


def _notify(store: DocumentStore, product: dict, entry: dict) -> None:
    """The artisan's notification, in the same transaction as the decision."""
    outbox.enqueue(
        store.db,
        user_id=product["owner"],
        kind="review_decided",
        data={
            "product_id": product["_id"],
            "decision": entry["decision"],
            "reason_codes": entry["reason_codes"],
        },
        dedup_key=f"review:{product['_id']}:{entry['product_rev']}",
        collapse_key=f"review:{product['_id']}",
    )


def decide_many(store: DocumentStore, user: User, decisions: list[dict]) -> list[dict]:
    """Several decisions at once; each stands or falls on its own."""
    results = []
    for item in decisions:
        try:
            review = decide(
                store,
                user,
                item["product_id"],
                item["decision"],
                item.get("reason_codes"),
                item.get("comment"),
                item.get("product_rev"),
            )
            results.append(
                {"product_id": item["product_id"], "ok": True, "review_rev": review["_rev"]}
            )
        except (BadRequest, Conflict, Forbidden, NotFound) as exc:
            results.append(_failed(item, exc.code, exc.message))
        except StoreError as exc:  # e.g. the store's check refused the write: this item only
            results.append(_failed(item, exc.error, exc.reason))
    return results


def _failed(item: dict, code: str, message: str) -> dict:
    return {
        "product_id": item["product_id"],
        "ok": False,
        "error": {"code": code, "message": message},
    }

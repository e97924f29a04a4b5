"""The coordinator's review: a review document per product, written only by the
coordinators of its cooperative (one writer, so it never conflicts with the artisan's
edits), a decision that moves the product's status, and a notification to the artisan
written in the same transaction."""

from __future__ import annotations

import json
from typing import Any

from schemas.documents import REASON_CODES
from sync.access import make_check
from sync.database import write_transaction
from sync.errors import NotFound as StoreNotFound
from sync.store import DocumentStore

from ..errors import BadRequest, Conflict, Forbidden, NotFound
from .accounts import User
from .directory import artisan_cooperative
from .products import now_iso

DECISIONS = {"approve": "approved", "request_changes": "changes_requested", "reject": "rejected"}


def review_id(product_id: str) -> str:
    return f"review:{product_id}"


def _coordinated(user: User, cooperative: str | None) -> None:
    if user.role == "admin":
        return
    if user.role != "coordinator" or cooperative not in user.cooperative_ids:
        raise Forbidden("Only a coordinator of this product's cooperative can review it.")


def queue(store: DocumentStore, user: User, filters: dict[str, Any]) -> dict[str, Any]:
    """Submitted products of the coordinator's cooperatives, waiting longest first."""
    coops = list(user.cooperative_ids) if user.role == "coordinator" else None
    if filters.get("cooperative"):
        if coops is not None and filters["cooperative"] not in coops:
            raise Forbidden("You can only review your own cooperatives.")
        coops = [filters["cooperative"]]
    where = ["d.deleted = 0", "json_extract(r.body, '$.type') = 'product'"]
    params: list[Any] = []
    if coops is not None:
        where.append(f"json_extract(r.body, '$.cooperative') IN ({','.join('?' * len(coops))})")
        params += coops
    base = " FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner WHERE " + " AND ".join(
        where
    )
    counts = {
        row[0]: row[1]
        for row in store.db.execute(
            "SELECT json_extract(r.body, '$.status'), count(*)"
            + base
            + " GROUP BY json_extract(r.body, '$.status')",
            params,
        )
    }
    where_submitted = " AND json_extract(r.body, '$.status') = 'submitted'"
    extra, extra_params = "", []
    if filters.get("category"):
        extra, extra_params = " AND json_extract(r.body, '$.category') = ?", [filters["category"]]
    rows = store.db.execute(
        "SELECT d.id, r.body"
        + base
        + where_submitted
        + extra
        + " ORDER BY json_extract(r.body, '$.updated_at'), d.seq LIMIT ? OFFSET ?",
        [*params, *extra_params, filters.get("limit", 50), filters.get("offset", 0)],
    ).fetchall()
    items = [{"id": doc_id, **json.loads(body)} for doc_id, body in rows]
    return {"items": items, "counts": counts}


def get_review(store: DocumentStore, user: User, product_id: str) -> dict[str, Any]:
    try:
        product = store.get_doc(product_id)
    except StoreNotFound as exc:
        raise NotFound("No such product.", details={"id": product_id}) from exc
    if not (user.role == "artisan" and product.get("owner") == user.id):
        _coordinated(user, product.get("cooperative"))
    try:
        return store.get_doc(review_id(product_id))
    except StoreNotFound as exc:
        raise NotFound("This product has not been reviewed yet.") from exc


def decide(
    store: DocumentStore,
    user: User,
    product_id: str,
    decision: str,
    reason_codes: list[str] | None = None,
    comment: str | None = None,
) -> dict[str, Any]:
    """Record a decision and move the product; 409 unless the product is submitted."""
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
    with write_transaction(store.db):
        try:
            product = store.get_doc(product_id)
        except StoreNotFound as exc:
            raise NotFound("No such product.", details={"id": product_id}) from exc
        if product.get("type") != "product":
            raise NotFound("No such product.", details={"id": product_id})
        _coordinated(user, product.get("cooperative"))
        if product.get("status") != "submitted":
            raise Conflict(
                f"Only a submitted product can be decided on; this one is {product.get('status')}.",
                details={"status": product.get("status"), "rev": product["_rev"]},
            )
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
        _notify(store, product, entry)
    return review


def _write_review(store: DocumentStore, user: User, product: dict, entry: dict) -> dict:
    rid = review_id(product["_id"])
    try:
        review = store.get_doc(rid)
        if review.get("type") != "review" or review.get("product_id") != product["_id"]:
            raise Conflict("Another document holds this product's review id.", details={"id": rid})
    except StoreNotFound:
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
        else make_check(user, lambda a: artisan_cooperative(store.db, a))
    )
    store.put(review, check=check)
    return store.get_doc(rid)


def _notify(store: DocumentStore, product: dict, entry: dict) -> None:
    """The artisan's notification, in the same transaction as the decision."""
    try:
        from . import outbox
    except ImportError:  # the push outbox is not installed in this build
        return
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
            )
            results.append(
                {"product_id": item["product_id"], "ok": True, "review_rev": review["_rev"]}
            )
        except (BadRequest, Conflict, Forbidden, NotFound) as exc:
            results.append(
                {
                    "product_id": item["product_id"],
                    "ok": False,
                    "error": {"code": exc.code, "message": exc.message},
                }
            )
    return results

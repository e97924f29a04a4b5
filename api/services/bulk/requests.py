"""A bulk order itself: requested by a buyer over REST (the server copies the piece's
title and checks the cooperative), answered by the cooperative, withdrawn or cancelled;
read with its totals, by the buyer and by the cooperative's coordinators.

Its own status moves as the bulk order machine says (sync/rules/bulk_orders.py), by
REST or offline by sync; how far its pieces have gone (in production, partly shipped,
delivered) is computed from its parts and shipments, never written.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from schemas.bulk_orders import BULK_PREFIX
from sync.rules import bulk_orders as rules
from sync.rules.access import user_channels
from sync.rules.bulk_totals import stage
from sync.rules.orders import SELLER
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict

from ...errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from .. import list_index, order_states
from ..accounts import User
from ..ledger.materials import check_for
from ..products import now_iso
from ..visible_docs import visible_doc
from . import members as bulk_members


class InvalidBulkMove(Conflict):
    code = "invalid_transition"
    message = "The bulk order cannot make this move from its current status."


class AlreadyShipped(Conflict):
    code = "already_shipped"
    message = "Pieces of this bulk order have shipped: it can no longer be cancelled."


def create(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """A buyer asks a cooperative for ``quantity`` pieces of an approved product, or of a
    piece she describes, by ``due``, at ``unit_price_centimes`` each."""
    if user.role not in ("buyer", "admin"):
        raise Forbidden("Bulk orders are requested by buyers.")
    if date.fromisoformat(data["due"]) < datetime.now(UTC).date():
        raise ValidationFailed(details={"fields": {"due": ["The due date is already past."]}})
    product_id = data.get("product_id")
    if product_id:
        product = store.winner_body(product_id)
        if not product or product.get("type") != "product" or product.get("status") != "approved":
            raise NotFound("No such product in the catalogue.", details={"product_id": product_id})
        cooperative, title = product["cooperative"], product.get("title") or {}
    else:
        cooperative, title = data["cooperative"], data["piece"]
        exists = store.db.execute("SELECT 1 FROM cooperatives WHERE id = ?", [cooperative])
        if exists.fetchone() is None:
            raise NotFound("No such cooperative.", details={"cooperative": cooperative})
    stamp = now_iso()
    bulk_id = f"{BULK_PREFIX}{secrets.token_hex(8)}"
    doc = {
        "_id": bulk_id,
        "type": "bulk_order",
        "buyer": user.id,
        "cooperative": cooperative,
        "product_id": product_id,
        "title": title,
        "quantity": data["quantity"],
        "unit_price_centimes": data["unit_price_centimes"],
        "artisan_share_centimes": None,
        "currency": "MAD",
        "due": data["due"],
        "delivery": data["delivery"],
        "message": data.get("message") or "",
        "status": "requested",
        "history": [order_states.step(user, "requested", stamp)],
        "created_at": stamp,
        "updated_at": stamp,
    }
    with write_transaction(store.db):
        store.put(doc, check=None)  # the server's own, after its checks: like an order
    return get(store, user, bulk_id)


def bulk_doc(store: DocumentStore, user: User, bulk_id: str) -> dict[str, Any]:
    return visible_doc(store, user, bulk_id, "bulk_order", "bulk order")


def get(store: DocumentStore, user: User, bulk_id: str) -> dict[str, Any]:
    bulk = bulk_doc(store, user, bulk_id)
    found, totals = bulk_members.totals(store, bulk)
    return render(user, bulk, found, totals)


def allowed_moves(user: User, bulk: dict[str, Any]) -> list[str]:
    sides = rules.bulk_sides(user, bulk)
    return [
        to
        for (frm, to), who in rules.BULK_TRANSITIONS.items()
        if frm == bulk["status"] and who & sides
    ]


def move(
    store: DocumentStore,
    user: User,
    bulk_id: str,
    to: str,
    if_match: str | None,
    share: int | None = None,
    margin_percent: int | None = None,
) -> dict[str, Any]:
    """Accept (setting the artisan's share per piece, or the cooperative's margin),
    decline, or cancel. Cancelling also cancels the parts no artisan has answered yet."""
    with write_transaction(store.db):
        bulk = bulk_doc(store, user, bulk_id)
        rev = (if_match or "").strip().removeprefix("W/").strip('"') or bulk["_rev"]
        if rev != bulk["_rev"]:
            raise PreconditionFailed(details={"current": get(store, user, bulk_id)})
        if to not in allowed_moves(user, bulk):
            if (bulk["status"], to) not in rules.BULK_TRANSITIONS:
                raise InvalidBulkMove(
                    details={"status": bulk["status"], "allowed": allowed_moves(user, bulk)}
                )
            raise Forbidden(f"Moving this bulk order to {to!r} is not yours to do.")
        body = {k: v for k, v in bulk.items() if not k.startswith("_")}
        if to == "accepted":
            body["artisan_share_centimes"] = _share(bulk, share, margin_percent)
        found, totals = bulk_members.totals(store, bulk)
        if to == "cancelled" and (totals["figures"]["shipped"] or totals["figures"]["delivered"]):
            raise AlreadyShipped()
        stamp = now_iso()
        body["history"] = [*body["history"], order_states.step(user, to, stamp)]
        body["status"], body["updated_at"] = to, stamp
        try:
            store.put({**body, "_id": bulk_id, "_rev": bulk["_rev"]}, check=check_for(store, user))
        except RevisionConflict as exc:
            raise PreconditionFailed(details={"current": get(store, user, bulk_id)}) from exc
        if to == "cancelled":
            for part in found.parts:
                if part["status"] == "placed":
                    _cancel_part(store, user, part, stamp)
    return get(store, user, bulk_id)


def _share(bulk: dict[str, Any], share: int | None, margin_percent: int | None) -> int:
    price = bulk["unit_price_centimes"]
    if share is None and margin_percent is None:
        raise ValidationFailed(
            "Say what each artisan is paid per piece: artisan_share_centimes, or "
            "margin_percent for the cooperative.",
            details={"fields": {"artisan_share_centimes": ["Required to accept."]}},
        )
    if share is None:
        share = price * (100 - margin_percent) // 100  # type: ignore[operator]
    if share > price:
        raise ValidationFailed(
            details={
                "fields": {
                    "artisan_share_centimes": [
                        f"The share cannot be more than the price per piece ({price})."
                    ]
                }
            }
        )
    return share


def _cancel_part(store: DocumentStore, user: User, part: dict[str, Any], stamp: str) -> None:
    body = {k: v for k, v in part.items() if not k.startswith("_")}
    body["history"] = [*body["history"], order_states.step(user, "cancelled", stamp)]
    body["status"], body["updated_at"] = "cancelled", stamp
    store.put({**body, "_id": part["_id"], "_rev": part["_rev"]}, check=check_for(store, user))


def list_bulk_orders(
    store: DocumentStore, user: User, since: int, limit: int, status: str | None
) -> dict[str, Any]:
    """The caller's bulk orders (a buyer's own, a coordinator's cooperatives') changed
    after ``since``, in change order, each with its totals."""
    items: list[dict] = []
    visible = user_channels(user)
    arms = [list_index.with_status(status) if status else list_index.ALL]
    with list_index.reading(store) as head:
        for entry in list_index.walk(store, visible, "bulk_order", since, arms, limit + 1):
            doc = None if entry.gone else store.render(entry.row, entry.row.winner)
            if doc and doc.get("type") == "bulk_order" and status in (None, doc.get("status")):
                found, totals = bulk_members.totals(store, doc)
                items.append(render(user, doc, found, totals))
                if len(items) >= limit:
                    more = list_index.changed_after(store, visible, entry.seq)
                    return {"items": items, "next": str(entry.seq), "more": more}
        return {"items": items, "next": str(max(since, head)), "more": False}


def render(
    user: User, bulk: dict[str, Any], found: bulk_members.Members, totals: dict[str, Any]
) -> dict[str, Any]:
    """The bulk order as its caller sees it: the buyer, its terms and how far her pieces
    have gone; the cooperative, besides, each part, check and shipment, and what each
    artisan is paid (which the buyer is not shown)."""
    out = {k: v for k, v in bulk.items() if not k.startswith("_")}
    out["id"], out["rev"] = bulk["_id"], bulk["_rev"]
    out["stage"] = stage(bulk, totals["figures"])
    out["totals"] = totals["figures"]
    out["problems"] = totals["problems"]
    out["allowed_moves"] = allowed_moves(user, bulk)
    seller = SELLER in rules.bulk_sides(user, bulk)
    shipments = sorted(found.shipments, key=lambda s: (str(s.get("shipped_at")), s["_id"]))
    if not seller:
        out.pop("artisan_share_centimes", None)
        out["shipments"] = [
            {
                "id": s["_id"],
                "count": sum(line["count"] for line in s.get("pieces") or []),
                "tracking": s.get("tracking") or "",
                "status": s.get("status"),
                "shipped_at": s.get("shipped_at"),
                "delivered_at": s.get("delivered_at"),
            }
            for s in shipments
        ]
        return out
    per_part = totals["per_part"]
    out["parts"] = [
        {
            "id": p["_id"],
            "rev": p["_rev"],
            "artisan": p["artisan"],
            "quantity": p["quantity"],
            "status": p["status"],
            "created_at": p.get("created_at"),
            "pieces": per_part.get(p["_id"], {}),
            "allowed_moves": order_states.allowed_moves(user, p),
        }
        for p in sorted(found.parts, key=lambda p: (str(p.get("created_at")), p["_id"]))
    ]
    out["checks"] = [
        {k: v for k, v in c.items() if not k.startswith("_")} | {"id": c["_id"]}
        for c in sorted(found.checks, key=lambda c: (str(c.get("at")), c["_id"]))
    ]
    out["shipments"] = [
        {k: v for k, v in s.items() if not k.startswith("_")}
        | {"id": s["_id"], "rev": s["_rev"], "count": sum(n["count"] for n in s["pieces"])}
        for s in shipments
    ]
    return out

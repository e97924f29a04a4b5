"""Orders: placed by a buyer over REST (priced here, never by the client), then moved
through the state machine by the buyer and the seller, over REST or offline by sync.

An order is a document in the store, in the channels of the buyer, the artisan and her
cooperative, so the artisan has it on her phone with no signal. Its fields are fixed at
placement; only ``status``/``history`` move (sync/rules/orders.py).
"""

from __future__ import annotations

import secrets
from typing import Any

from sync.rules import orders as order_rules
from sync.rules.access import make_check, user_channels
from sync.store import revtree
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound, RevisionConflict

from ..errors import AppError, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from . import list_index, order_feed, order_states, stock
from .accounts import User
from .directory import artisan_cooperative
from .products import now_iso


class InvalidTransition(AppError):
    """The order is not in a state this move can start from."""

    status = 409
    code = "invalid_transition"
    message = "The order cannot make this move from its current status."


class NotOrderable(AppError):
    """The product exists but cannot be ordered (not approved, no price, no stock)."""

    status = 409
    code = "not_orderable"
    message = "This product cannot be ordered now."


def price(product: dict[str, Any], chosen: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    """Unit price in centimes and the options as chosen, from the product alone."""
    base = product.get("price_centimes")
    if not isinstance(base, int):
        raise NotOrderable("This piece has no price yet: ask the cooperative.")
    options, errors = [], {}
    offered = {o["code"]: o for o in product.get("options") or []}
    for code in sorted(set(chosen) - set(offered)):
        errors[code] = ["This product has no such option."]
    for code, option in offered.items():
        choices = {c["code"]: c for c in option["choices"]}
        if code not in chosen:
            errors[code] = [f"Choose one of: {', '.join(choices)}."]
        elif chosen[code] not in choices:
            errors[code] = [f"Unknown choice; choose one of: {', '.join(choices)}."]
        else:
            delta = int(choices[chosen[code]].get("price_delta_centimes", 0))
            options.append({"code": code, "choice": chosen[code], "price_delta_centimes": delta})
    if errors:
        raise ValidationFailed(details={"fields": {"options": errors}})
    unit = base + sum(o["price_delta_centimes"] for o in options)
    if unit < 0:
        raise NotOrderable("The chosen options give a negative price.")
    return unit, options


def create(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    product = store.winner_body(data["product_id"])
    if not product or product.get("type") != "product":
        raise NotFound("No such product.", details={"product_id": data["product_id"]})
    if product.get("status") != "approved":
        raise NotOrderable("Only approved products can be ordered.")
    unit, options = price(product, data.get("options") or {})
    quantity = data["quantity"]
    mode = (product.get("stock") or {}).get("mode")
    if mode == "in_stock" and (product["stock"].get("quantity") or 0) < quantity:
        raise NotOrderable(
            "Not enough pieces in stock.",
            details={"available": product["stock"].get("quantity") or 0},
        )
    stamp = now_iso()
    order_id = f"order:{secrets.token_hex(8)}"
    doc = {
        "_id": order_id,
        "type": "order",
        "buyer": user.id,
        "artisan": product["owner"],
        "cooperative": product["cooperative"],
        "product_id": data["product_id"],
        "product_rev": store.row(data["product_id"]).winner,
        "product_title": product.get("title") or {},
        "stock_mode": mode,
        "quantity": quantity,
        "options": options,
        "unit_price_centimes": unit,
        "total_centimes": unit * quantity,
        "currency": "MAD",
        "delivery": data["delivery"],
        "message": data.get("message") or "",
        "status": "placed",
        "history": [order_states.step(user, "placed", stamp)],
        "created_at": stamp,
        "updated_at": stamp,
    }
    with write_transaction(store.db):
        # Written by the server after its own checks: a client cannot create an order
        # through /sync (sync/rules/access.py), since it would price it itself.
        store.put(doc, check=None)
        order_feed.notify(store.db, doc)
    return get(store, user, order_id)


def get(store: DocumentStore, user: User, order_id: str) -> dict[str, Any]:
    try:
        doc = store.get_doc(order_id, visible=user_channels(user))
    except DocumentNotFound as exc:
        raise NotFound("No such order.", details={"id": order_id}) from exc
    if doc.get("type") != "order":
        raise NotFound("No such order.", details={"id": order_id})
    return doc


def move(
    store: DocumentStore, user: User, order_id: str, to: str, if_match: str | None
) -> dict[str, Any]:
    """Move the order to ``to``. Without ``If-Match``, or with the current revision, the
    move is checked against the order as it is now. With an older revision the answer is
    412, as for any stale ``If-Match``, unless the move still stands: it is a move open
    from the current status, or it races the moves made since as a phone offline would
    (a cancellation or a decline against an acceptance, nothing later) and the
    convergence rule decides."""
    current = get(store, user, order_id)
    base_rev = (if_match or "").strip().removeprefix("W/").strip('"') or current["_rev"]
    base = current
    if base_rev != current["_rev"] and to not in order_states.allowed_moves(user, current):
        base = store.body(order_id, base_rev)
        if base is None or not _may_race(user, base, current, to):
            raise PreconditionFailed(details={"current": render(user, current)})
    who = order_rules.TRANSITIONS.get((base["status"], to))
    if who is None:
        raise InvalidTransition(
            details={"status": base["status"], "allowed": order_states.allowed_moves(user, base)}
        )
    if not who & order_rules.sides_of(user, base):
        raise Forbidden(f"Moving an order to {to!r} is for the {' or '.join(sorted(who))}.")
    stamp = now_iso()  # the step's time is the order's updated_at (order_states checks it)
    body = {k: v for k, v in base.items() if not k.startswith("_")}
    body["history"] = [*body["history"], order_states.step(user, to, stamp)]
    body["status"], body["updated_at"] = to, stamp
    check = make_check(user, lambda a: artisan_cooperative(store.db, a))
    with write_transaction(store.db):
        if base is current:
            if to in order_states.HOLDS_STOCK and base["status"] == "placed":
                stock.reserve(store, {**body, "_id": order_id}, strict=True)
            try:
                store.put({**body, "_id": order_id, "_rev": current["_rev"]}, check=check)
            except RevisionConflict as exc:  # moved between our read and our write
                raise PreconditionFailed(
                    details={"current": render(user, get(store, user, order_id))}
                ) from exc
        else:
            _branch(store, order_id, base_rev, body, check)
        order_feed.settle(store, order_id)
    return get(store, user, order_id)


def _may_race(user: User, base: dict, current: dict, to: str) -> bool:
    """Whether ``to``, decided on the older ``base``, may stand beside the moves made since
    (the same rule as for a phone's offline branch); a move to where the order already
    is adds nothing: the 412 shows it done."""
    if to == current["status"] or to not in order_states.allowed_moves(user, base):
        return False
    after = [*(base.get("history") or []), {"status": to}]
    return order_rules.order_fork_refusal(current.get("history") or [], after) is None


def _branch(store: DocumentStore, order_id: str, parent: str, body: dict, check) -> None:
    """Write ``body`` as a child of an older revision: a concurrent branch, exactly what a
    phone pushing an offline move through /sync makes."""
    row = store.row(order_id)
    ancestry = revtree.ancestry(row.tree, parent)
    rev = revtree.new_rev_id(parent, body, False)
    pos = revtree.parse_rev(rev)[0]
    ids = [rev.split("-", 1)[1], *(r.split("-", 1)[1] for r in ancestry)]
    [result] = store.bulk_docs(
        [{**body, "_id": order_id, "_rev": rev, "_revisions": {"start": pos, "ids": ids}}],
        new_edits=False,
        check=check,
    )
    if "error" in result:
        raise result["exception"]


def list_orders(
    store: DocumentStore, user: User, since: int, limit: int, status: str | None
) -> dict[str, Any]:
    """The caller's orders changed after ``since`` (buyer: hers; artisan: hers; a
    coordinator: her cooperatives'), in change order: the changes feed of her channels,
    read from the list index (api/services/list_index.py)."""
    items: list[dict] = []
    visible = user_channels(user)
    arms = [list_index.with_status(status) if status else list_index.ALL]
    with list_index.reading(store) as head:
        for entry in list_index.walk(store, visible, "order", since, arms, limit + 1):
            doc = None if entry.gone else store.render(entry.row, entry.row.winner)
            if doc and doc.get("type") == "order" and status in (None, doc.get("status")):
                items.append(doc)
                if len(items) >= limit:
                    return {
                        "items": [render(user, d) for d in items],
                        "next": str(entry.seq),
                        "more": list_index.changed_after(store, visible, entry.seq),
                    }
        last = max(since, head)
        return {"items": [render(user, d) for d in items], "next": str(last), "more": False}


def render(user: User, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_")}
    out["id"], out["rev"] = doc["_id"], doc["_rev"]
    out["allowed_moves"] = order_states.allowed_moves(user, doc)
    return out

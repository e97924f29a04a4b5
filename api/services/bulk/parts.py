"""Sharing a bulk order out: a coordinator assigns so many pieces to an artisan of her
cooperative, as a part, an ordinary order her artisan answers on her phone
(sync/rules/orders.py). A phone offline writes the same document; over REST the server
also holds the part within what is left to assign, which a phone cannot know."""

from __future__ import annotations

import secrets
from typing import Any

from schemas.bulk_orders import ORDER_PREFIX
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ...errors import Conflict, Forbidden
from .. import order_states
from ..accounts import User
from ..directory import artisan_cooperative
from ..ledger.materials import check_for
from ..products import now_iso
from . import members
from .requests import bulk_doc


class NotAccepted(Conflict):
    code = "bulk_order_not_accepted"
    message = "Only an accepted bulk order is shared out: accept it first."


class BeyondBulkOrder(Conflict):
    code = "beyond_bulk_order"
    message = "That is more pieces than are left to assign."


class ArtisanOfAnotherCooperative(Forbidden):
    code = "artisan_of_another_cooperative"
    message = "This artisan is not a member of the bulk order's cooperative."


def assign(
    store: DocumentStore, user: User, bulk_id: str, artisan: str, quantity: int
) -> dict[str, Any]:
    """A part of ``quantity`` pieces for ``artisan``; returns it."""
    with write_transaction(store.db):
        bulk = bulk_doc(store, user, bulk_id)
        if user.role not in ("coordinator", "admin"):
            raise Forbidden("A coordinator of the cooperative shares out its bulk orders.")
        if bulk["status"] != "accepted":
            raise NotAccepted(details={"status": bulk["status"]})
        if artisan_cooperative(store.db, artisan) != bulk["cooperative"]:
            raise ArtisanOfAnotherCooperative(
                details={"artisan": artisan, "cooperative": bulk["cooperative"]}
            )
        _, totals = members.totals(store, bulk)
        left = totals["figures"]["to_assign"]
        if quantity > left:
            raise BeyondBulkOrder(
                f"Only {left} pieces are left to assign.",
                details={"to_assign": left, "quantity": quantity},
            )
        stamp, share = now_iso(), bulk["artisan_share_centimes"]
        part = {
            "_id": f"{ORDER_PREFIX}{secrets.token_hex(8)}",
            "type": "order",
            "bulk_order": bulk_id,
            "buyer": bulk["buyer"],
            "artisan": artisan,
            "cooperative": bulk["cooperative"],
            "product_id": bulk.get("product_id") or "",
            "product_title": bulk.get("title") or {},
            "stock_mode": None,
            "quantity": quantity,
            "options": [],
            "unit_price_centimes": share,
            "total_centimes": share * quantity,
            "currency": "MAD",
            "due": bulk["due"],
            "status": "placed",
            "history": [order_states.step(user, "placed", stamp)],
            "created_at": stamp,
            "updated_at": stamp,
        }
        store.put(part, check=check_for(store, user))
        return store.get_doc(part["_id"])

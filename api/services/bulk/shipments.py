"""Parcels: a coordinator ships checked pieces of one bulk order, from one or several
parts, with a tracking note; the buyer (or a coordinator) records the delivery. What the
shipped pieces earn their artisans is written by the bulk feed (api/services/bulk/feed.py),
whichever path the shipment came by."""

from __future__ import annotations

import secrets
from typing import Any

from schemas.bulk_orders import SHIPMENT_PREFIX
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict

from ...errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationFailed
from ..accounts import User
from ..ledger.materials import check_for
from ..products import now_iso
from . import members
from .requests import bulk_doc


class NothingToShip(Conflict):
    code = "nothing_to_ship"
    message = "No checked pieces are waiting to ship."


class MoreThanChecked(Conflict):
    code = "more_than_checked"
    message = "A part cannot ship more pieces than passed the check and have not shipped."


class AlreadyDelivered(Conflict):
    code = "already_delivered"
    message = "This shipment is already recorded delivered."


def ship(store: DocumentStore, user: User, bulk_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Ship ``pieces`` ([{part, count}]), or without it every checked piece waiting."""
    with write_transaction(store.db):
        bulk = bulk_doc(store, user, bulk_id)
        if user.role not in ("coordinator", "admin"):
            raise Forbidden("A coordinator of the cooperative ships its bulk orders.")
        found, totals = members.totals(store, bulk)
        parts = {p["_id"]: p for p in found.parts}
        waiting = {pid: row.get("checked", 0) for pid, row in totals["per_part"].items()}
        asked = data.get("pieces") or [
            {"part": pid, "count": n} for pid, n in sorted(waiting.items()) if n
        ]
        if not asked:
            raise NothingToShip()
        lines = []
        for line in asked:
            if line["part"] not in parts:
                raise ValidationFailed(
                    details={"fields": {"pieces": [f"{line['part']} is not a part of this order."]}}
                )
            if line["count"] > waiting.get(line["part"], 0):
                raise MoreThanChecked(
                    details={"part": line["part"], "waiting": waiting.get(line["part"], 0)}
                )
            artisan = parts[line["part"]]["artisan"]
            lines.append({"part": line["part"], "artisan": artisan, "count": line["count"]})
        doc = {
            "_id": f"{SHIPMENT_PREFIX}{secrets.token_hex(8)}",
            "type": "shipment",
            "bulk_order": bulk_id,
            "cooperative": bulk["cooperative"],
            "buyer": bulk["buyer"],
            "pieces": lines,
            "tracking": data.get("tracking") or "",
            "status": "shipped",
            "by": user.id,
            "shipped_at": now_iso(),
            "delivered_at": None,
            "delivered_by": None,
        }
        store.put(doc, check=check_for(store, user))
        return store.get_doc(doc["_id"])


def deliver(
    store: DocumentStore, user: User, bulk_id: str, shipment_id: str, if_match: str | None
) -> dict[str, Any]:
    with write_transaction(store.db):
        # Through the bulk order the caller reads: a buyer has no shipment in her channels
        # (sync/rules/bulk_orders.py, ``channels``).
        bulk_doc(store, user, bulk_id)
        found = members.members(store, bulk_id).shipments
        shipment = next((s for s in found if s["_id"] == shipment_id), None)
        if shipment is None:
            raise NotFound(
                "No such shipment of this bulk order.",
                details={"bulk_order": bulk_id, "shipment": shipment_id},
            )
        rev = (if_match or "").strip().removeprefix("W/").strip('"') or shipment["_rev"]
        if rev != shipment["_rev"]:
            raise PreconditionFailed(details={"rev": shipment["_rev"]})
        if shipment["status"] == "delivered":
            raise AlreadyDelivered(details={"delivered_at": shipment.get("delivered_at")})
        body = {k: v for k, v in shipment.items() if not k.startswith("_")}
        body.update(status="delivered", delivered_at=now_iso(), delivered_by=user.id)
        try:
            store.put(
                {**body, "_id": shipment_id, "_rev": shipment["_rev"]},
                check=check_for(store, user),
            )
        except RevisionConflict as exc:
            raise PreconditionFailed(details={"rev": shipment["_rev"]}) from exc
        return store.get_doc(shipment_id)

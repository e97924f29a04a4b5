"""The quality check: a coordinator counts the pieces of a part that passed and those
refused, with a reason its artisan reads in her language. Refused pieces go back to be
assigned again (``totals`` in sync/rules/bulk_totals.py)."""

from __future__ import annotations

import secrets
from typing import Any

from schemas.bulk_orders import CHECK_PREFIX
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ...errors import Conflict, NotFound
from ..accounts import User
from ..ledger.materials import check_for
from ..products import now_iso
from . import members
from .requests import bulk_doc

# A part is checked once its artisan has taken it on; before, it has no pieces.
CHECKABLE = ("accepted", "in_production", "ready")


class PartNotCheckable(Conflict):
    code = "part_not_checkable"
    message = "Only the pieces of a part its artisan accepted can be checked."


class MoreThanPart(Conflict):
    code = "more_than_part"
    message = "That is more pieces than this part has left to check."


def record(store: DocumentStore, user: User, bulk_id: str, data: dict[str, Any]) -> dict[str, Any]:
    with write_transaction(store.db):
        bulk = bulk_doc(store, user, bulk_id)
        found, totals = members.totals(store, bulk)
        part = next((p for p in found.parts if p["_id"] == data["part"]), None)
        if part is None:
            raise NotFound("No such part of this bulk order.", details={"part": data["part"]})
        if part["status"] not in CHECKABLE:
            raise PartNotCheckable(details={"status": part["status"]})
        pieces = totals["per_part"][part["_id"]]
        unchecked = pieces["assigned"] - pieces["checked"] - pieces["shipped"]
        unchecked -= pieces["delivered"]
        counted = data["passed"] + data["refused"]
        if counted > unchecked:
            raise MoreThanPart(
                f"This part has {unchecked} pieces left to check.",
                details={"unchecked": unchecked, "counted": counted},
            )
        doc = {
            "_id": f"{CHECK_PREFIX}{secrets.token_hex(8)}",
            "type": "piece_check",
            "bulk_order": bulk_id,
            "part": part["_id"],
            "artisan": part["artisan"],
            "cooperative": bulk["cooperative"],
            "passed": data["passed"],
            "refused": data["refused"],
            "reason": data.get("reason"),
            "note": data.get("note") or "",
            "by": user.id,
            "at": now_iso(),
        }
        store.put(doc, check=check_for(store, user))
        return store.get_doc(doc["_id"])

"""Where a bulk order's pieces are, and what the cooperative owes an artisan, from the
documents alone (docs/bulk-orders.md): ``totals`` is the one definition, which the
server's views, the property tests and a phone all compute from the same documents;
``balance`` is an artisan's; ``earned_entry`` is what the server writes when her
pieces ship. Pure, like the rest of sync/rules/.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from schemas.bulk_orders import shipment_earning_id

# Where the pieces are.

# A piece is in exactly one of these. They add up to the pieces assigned, and with
# ``to_assign`` less ``excess`` to the quantity ordered.
PIECE_STATES = ("awaiting_answer", "in_production", "ready", "checked", "shipped", "delivered")
_ACTIVE_BUCKET = {
    "placed": "awaiting_answer",
    "accepted": "in_production",
    "in_production": "in_production",
    "ready": "ready",
    "shipped": "ready",
    "delivered": "ready",
}


def totals(
    bulk: dict[str, Any],
    parts: list[dict[str, Any]],
    checks: list[dict[str, Any]],
    shipments: list[dict[str, Any]],
) -> dict[str, Any]:
    """Where the bulk order's pieces are, from its documents alone (each with ``_id``):

    - a part declined or cancelled gives its pieces back to ``to_assign``; so do pieces
      refused at the check;
    - counts beyond what a part holds (two devices checking the same pieces, a parcel
      listing more than passed) are capped, and reported in ``problems``;
    - more assigned than ordered is ``excess``, reported, never trimmed.

    ``per_part`` gives the same figures for each part, by id."""
    bulk_id = bulk.get("_id")
    checked: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for c in checks:
        if c.get("bulk_order") == bulk_id:
            checked[_ref(c.get("part"))][0] += _count(c.get("passed"))
            checked[_ref(c.get("part"))][1] += _count(c.get("refused"))
    sent: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # part -> [shipped, delivered]
    for shipment in shipments:
        if shipment.get("bulk_order") != bulk_id:
            continue
        for line in shipment.get("pieces") or []:
            if not isinstance(line, dict):
                continue
            sent[_ref(line.get("part"))][0] += _count(line.get("count"))
            if shipment.get("status") == "delivered":
                sent[_ref(line.get("part"))][1] += _count(line.get("count"))
    figures = dict.fromkeys(PIECE_STATES, 0)
    figures["refused"] = 0
    problems: list[dict[str, Any]] = []
    per_part: dict[str, dict[str, Any]] = {}
    assigned = 0
    known = set()
    for part in sorted(parts, key=lambda p: str(p.get("_id"))):
        if part.get("bulk_order") != bulk_id:
            continue
        part_id = part["_id"]
        known.add(part_id)
        bucket = _ACTIVE_BUCKET.get(_ref(part.get("status")))
        passed, refused = checked.get(part_id, (0, 0))
        shipped, delivered = sent.get(part_id, (0, 0))
        if bucket is None:  # declined or cancelled: nothing of it counts
            if passed or refused or shipped:
                problems.append({"code": "ended_part_has_pieces", "part": part_id})
            per_part[part_id] = {"assigned": 0, "status": part.get("status")}
            continue
        quantity = _count(part.get("quantity"))
        refused_n = min(refused, quantity)
        passed_n = min(passed, quantity - refused_n)
        if passed + refused > quantity:
            problems.append(
                {"code": "overchecked", "part": part_id, "pieces": passed + refused - quantity}
            )
        shipped_n = min(shipped, passed_n)
        if shipped > passed_n:
            problems.append({"code": "overshipped", "part": part_id, "pieces": shipped - passed_n})
        delivered_n = min(delivered, shipped_n)
        row = dict.fromkeys(PIECE_STATES, 0)
        row[bucket] = quantity - refused_n - passed_n
        row["checked"] = passed_n - shipped_n
        row["shipped"] = shipped_n - delivered_n
        row["delivered"] = delivered_n
        row["refused"] = refused_n
        row["assigned"] = quantity - refused_n
        row["status"] = part.get("status")
        per_part[part_id] = row
        assigned += row["assigned"]
        for name in (*PIECE_STATES, "refused"):
            figures[name] += row[name]
    for part_id in sorted(set(sent) - known, key=str):
        problems.append({"code": "unknown_part", "part": part_id})
    quantity = _count(bulk.get("quantity"))
    left = quantity - assigned
    if left < 0:
        problems.insert(0, {"code": "excess", "pieces": -left})
    figures.update(
        quantity=quantity, assigned=assigned, to_assign=max(left, 0), excess=max(-left, 0)
    )
    return {"figures": figures, "per_part": per_part, "problems": problems}


def stage(bulk: dict[str, Any], figures: dict[str, int]) -> str:
    """The bulk order's stage: its own status, and past acceptance, how far its pieces
    have gone (BULK_STAGES in schemas/bulk_orders.py)."""
    status = bulk.get("status")
    if status != "accepted":
        return str(status)
    if figures["quantity"] and figures["delivered"] >= figures["quantity"]:
        return "delivered"
    if figures["shipped"] or figures["delivered"]:
        return "partly_shipped"
    if figures["in_production"] or figures["ready"] or figures["checked"]:
        return "in_production"
    return "accepted"


def earned_entry(
    shipment: dict[str, Any], line: dict[str, Any], share: int
) -> tuple[str, dict[str, Any]]:
    """What one part's pieces in a shipment earned her: written by the server, the same
    body on every server (nothing from its clock), so settling it twice writes one
    revision."""
    doc_id = shipment_earning_id(shipment["_id"], line["part"])
    return doc_id, {
        "type": "earning",
        "kind": "earned",
        "artisan": line["artisan"],
        "cooperative": shipment["cooperative"],
        "amount_centimes": share * line["count"],
        "pieces": line["count"],
        "unit_centimes": share,
        "bulk_order": shipment["bulk_order"],
        "shipment": shipment["_id"],
        "part": line["part"],
        "at": shipment["shipped_at"],
        "by": shipment["by"],
    }


def balance(entries: list[dict[str, Any]]) -> int:
    """What the cooperative owes her, in centimes: earned less paid, corrections as they
    say (negative: an advance she has been paid)."""
    total = 0
    for entry in entries:
        amount = _count(entry.get("amount_centimes"), signed=True)
        total += -amount if entry.get("kind") == "paid" else amount
    return total


def _ref(value: Any) -> str:
    """A document id (or a status) as stored; a forged non-string names nothing."""
    return value if isinstance(value, str) else ""


def _count(value: Any, *, signed: bool = False) -> int:
    """A count as stored; anything else (a forged body) counts as nothing."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value if signed else max(value, 0)

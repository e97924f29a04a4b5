"""Bulk orders' rules, pure: who sees and who writes a bulk order, its parts, the pieces
checked, the shipments and what the cooperative owes each artisan; the merges of
concurrent edits; and ``totals``, the one definition of where the pieces are, which
the server's views, the property tests and a phone all compute from the same documents
(docs/bulk-orders.md).

Assigning is conflict-free by construction: each part is its own document, so two
coordinators sharing out the same order offline make two parts, never two revisions
of one. What they may get wrong together (more pieces assigned than ordered, a part
checked twice over) is not resolved here but shown: ``totals`` reports it as a problem
for a coordinator to settle, and the figures still add up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from schemas.bulk_orders import (
    BULK_PREFIX,
    CHECK_PREFIX,
    EARNING_PREFIX,
    ORDER_PREFIX,
    SHIPMENT_PREFIX,
    shipment_earning_id,
)
from sync.rules.orders import (
    BUYER,
    SELLER,
    Machine,
    Party,
    check_added_steps,
    check_first_step,
    merge_order,
    order_fork_refusal,
)
from sync.store.errors import WriteForbidden

BULK_TYPES = ("bulk_order", "piece_check", "shipment", "earning")
ID_PREFIXES = {
    "bulk_order": BULK_PREFIX,
    "piece_check": CHECK_PREFIX,
    "shipment": SHIPMENT_PREFIX,
    "earning": EARNING_PREFIX,
}

# The cooperative answers a request; the buyer may withdraw it until then. Once
# accepted, only the cooperative cancels (after agreeing it with the buyer): artisans
# may already be at work.
BULK_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("requested", "accepted"): frozenset({SELLER}),
    ("requested", "declined"): frozenset({SELLER}),
    ("requested", "cancelled"): frozenset({BUYER}),
    ("accepted", "cancelled"): frozenset({SELLER}),
}


def _any_fork(_fork: str | None, _ours: list[str], _theirs: list[str]) -> bool:
    return True  # nothing is made under a bulk order's own status: any race settles


# Saying no beats saying yes, as for orders (sync/rules/orders.py).
BULK = Machine(
    BULK_TRANSITIONS,
    ("requested", "accepted"),
    ("declined", "cancelled"),
    ("cancelled", "declined", "accepted"),
    _any_fork,
    "a bulk order",
)
# What a move may change on a bulk order; the share is set by the acceptance.
BULK_MUTABLE = frozenset({"status", "history", "updated_at", "superseded"})
NEVER_EDITED = "{what} is never edited or deleted: record a new one{how}"

Directory = Callable[[str], str | None]


# Channels.


def channels(body: dict[str, Any]) -> set[str]:
    """A bulk order: its cooperative's coordinators and its buyer (it carries her address,
    so never the artisans). Checks and earnings: the cooperative and the artisan. A
    shipment: the cooperative and each artisan whose pieces it carries; its buyer reads
    it in the bulk order's view (REST), because a shipment may be written offline by a
    phone, and the rules, which see no other document, could not check its ``buyer``:
    routing by it would let a mistyped id hand the parcel to a stranger."""
    kind, coop = body.get("type"), body.get("cooperative")
    found = {f"coop:{coop}"} if isinstance(coop, str) and coop else set()
    if kind == "bulk_order" and isinstance(body.get("buyer"), str):
        found.add(f"buyer:{body['buyer']}")
    artisans = [body.get("artisan")]
    if kind == "shipment" and isinstance(body.get("pieces"), list):
        artisans = [line.get("artisan") for line in body["pieces"] if isinstance(line, dict)]
    if kind != "bulk_order":
        found |= {f"artisan:{a}" for a in artisans if isinstance(a, str) and a}
    return found


# Writes.


def _coordinator_of(user: Party, coop: Any) -> bool:
    return user.role == "coordinator" and coop in user.cooperative_ids


def check_id(doc_id: str, body: dict[str, Any]) -> None:
    """Each type under its own prefix, and only it there."""
    kind = body.get("type")
    for prefix_kind, prefix in ID_PREFIXES.items():
        if doc_id.startswith(prefix) and kind != prefix_kind:
            raise WriteForbidden(f"ids starting with {prefix!r} are for {prefix_kind} documents")
    if kind in ID_PREFIXES and doc_id and not doc_id.startswith(ID_PREFIXES[kind]):
        raise WriteForbidden(f"the id of a {kind} document starts with {ID_PREFIXES[kind]!r}")


def check_deletion(old: dict[str, Any]) -> None:
    kind = old.get("type")
    if kind == "bulk_order":
        raise WriteForbidden("a bulk order is kept: decline or cancel it instead")
    if kind == "piece_check":
        raise WriteForbidden(NEVER_EDITED.format(what="a check", how=""))
    if kind == "shipment":
        raise WriteForbidden("a shipment is kept: it ends delivered")
    if kind == "earning":
        raise WriteForbidden(NEVER_EDITED.format(what="an entry", how=" naming it in `corrects`"))


def check(
    user: Party,
    doc_id: str,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    directory: Directory,
    now: datetime | None = None,
) -> None:
    """Raise WriteForbidden unless ``user`` may turn ``old`` into ``new`` (a bulk order,
    a check, a shipment or an earning entry). The cross-document bounds (a part within
    what is left to assign, a check within a part) need the store: REST refuses them
    (api/services/bulk/), and ``totals`` shows what a phone offline got wrong."""
    kind = new.get("type")
    if kind == "bulk_order":
        _check_bulk_order(user, old, new, now)
    elif old is not None and kind in ("piece_check", "earning"):
        if old != new:
            what = "a check" if kind == "piece_check" else "an entry"
            how = "" if kind == "piece_check" else " naming it in `corrects`"
            raise WriteForbidden(NEVER_EDITED.format(what=what, how=how))
    elif kind == "piece_check":
        _check_new_by_coordinator(user, new, directory, [new.get("artisan")])
    elif kind == "shipment":
        _check_shipment(user, old, new, directory)
    elif kind == "earning":
        if new.get("kind") == "earned":
            raise WriteForbidden(
                "what she earned is written by the server when her checked pieces ship"
            )
        _check_new_by_coordinator(user, new, directory, [new.get("artisan")])


def _check_new_by_coordinator(
    user: Party, new: dict[str, Any], directory: Directory, artisans: list[Any]
) -> None:
    if not _coordinator_of(user, new.get("cooperative")):
        raise WriteForbidden("only a coordinator of this cooperative records this")
    if new.get("by") != user.id:
        raise WriteForbidden("by must be your own user id")
    for artisan in artisans:
        if not isinstance(artisan, str) or directory(artisan) != new.get("cooperative"):
            raise WriteForbidden(f"{artisan!r} is not an artisan of this cooperative")


def _check_bulk_order(
    user: Party, old: dict[str, Any] | None, new: dict[str, Any], now: datetime | None
) -> None:
    if old is None:
        raise WriteForbidden("bulk orders are requested through POST /api/v1/bulk-orders")
    sides = bulk_sides(user, old)
    if not sides:
        raise WriteForbidden("you are not a party to this bulk order")
    history, before = new.get("history"), old.get("history") or []
    if (
        not isinstance(history, list)
        or not history
        or not all(isinstance(s, dict) for s in history)
    ):
        raise WriteForbidden("history must be the list of the bulk order's moves")
    if not history or not before or history[0] != before[0]:
        raise WriteForbidden("the first step (requested by the buyer) cannot be changed")
    if new.get("status") != history[-1].get("status"):
        raise WriteForbidden("status must be the status of the last step in history")
    accepting = old.get("status") == "requested" and new.get("status") == "accepted"
    mutable = BULK_MUTABLE | ({"artisan_share_centimes"} if accepting else set())
    for key in set(old) | set(new):
        if key not in mutable and not key.startswith("_") and old.get(key) != new.get(key):
            raise WriteForbidden(f"{key} cannot be changed: only the status moves")
    common = 0
    while common < min(len(before), len(history)) and before[common] == history[common]:
        common += 1
    check_added_steps(user, sides, history, common, BULK, now)
    refusal = order_fork_refusal(before, history, BULK)
    if refusal:
        raise WriteForbidden(refusal)
    if new.get("superseded") != old.get("superseded") and common == len(before):
        raise WriteForbidden("superseded is written by the server's merge, not by a client")


def bulk_sides(user: Party, bulk: dict[str, Any]) -> set[str]:
    """The buyer who asked, and the cooperative that answers (its coordinators)."""
    if user.role == "admin":
        return {BUYER, SELLER}
    if user.role == "buyer" and bulk.get("buyer") == user.id:
        return {BUYER}
    if _coordinator_of(user, bulk.get("cooperative")):
        return {SELLER}
    return set()


def check_new_part(
    user: Party,
    doc_id: str,
    new: dict[str, Any],
    directory: Directory,
    now: datetime | None = None,
) -> None:
    """A part a coordinator assigns, over REST or offline on her phone: an order of her
    cooperative's own artisan, placed by her, priced at what the artisan is paid."""
    if doc_id and not doc_id.startswith(ORDER_PREFIX):
        raise WriteForbidden(f"a part is an order: its id starts with {ORDER_PREFIX!r}")
    if not _coordinator_of(user, new.get("cooperative")):
        raise WriteForbidden("only a coordinator of the cooperative assigns parts of its orders")
    if not isinstance(new.get("bulk_order"), str):
        raise WriteForbidden("a part names its bulk order")
    artisan = new.get("artisan")
    if not isinstance(artisan, str) or directory(artisan) != new.get("cooperative"):
        raise WriteForbidden(f"{artisan!r} is not an artisan of this cooperative")
    history = new.get("history")
    if not isinstance(history, list) or len(history) != 1:
        raise WriteForbidden("a new part's history is its one step, placed")
    check_first_step(user, history[0], "placed", now)
    if new.get("status") != "placed":
        raise WriteForbidden("a new part is placed: its artisan answers it")
    unit, quantity = new.get("unit_price_centimes"), new.get("quantity")
    if not isinstance(unit, int) or isinstance(unit, bool) or unit < 0:
        raise WriteForbidden("unit_price_centimes is what she is paid per piece, in centimes")
    # The order schema lets an order leave quantity out; a part is counted in pieces.
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise WriteForbidden("a part's quantity is how many pieces she makes, at least one")
    if new.get("total_centimes") != unit * quantity:
        raise WriteForbidden("total_centimes is unit_price_centimes times quantity")
    if new.get("stock_mode") is not None or new.get("superseded") is not None:
        raise WriteForbidden("a part is made to order: no stock_mode, no superseded")


def _check_shipment(
    user: Party, old: dict[str, Any] | None, new: dict[str, Any], directory: Directory
) -> None:
    if old is None:
        if new.get("status") != "shipped":
            raise WriteForbidden("a shipment is recorded shipped; delivery comes after")
        artisans = [line.get("artisan") for line in new.get("pieces") or []]
        _check_new_by_coordinator(user, new, directory, sorted(set(artisans), key=str))
        return
    changed = {k for k in set(old) | set(new) if not k.startswith("_") and old.get(k) != new.get(k)}
    if not changed:
        return
    if changed - {"status", "delivered_at", "delivered_by", "updated_at"}:
        raise WriteForbidden("a shipment's pieces cannot change: only its delivery is recorded")
    if (old.get("status"), new.get("status")) != ("shipped", "delivered"):
        raise WriteForbidden("a shipment moves once, from shipped to delivered")
    if not (user.role == "buyer" and old.get("buyer") == user.id) and not _coordinator_of(
        user, old.get("cooperative")
    ):
        raise WriteForbidden("its buyer or a coordinator of the cooperative records a delivery")
    if new.get("delivered_by") != user.id:
        raise WriteForbidden("delivered_by must be your own user id")


# Merges.


def bulk_order_state(leaves: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Concurrent moves of a bulk order (two coordinators, or the buyer withdrawing while
    a coordinator accepts): the orders' merge over the bulk order's machine."""
    return merge_order([body for _, body in leaves], BULK)


def shipment_state(leaves: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """A shipment recorded delivered on two devices: the delivery stands, the earliest
    record of it wins (a function of the set alone)."""
    bodies = [body for _, body in leaves]
    delivered = [b for b in bodies if b.get("status") == "delivered"]
    pool = delivered or bodies
    return min(pool, key=lambda b: (str(b.get("delivered_at")), str(b.get("delivered_by"))))


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
        bucket = _ACTIVE_BUCKET.get(part.get("status"))
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
    """A document id as stored; a forged non-string names nothing."""
    return value if isinstance(value, str) else ""


def _count(value: Any, *, signed: bool = False) -> int:
    """A count as stored; anything else (a forged body) counts as nothing."""
    if isinstance(value, bool) or not isinstance(value, int):
        return 0
    return value if signed else max(value, 0)

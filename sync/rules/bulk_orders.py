"""Bulk orders' rules, pure: who sees and who writes a bulk order, its parts, the pieces
checked, the shipments and what the cooperative owes each artisan, and the merges of
concurrent edits (docs/bulk-orders.md). Where the pieces are is computed from these
documents in sync/rules/bulk_totals.py.

Assigning is conflict-free by construction: each part is its own document, so two
coordinators sharing out the same order offline make two parts, never two revisions
of one. What they may get wrong together (more pieces assigned than ordered, a part
checked twice over) is not resolved here but shown: ``totals`` reports it as a problem
for a coordinator to settle, and the figures still add up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from schemas.bulk_orders import (
    BULK_PREFIX,
    CHECK_PREFIX,
    EARNING_PREFIX,
    ORDER_PREFIX,
    SHIPMENT_PREFIX,
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
    if kind in BULK_TYPES and doc_id and not doc_id.startswith(ID_PREFIXES[kind]):
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

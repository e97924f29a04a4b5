"""The order state machine and who may make each move. Pure functions: sync/access.py
checks writes with them (REST and /sync alike).

An order carries its ``history``: one step per move, ``{"status", "by", "role", "at"}``,
append-only. ``status`` is always the last step's. A phone offline adds steps to its
copy; when it syncs, only the steps it added are checked, against the writer.

Convergence (README "Orders"): concurrent moves are branches of the history that part
at some step. They may part only where both can be true: a cancellation or a decline
races an acceptance, never a piece in production, ready, shipped or delivered
(``sync.resolution.order_fork_refusal``); a branch that would undo one is refused when
it arrives. Where permitted branches part, the move with the higher precedence wins
and its branch is kept whole; the others' steps go to ``superseded``. The merge itself
is ``sync.resolution.merge_order``, the very rule the replicator applies to conflicts
from the hub: sync/ must not import api/, so the pure merge lives there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sync.errors import Forbidden
from sync.resolution import (
    ORDER_PRECEDENCE as PRECEDENCE,  # noqa: F401  (re-exported)
)
from sync.resolution import (
    choose_order_history as choose_history,  # noqa: F401  (re-exported)
)
from sync.resolution import merge_order as merge  # noqa: F401  (re-exported)
from sync.resolution import order_fork_refusal

BUYER, SELLER = "buyer", "seller"

# (from, to) -> the sides that may make the move. The seller is the artisan, or a
# coordinator of her cooperative answering for her (many artisans do not read French).
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    ("placed", "accepted"): frozenset({SELLER}),
    ("placed", "declined"): frozenset({SELLER}),
    ("placed", "cancelled"): frozenset({BUYER}),
    ("accepted", "in_production"): frozenset({SELLER}),
    ("accepted", "ready"): frozenset({SELLER}),  # an in-stock piece needs no production
    ("in_production", "ready"): frozenset({SELLER}),
    ("ready", "shipped"): frozenset({SELLER}),
    ("shipped", "delivered"): frozenset({BUYER, SELLER}),
}
FINAL = frozenset({"declined", "cancelled", "delivered"})
# Once accepted, the piece is promised: its stock stays reserved in these states.
HOLDS_STOCK = frozenset({"accepted", "in_production", "ready", "shipped", "delivered"})

# What a move may change on the order; the terms (product, price, delivery) never change.
MUTABLE = frozenset({"status", "history", "updated_at", "superseded"})
# A step is these and nothing else (a phone could otherwise carry kilobytes in one).
STEP_KEYS = frozenset({"status", "by", "role", "at"})
# Phones' clocks drift, some by hours: a step may be dated this far past the server's
# clock, no further (a step "at" 2999 would sort after every real one).
CLOCK_SKEW = timedelta(days=1)


class Party(Protocol):
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def sides_of(user: Party, order: dict[str, Any]) -> set[str]:
    """The sides ``user`` stands on for this order (none: not a party)."""
    sides = set()
    if user.role == "buyer" and order.get("buyer") == user.id:
        sides.add(BUYER)
    if user.role == "artisan" and order.get("artisan") == user.id:
        sides.add(SELLER)
    if user.role == "coordinator" and order.get("cooperative") in user.cooperative_ids:
        sides.add(SELLER)
    if user.role == "admin":
        sides |= {BUYER, SELLER}
    return sides


def allowed_moves(user: Party, order: dict[str, Any]) -> list[str]:
    """The statuses ``user`` may move this order to now."""
    sides = sides_of(user, order)
    return [to for (frm, to), who in TRANSITIONS.items() if frm == order["status"] and who & sides]


def step(user: Party, status: str, at: str) -> dict[str, str]:
    return {"status": status, "by": user.id, "role": user.role, "at": at}


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _common(a: list[dict], b: list[dict]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def check_write(
    user: Party, old: dict[str, Any] | None, new: dict[str, Any], now: datetime | None = None
) -> None:
    """Raise Forbidden unless ``user`` may turn ``old`` into ``new`` (the same check for a
    REST move and for a revision a phone pushes through /sync).

    ``old`` is the server's current winner. A phone that moved the order offline may
    send a branch that parts from it (the buyer cancelled meanwhile): the steps it adds
    past the common part must be its own, permitted moves, and the branch must be one
    the merge may settle (a "no" races an acceptance only). ``superseded`` and
    ``updated_at`` are the server's: a client may only send back what it was given.
    """
    if old is None:
        raise Forbidden("orders are placed through POST /api/v1/orders, which prices them")
    sides = sides_of(user, old)
    if not sides:
        raise Forbidden("you are not a party to this order")
    for key in set(old) | set(new):
        if key not in MUTABLE and not key.startswith("_") and old.get(key) != new.get(key):
            raise Forbidden(f"{key} cannot be changed: only the status moves")
    history, before = new.get("history"), old.get("history") or []
    if (
        not isinstance(history, list)
        or not history
        or not all(isinstance(s, dict) for s in history)
    ):
        raise Forbidden("history must be the list of the order's moves")
    if not before or history[0] != before[0]:
        raise Forbidden("the first step (placed by the buyer) cannot be changed")
    if new.get("status") != history[-1].get("status"):
        raise Forbidden("status must be the status of the last step in history")
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    common = _common(before, history)
    for index in range(common, len(history)):
        prev, move = history[index - 1]["status"], history[index]
        if set(move) != STEP_KEYS:
            raise Forbidden(f"a step is exactly {sorted(STEP_KEYS)}")
        # Before any use: a list where a string belongs would be unhashable below (a 500).
        wrong = sorted(key for key in STEP_KEYS if not isinstance(move[key], str))
        if wrong:
            raise Forbidden(f"a step's {', '.join(wrong)} must be a string")
        if move.get("by") != user.id or move.get("role") != user.role:
            raise Forbidden("each step you add must carry your own user id and role")
        at = _parse_time(move.get("at"))
        if at is None:
            raise Forbidden("each step needs its time, `at`, in ISO 8601")
        if at > latest:
            raise Forbidden(f"a step's `at` cannot be later than {latest.isoformat()}")
        who = TRANSITIONS.get((prev, move.get("status")))
        if who is None:
            raise Forbidden(f"an order cannot move from {prev!r} to {move.get('status')!r}")
        if not who & sides:
            side = " or ".join(sorted(who))
            raise Forbidden(
                f"moving an order from {prev!r} to {move['status']!r} is for the {side}"
            )
    refusal = order_fork_refusal(before, history)
    if refusal:
        raise Forbidden(refusal)
    _check_derived(old, new, branch=common < len(before))


def _check_derived(old: dict[str, Any], new: dict[str, Any], *, branch: bool) -> None:
    """``superseded`` and ``updated_at`` are written by the server (the merge, a move):
    a client may send back what it got, never invent them."""
    mine, theirs = new.get("superseded"), old.get("superseded")
    if mine is not None and not (isinstance(mine, list) and all(isinstance(s, dict) for s in mine)):
        raise Forbidden("superseded is the list of moves the merge set aside")
    if branch:
        # A branch carries its base's list; the server's only grew since (merges add).
        known = {repr(sorted(s.items())) for s in theirs or []}
        if any(repr(sorted(s.items())) not in known for s in mine or []):
            raise Forbidden("superseded is written by the server's merge, not by a client")
    elif mine != theirs:
        raise Forbidden("superseded is written by the server's merge, not by a client")
    stamp = new.get("updated_at")
    times = {s.get("at") for s in [*new["history"], *(mine or [])]}
    if stamp != old.get("updated_at") and stamp not in times:
        raise Forbidden("updated_at is the time of a move: leave it, or set your step's `at`")

"""The order state machine, who may make each move, and the rule that merges concurrent
moves. Pure functions: sync/access.py checks writes with them (REST and /sync alike)
and api/services/order_feed.py resolves conflicts with them.

An order carries its ``history``: one step per move, ``{"status", "by", "role", "at"}``,
append-only. ``status`` is always the last step's. A phone offline adds steps to its
copy; when it syncs, only the steps it added are checked, against the writer.

Convergence (README "Orders"): concurrent moves are branches of the history that
part at some step. Merging walks the steps common to every branch, and where branches
part, the move with the higher PRECEDENCE wins and the branch that made it is kept
whole; the other branches' steps are kept in ``superseded`` (nothing is forgotten).
The result depends only on the set of branches, never on the order they arrived in,
so every server and phone that sees the same revisions ends with the same order.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Protocol

from sync.errors import Forbidden

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

# Where branches part, the move ranked first wins. Saying no beats saying yes: the
# buyer's cancellation was answered by the server while the order was still `placed`,
# and an acceptance that turns out moot costs the artisan a message, while a refusal
# overturned would bind a buyer who withdrew. Among the seller's own moves, the one
# furthest along wins (two devices of one cooperative, one a step ahead).
PRECEDENCE = (
    "cancelled",
    "declined",
    "delivered",
    "shipped",
    "ready",
    "in_production",
    "accepted",
)

# What a move may change on the order; the terms (product, price, delivery) never change.
MUTABLE = frozenset({"status", "history", "updated_at", "superseded"})


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


def _valid_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _common(a: list[dict], b: list[dict]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def check_write(user: Party, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
    """Raise Forbidden unless ``user`` may turn ``old`` into ``new`` (the same check for a
    REST move and for a revision a phone pushes through /sync).

    ``old`` is the server's current winner. A phone that moved the order offline may
    send a branch that parts from it (the buyer cancelled meanwhile): the steps it adds
    past the common part must be its own, permitted moves; the merge settles the rest.
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
    for index in range(_common(before, history), len(history)):
        prev, move = history[index - 1]["status"], history[index]
        if move.get("by") != user.id or move.get("role") != user.role:
            raise Forbidden("each step you add must carry your own user id and role")
        if not _valid_time(move.get("at")):
            raise Forbidden("each step needs its time, `at`, in ISO 8601")
        who = TRANSITIONS.get((prev, move.get("status")))
        if who is None:
            raise Forbidden(f"an order cannot move from {prev!r} to {move.get('status')!r}")
        if not who & sides:
            side = " or ".join(sorted(who))
            raise Forbidden(
                f"moving an order from {prev!r} to {move['status']!r} is for the {side}"
            )


def _key(steps: list[dict]) -> str:
    return json.dumps(steps, sort_keys=True, ensure_ascii=False)


def _rank(status: str) -> int:
    return PRECEDENCE.index(status) if status in PRECEDENCE else len(PRECEDENCE)


def choose_history(histories: list[list[dict]]) -> list[dict]:
    """The winning branch among ``histories`` (each a list of steps), by PRECEDENCE where
    they part; identical status sequences go to the canonically smallest, so the choice
    is a function of the set alone."""
    candidates = [h for h in histories if h]
    depth = 0
    while True:
        nexts = {h[depth]["status"] for h in candidates if len(h) > depth}
        if not nexts:
            break
        best = min(nexts, key=lambda s: (_rank(s), s))
        # A branch that stopped here gives way to one that went on along the same line:
        # a later move is not a disagreement.
        candidates = [h for h in candidates if len(h) > depth and h[depth]["status"] == best]
        depth += 1
    return min(candidates, key=_key)


def merge(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The one order that concurrent revisions ``bodies`` converge to."""
    chosen = choose_history([b.get("history") or [] for b in bodies])
    winner = min((b for b in bodies if (b.get("history") or []) == chosen), key=_key)
    kept = {_key([s]) for s in chosen}
    superseded: dict[str, dict] = {}
    for body in bodies:
        for item in [*(body.get("history") or []), *(body.get("superseded") or [])]:
            if isinstance(item, dict) and _key([item]) not in kept:
                superseded[_key([item])] = item
    merged = dict(winner)
    if superseded:
        merged["superseded"] = [superseded[k] for k in sorted(superseded)]
    stamps = [b["updated_at"] for b in bodies if isinstance(b.get("updated_at"), str)]
    if stamps:
        merged["updated_at"] = max(stamps)
    return merged

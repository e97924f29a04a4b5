"""Orders' rules, pure: the state machine and who may make each move (``check_write``,
which sync/rules/access.py applies to every write, REST and /sync alike), and the merge that
settles concurrent moves (``merge_order``, the replicator's rule for order conflicts and
the order feed's for what phones push). The orders service (api/services/order_states.py,
api/services/orders.py) builds its moves on these.

An order carries its ``history``: one step per move, ``{"status", "by", "role", "at"}``,
append-only. ``status`` is always the last step's. A phone offline adds steps to its
copy; when it syncs, only the steps it added are checked, against the writer.

Convergence (docs/features.md, "Orders"): concurrent moves are branches of the history that part
at some step. They may part only where both can be true: a cancellation or a decline
races an acceptance, never a piece in production, ready, shipped or delivered
(:func:`order_fork_refusal`); a branch that would undo one is refused when it arrives.
Where permitted branches part, the move with the higher precedence wins and its branch
is kept whole; the others' steps go to ``superseded``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sync.store.errors import Unresolvable, WriteForbidden

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
    if order.get("bulk_order") is not None:
        return part_sides(user, order)
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


def part_sides(user: Party, part: dict[str, Any]) -> set[str]:
    """An artisan's part of a bulk order: her cooperative placed it with her, so its
    coordinators stand on the buyer's side (they assigned it and may take it back while
    she has not answered) and on the seller's, answering for her as for any order. The
    bulk order's buyer follows the bulk order, not its parts."""
    if user.role == "admin":
        return {BUYER, SELLER}
    if user.role == "artisan" and part.get("artisan") == user.id:
        return {SELLER}
    if user.role == "coordinator" and part.get("cooperative") in user.cooperative_ids:
        return {BUYER, SELLER}
    return set()


# The merge.

ORDER_PROGRESS = ("placed", "accepted", "in_production", "ready", "shipped", "delivered")
ORDER_ENDED = ("declined", "cancelled")
# Where two lines of moves part, the move ranked first wins. Saying no beats saying yes:
# the buyer's cancellation was answered while the order was still `placed`; an
# acceptance that turns out moot costs the artisan a message, while a refusal overturned
# would bind a buyer who withdrew. Among the seller's own moves (two devices of one
# cooperative), the one furthest along wins.
ORDER_PRECEDENCE = (
    "cancelled",
    "declined",
    "delivered",
    "shipped",
    "ready",
    "in_production",
    "accepted",
)
# What a cancellation or a decline may overturn: an acceptance, nothing later. Once the
# piece is in production (or ready, shipped, delivered) a "no" made elsewhere meanwhile
# cannot both be true with it; it is refused when it arrives (:func:`check_write`)
# or, when replication brings both in, left to the coordinator.
_UNDOABLE = frozenset({"accepted", *ORDER_ENDED})


def order_fork_allowed(fork: str | None, ours: list[str], theirs: list[str]) -> bool:
    """Whether two lines of moves (their statuses) that part after status ``fork`` may
    both have happened, so that the merge may settle them."""
    if not ours or not theirs:
        return True  # one line is a prefix of the other: no disagreement
    moves = set(ours) | set(theirs)
    if not moves & set(ORDER_ENDED):
        return True  # the seller's own lines: the furthest along wins
    return fork == "placed" and moves <= _UNDOABLE


@dataclass(frozen=True)
class Machine:
    """A state machine whose moves are kept as a history: an order's, and a bulk order's
    own (sync/rules/bulk_orders.py). The merge and the check of added steps are the same
    for both; what differs is here."""

    transitions: dict[tuple[str, str], frozenset[str]]
    progress: tuple[str, ...]  # the line of statuses from the first, for a bare status
    ended: tuple[str, ...]  # statuses reached from the first in one move, and final
    precedence: tuple[str, ...]  # where two lines part, the first listed wins
    # Whether two lines parting after status ``fork`` may both have happened.
    fork_allowed: Callable[[str | None, list[str], list[str]], bool]
    noun: str  # for the reasons a refusal gives


ORDERS = Machine(
    TRANSITIONS, ORDER_PROGRESS, ORDER_ENDED, ORDER_PRECEDENCE, order_fork_allowed, "an order"
)


def _statuses(steps: list[dict]) -> list[str]:
    return [s.get("status") for s in steps]


def _common_steps(a: list[dict], b: list[dict]) -> int:
    n = 0
    while n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def order_fork_refusal(
    before: list[dict], after: list[dict], machine: Machine = ORDERS
) -> str | None:
    """Why the history ``after`` may not stand beside ``before`` (None: it may)."""
    common = _common_steps(before, after)
    if common == 0:
        return "the first step cannot be changed"
    ours, theirs = _statuses(before[common:]), _statuses(after[common:])
    if machine.fork_allowed(before[common - 1].get("status"), ours, theirs):
        return None
    return (
        f"order statuses {sorted(set(ours[-1:] + theirs[-1:]))} cannot both be true: a "
        "cancellation or a decline races an acceptance only, it cannot undo "
        f"{', '.join(s for s in ours + theirs if s not in _UNDOABLE)}"
    )


def _order_key(steps: list[dict]) -> str:
    return json.dumps(steps, sort_keys=True, ensure_ascii=False)


def _order_rank(status: str, machine: Machine) -> int:
    order = machine.precedence
    return order.index(status) if status in order else len(order)


def _order_history(body: dict[str, Any], machine: Machine) -> tuple[list[dict], bool]:
    """The body's steps, and whether they are its own. An order this server wrote always
    has a history; a revision without one (not written here) is taken to have come the
    shortest legal way to its status."""
    history = body.get("history")
    if isinstance(history, list) and history:
        if not all(isinstance(s, dict) and isinstance(s.get("status"), str) for s in history):
            raise Unresolvable("an order revision has a malformed history")
        return history, True
    status, line = body.get("status"), machine.progress
    if status in line:
        return [{"status": s} for s in line[: line.index(status) + 1]], False
    if status in machine.ended:
        return [{"status": line[0]}, {"status": status}], False
    raise Unresolvable(f"unknown order status {sorted(map(str, [status]))}")


def choose_order_history(histories: list[list[dict]], machine: Machine = ORDERS) -> list[dict]:
    """The winning line among ``histories``, by ORDER_PRECEDENCE where they part;
    identical status sequences go to the canonically smallest, so the choice is a
    function of the set alone. Raises Unresolvable if two lines cannot both be true."""
    candidates = [h for h in histories if h]
    for i, a in enumerate(candidates):
        for b in candidates[i + 1 :]:
            reason = order_fork_refusal(a, b, machine)
            if reason:
                raise Unresolvable(reason)
    depth = 0
    while True:
        nexts = {h[depth]["status"] for h in candidates if len(h) > depth}
        if not nexts:
            break
        best = min(nexts, key=lambda s: (_order_rank(s, machine), s))
        # A line that stopped here gives way to one that went on along the same line:
        # a later move is not a disagreement.
        candidates = [h for h in candidates if len(h) > depth and h[depth]["status"] == best]
        depth += 1
    return min(candidates, key=_order_key)


def merge_order(bodies: list[dict[str, Any]], machine: Machine = ORDERS) -> dict[str, Any]:
    """The one order that concurrent revisions ``bodies`` converge to: the winning line
    kept whole, every other line's steps kept in ``superseded`` (nothing is forgotten),
    ``updated_at`` the latest. Depends only on the set of bodies, never on their order."""
    lines = [(body, *_order_history(body, machine)) for body in bodies]
    chosen = choose_order_history([history for _, history, _ in lines], machine)
    winner = min((b for b, h, _ in lines if h == chosen), key=_order_key)
    kept = {_order_key([s]) for s in chosen}
    superseded: dict[str, dict] = {}
    for body, history, own in lines:
        earlier = body.get("superseded") if isinstance(body.get("superseded"), list) else []
        for item in [*(history if own else []), *earlier]:
            if isinstance(item, dict) and _order_key([item]) not in kept:
                superseded[_order_key([item])] = item
    merged = dict(winner)
    if superseded:
        merged["superseded"] = [superseded[k] for k in sorted(superseded)]
    stamps = [b["updated_at"] for b in bodies if isinstance(b.get("updated_at"), str)]
    if stamps:
        merged["updated_at"] = max(stamps)
    return merged


def order_state(leaves: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The order rule (``resolution.RULES``): :func:`merge_order` of the conflicting
    revisions, given as (revision, body)."""
    return merge_order([body for _, body in leaves])


# The check of a write.


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def check_write(
    user: Party, old: dict[str, Any] | None, new: dict[str, Any], now: datetime | None = None
) -> None:
    """Raise WriteForbidden unless ``user`` may turn ``old`` into ``new`` (the same check for a
    REST move and for a revision a phone pushes through /sync).

    ``old`` is the server's current winner. A phone that moved the order offline may
    send a branch that parts from it (the buyer cancelled meanwhile): the steps it adds
    past the common part must be its own, permitted moves, and the branch must be one
    the merge may settle (a "no" races an acceptance only). ``superseded`` and
    ``updated_at`` are the server's: a client may only send back what it was given.
    """
    if old is None:
        raise WriteForbidden("orders are placed through POST /api/v1/orders, which prices them")
    if old.get("bulk_order") != new.get("bulk_order"):
        raise WriteForbidden("bulk_order cannot be changed: only the status moves")
    sides = sides_of(user, old)
    if not sides:
        raise WriteForbidden("you are not a party to this order")
    for key in set(old) | set(new):
        if key not in MUTABLE and not key.startswith("_") and old.get(key) != new.get(key):
            raise WriteForbidden(f"{key} cannot be changed: only the status moves")
    history, before = new.get("history"), old.get("history") or []
    if (
        not isinstance(history, list)
        or not history
        or not all(isinstance(s, dict) for s in history)
    ):
        raise WriteForbidden("history must be the list of the order's moves")
    if not before or history[0] != before[0]:
        raise WriteForbidden("the first step (placed by the buyer) cannot be changed")
    if new.get("status") != history[-1].get("status"):
        raise WriteForbidden("status must be the status of the last step in history")
    common = _common_steps(before, history)
    check_added_steps(user, sides, history, common, ORDERS, now)
    refusal = order_fork_refusal(before, history)
    if refusal:
        raise WriteForbidden(refusal)
    _check_derived(old, new, branch=common < len(before))


def check_added_steps(
    user: Party,
    sides: set[str],
    history: list[dict],
    common: int,
    machine: Machine,
    now: datetime | None = None,
) -> None:
    """Each step of ``history`` past the first ``common`` (those the writer adds) is the
    writer's own, dated, and a move the machine permits from the step before to a side
    the writer stands on."""
    for index in range(max(common, 1), len(history)):
        prev, move = history[index - 1]["status"], history[index]
        _check_own_step(user, move, now)
        who = machine.transitions.get((prev, move.get("status")))
        if who is None:
            raise WriteForbidden(
                f"{machine.noun} cannot move from {prev!r} to {move.get('status')!r}"
            )
        if not who & sides:
            side = " or ".join(sorted(who))
            raise WriteForbidden(
                f"moving {machine.noun} from {prev!r} to {move['status']!r} is for the {side}"
            )


def check_first_step(user: Party, first: Any, status: str, now: datetime | None = None) -> None:
    """A document that starts a history (a part a coordinator assigns offline) starts it
    with one step of the writer's own."""
    if not isinstance(first, dict):
        raise WriteForbidden(f"history starts with one step, exactly {sorted(STEP_KEYS)}")
    _check_own_step(user, first, now)
    if first["status"] != status:
        raise WriteForbidden(f"the first step's status is {status!r}")


def _check_own_step(user: Party, move: dict, now: datetime | None) -> None:
    """A step the writer adds: exactly its keys, strings, hers, dated no later than the
    server's clock allows."""
    if set(move) != STEP_KEYS:
        raise WriteForbidden(f"a step is exactly {sorted(STEP_KEYS)}")
    # Before any use: a list where a string belongs would be unhashable below (a 500).
    wrong = sorted(key for key in STEP_KEYS if not isinstance(move[key], str))
    if wrong:
        raise WriteForbidden(f"a step's {', '.join(wrong)} must be a string")
    if move["by"] != user.id or move["role"] != user.role:
        raise WriteForbidden("each step you add must carry your own user id and role")
    at = _parse_time(move["at"])
    if at is None:
        raise WriteForbidden("each step needs its time, `at`, in ISO 8601")
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
    if at > latest:
        raise WriteForbidden(f"a step's `at` cannot be later than {latest.isoformat()}")


def _check_derived(old: dict[str, Any], new: dict[str, Any], *, branch: bool) -> None:
    """``superseded`` and ``updated_at`` are written by the server (the merge, a move):
    a client may send back what it got, never invent them."""
    mine, theirs = new.get("superseded"), old.get("superseded")
    if mine is not None and not (isinstance(mine, list) and all(isinstance(s, dict) for s in mine)):
        raise WriteForbidden("superseded is the list of moves the merge set aside")
    if branch:
        # A branch carries its base's list; the server's only grew since (merges add).
        known = {repr(sorted(s.items())) for s in theirs or []}
        if any(repr(sorted(s.items())) not in known for s in mine or []):
            raise WriteForbidden("superseded is written by the server's merge, not by a client")
    elif mine != theirs:
        raise WriteForbidden("superseded is written by the server's merge, not by a client")
    stamp = new.get("updated_at")
    times = {s.get("at") for s in [*new["history"], *(mine or [])]}
    if stamp != old.get("updated_at") and stamp not in times:
        raise WriteForbidden("updated_at is the time of a move: leave it, or set your step's `at`")

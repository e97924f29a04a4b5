"""The orders service's side of the state machine: which moves a user may make now, the
step a move adds, and what holds stock. The rules themselves (the transitions, who may
move, the check of every write and the merge of concurrent moves) are pure and live in
sync/rules/orders.py, where sync/rules/access.py and the replicator use them too.
"""

from __future__ import annotations

from typing import Any

from sync.rules.orders import TRANSITIONS, Party, sides_of

# Once accepted, the piece is promised: its stock stays reserved in these states.
HOLDS_STOCK = frozenset({"accepted", "in_production", "ready", "shipped", "delivered"})


def allowed_moves(user: Party, order: dict[str, Any]) -> list[str]:
    """The statuses ``user`` may move this order to now."""
    sides = sides_of(user, order)
    return [to for (frm, to), who in TRANSITIONS.items() if frm == order["status"] and who & sides]


def step(user: Party, status: str, at: str) -> dict[str, str]:
    return {"status": status, "by": user.id, "role": user.role, "at": at}

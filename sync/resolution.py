"""Per-type conflict rules, applied after replication brings a conflict in (DESIGN.md:
designed out first, resolved second, shown third).

A rule sees every live leaf of a document, best first in CouchDB's order, and returns
the body that should win, or :class:`Unresolvable`. The result is written the way
CouchDB's documentation says to resolve a conflict ("Replication and conflict model"):
the chosen body as a new revision on the current winner (skipped when the winner already
holds it) and a tombstone on every other live leaf. Revision ids are computed from the
parent and the body (revtree.new_rev_id), so two servers resolving the same conflict
write the very same revisions and converge instead of conflicting again.

What no rule settles stays a conflict (nothing is dropped) and gets a row in
``replication_conflicts`` for the cooperative's coordinators.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import revtree
from .database import fetch_all, write_transaction
from .store import DocumentStore

Leaf = tuple[str, dict[str, Any]]  # (revision, body)


class Unresolvable(Exception):
    """No rule can merge these revisions; ``args[0]`` says why, for the coordinator."""


def _updated_at(leaf: Leaf) -> str:
    value = leaf[1].get("updated_at")
    return value if isinstance(value, str) else ""


def latest_edit(leaves: list[Leaf]) -> dict[str, Any]:
    """One writer per document (the artisan her product, the coordinator her review): the
    newest edit wins; equal times go to CouchDB's winner (``leaves`` is best first)."""
    newest = max(_updated_at(leaf) for leaf in leaves)
    return next(body for rev, body in leaves if _updated_at((rev, body)) == newest)


def _without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


def same_movement(leaves: list[Leaf]) -> dict[str, Any]:
    """A stock movement is never edited, only added: equal bodies (but for the edit time)
    merge; different quantities are a real disagreement that a person must settle."""
    first = _without(leaves[0][1], "updated_at")
    if any(_without(body, "updated_at") != first for _, body in leaves[1:]):
        raise Unresolvable("the same stock movement was changed differently on two servers")
    return latest_edit(leaves)


ORDER_PROGRESS = ("placed", "accepted", "in_production", "ready", "shipped", "delivered")
ORDER_ENDED = ("declined", "cancelled")


def order_state(leaves: list[Leaf]) -> dict[str, Any]:
    """An order only moves forward: the furthest status wins. A decline or cancellation
    wins over a branch that got no further than ``accepted``; against work already in
    production, or against each other, it is for the coordinator to decide."""
    statuses = {body.get("status") for _, body in leaves}
    unknown = statuses - set(ORDER_PROGRESS) - set(ORDER_ENDED)
    if unknown:
        raise Unresolvable(f"unknown order status {sorted(map(str, unknown))}")
    ended = statuses & set(ORDER_ENDED)
    progress = [ORDER_PROGRESS.index(s) for s in statuses if s in ORDER_PROGRESS]
    if not ended:
        chosen = ORDER_PROGRESS[max(progress)]
    elif len(ended) == 1 and max(progress, default=0) <= ORDER_PROGRESS.index("accepted"):
        chosen = ended.pop()
    else:
        raise Unresolvable(f"order statuses {sorted(statuses)} cannot both be true")
    return latest_edit([leaf for leaf in leaves if leaf[1].get("status") == chosen])


RULES: dict[str, Callable[[list[Leaf]], dict[str, Any]]] = {
    "product": latest_edit,
    "photo": latest_edit,
    "review": latest_edit,
    "material_movement": same_movement,
    "order": order_state,
}


@dataclass
class Outcome:
    resolved: list[str]
    unresolved: list[str]


Rule = Callable[[list[Leaf]], dict[str, Any]]


def resolve(
    store: DocumentStore,
    doc_ids: Iterable[str],
    clock: Callable[[], float] = time.time,
    rules: dict[str, Rule] | None = None,
) -> Outcome:
    """Apply the rules (default :data:`RULES`) to those of ``doc_ids`` in conflict."""
    rules = RULES if rules is None else rules
    outcome = Outcome([], [])
    for doc_id in doc_ids:
        row = store.row(doc_id)
        live = [r for r in revtree.leaves(row.tree) if not row.tree[r].deleted] if row else []
        if len(live) < 2:
            _close(store, doc_id, clock())
            continue
        leaves = [(rev, store.body(doc_id, rev)) for rev in live]
        kind = (leaves[0][1] or {}).get("type")
        try:
            if any(body is None for _, body in leaves):
                raise Unresolvable("a conflicting revision's body is not on this server")
            rule = rules.get(kind)
            if rule is None:
                raise Unresolvable(f"no rule for documents of type {kind!r}")
            chosen = rule(leaves)
        except Unresolvable as exc:
            _record(store, doc_id, leaves, str(exc), clock())
            outcome.unresolved.append(doc_id)
            continue
        winner, winner_body = leaves[0]
        edits: list[dict[str, Any]] = []
        if chosen != winner_body:
            edits.append({**chosen, "_id": doc_id, "_rev": winner})
        edits += [{"_id": doc_id, "_rev": rev, "_deleted": True} for rev, _ in leaves[1:]]
        store.bulk_docs(edits, new_edits=True, check=None)
        _close(store, doc_id, clock())
        outcome.resolved.append(doc_id)
    return outcome


def _record(store: DocumentStore, doc_id: str, leaves: list[Leaf], reason: str, now: float):
    body = leaves[0][1] or {}
    coop = body.get("cooperative")
    with write_transaction(store.db):
        store.db.execute(
            "INSERT INTO replication_conflicts (doc_id, doc_type, cooperative, revs, reason, "
            "detected_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (doc_id) DO "
            "UPDATE SET doc_type = excluded.doc_type, cooperative = excluded.cooperative, "
            "revs = excluded.revs, reason = excluded.reason, resolved_at = NULL",
            [
                doc_id,
                body.get("type"),
                coop if isinstance(coop, str) else None,
                json.dumps([rev for rev, _ in leaves]),
                reason,
                now,
            ],
        )


def _close(store: DocumentStore, doc_id: str, now: float) -> None:
    """A listed conflict that is gone (someone resolved it, here or elsewhere)."""
    if store.db.execute(
        "SELECT 1 FROM replication_conflicts WHERE doc_id = ? AND resolved_at IS NULL", [doc_id]
    ).fetchone():
        with write_transaction(store.db):
            store.db.execute(
                "UPDATE replication_conflicts SET resolved_at = ? WHERE doc_id = ?", [now, doc_id]
            )


def open_conflicts(db, cooperatives: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Unresolved conflicts, newest first; only these cooperatives' unless None (admins)."""
    sql = "SELECT * FROM replication_conflicts WHERE resolved_at IS NULL"
    params: list[Any] = []
    if cooperatives is not None:
        coops = sorted(cooperatives)
        sql += f" AND cooperative IN ({','.join('?' * len(coops)) or 'NULL'})"
        params += coops
    rows = fetch_all(db, sql + " ORDER BY detected_at DESC, doc_id", params)
    for row in rows:
        row["revs"] = json.loads(row["revs"])
    return rows

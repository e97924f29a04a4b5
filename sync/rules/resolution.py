"""Per-type conflict rules, applied after replication brings a conflict in, and to
products phones push through /sync by api/services/order_feed.py (docs/architecture.md:
conflicts are designed out first, resolved second, shown third).

A rule sees every live leaf of a document, best first in CouchDB's order, and returns
the body that should win, or :class:`Unresolvable`. A rule marked :func:`with_ancestor`
also gets the body of the revision the leaves parted from (a three-way merge; None when
this server no longer has it). The result is written the way
CouchDB's documentation says to resolve a conflict ("Replication and conflict model"):
the chosen body as a new revision on the current winner (skipped when the winner already
holds it) and a tombstone on every other live leaf. Revision ids are computed from the
parent and the body (revtree.new_rev_id), so two servers resolving the same conflict
write the very same revisions and converge instead of conflicting again.

Orders merge by their step history (sync/rules/orders.py, beside their state machine).

What no rule settles stays a conflict (nothing is dropped) and gets a row in
``replication_conflicts`` for the cooperative's coordinators.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sync.rules.bulk_orders import bulk_order_state, shipment_state
from sync.rules.orders import order_state
from sync.store import revtree
from sync.store.database import fetch_all, write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import Unresolvable

Leaf = tuple[str, dict[str, Any]]  # (revision, body)


def _updated_at(leaf: Leaf) -> str:
    value = leaf[1].get("updated_at")
    return value if isinstance(value, str) else ""


def latest_edit(leaves: list[Leaf]) -> dict[str, Any]:
    """One writer per document (the artisan her product, the coordinator her review): the
    newest edit wins; equal times go to CouchDB's winner (``leaves`` is best first)."""
    newest = max(_updated_at(leaf) for leaf in leaves)
    return next(body for rev, body in leaves if _updated_at((rev, body)) == newest)


def with_ancestor(rule: Callable[[list[Leaf], dict[str, Any] | None], dict[str, Any]]):
    """Mark ``rule`` as a three-way merge: :func:`resolve` calls it as
    ``rule(leaves, ancestor_body)``, the body of the newest revision all ``leaves`` descend
    from, or None when that body is gone (stemmed or compacted) or they share none."""
    rule.merges_from_ancestor = True  # type: ignore[attr-defined]
    return rule


def _pieces(body: dict[str, Any] | None) -> int | None:
    """Pieces in stock, or None (made to order, or no count)."""
    stock = body.get("stock") if isinstance(body, dict) else None
    if not isinstance(stock, dict) or stock.get("mode") == "made_to_order":
        return None
    quantity = stock.get("quantity")
    return quantity if type(quantity) is int else None  # not a bool


def merge_quantity(ancestor: int | None, quantities: list[int]) -> int:
    """Pieces in stock after concurrent changes: each branch's change from ``ancestor``
    counts once (a reservation on the server, pieces she made or sold on her phone)."""
    if not quantities:
        raise ValueError("nothing to merge")
    if ancestor is None:
        # The count the branches started from is not known (its body was stemmed or
        # compacted away, or it counted no pieces): their changes cannot be told apart,
        # so the fewest pieces any branch has stand. The stock may read low until she
        # counts again; a piece is never sold twice.
        return max(0, min(quantities))
    return max(0, ancestor + sum(q - ancestor for q in quantities))


_MISSING = object()  # a field a body does not have


def _edit_order(leaf: Leaf) -> tuple[str, str]:
    """Later edits sort last: by ``updated_at``, then by revision id, so the order does not
    depend on which branch arrived first nor on which server settles."""
    return (_updated_at(leaf), leaf[0])


def _merge_value(base: Any, changes: list[tuple[Leaf, Any]]) -> Any:
    """One field, three-way: ``changes`` are the branches' values that differ from the
    ancestor's ``base``, in edit order. One change, or several that agree, is taken as it
    is; objects (a localised text: one entry per language; the stock) merge entry by
    entry; otherwise the later edit wins."""
    values = [value for _, value in changes]
    if all(value == values[0] for value in values[1:]):
        return values[0]
    if all(isinstance(v, dict) for v in values) and (base is _MISSING or isinstance(base, dict)):
        # Added on several branches at once (no such field before): merged all the same.
        base = {} if base is _MISSING else base
        merged: dict[str, Any] = {}
        for name in sorted({k for v in (base, *values) for k in v}):
            inner_base = base.get(name, _MISSING)
            inner = [(leaf, v.get(name, _MISSING)) for leaf, v in changes]
            inner = [(leaf, v) for leaf, v in inner if v != inner_base]
            value = _merge_value(inner_base, inner) if inner else inner_base
            if value is not _MISSING:
                merged[name] = value
        return merged
    return values[-1]


def merge_fields(leaves: list[Leaf], ancestor: dict[str, Any]) -> dict[str, Any]:
    """Field by field against the common ancestor: a field changed on one branch only
    takes that change; changed alike on several, that value; changed differently, the
    later edit (per language for localised texts, per entry for any object)."""
    ordered = sorted(leaves, key=_edit_order)
    merged: dict[str, Any] = {}
    for name in sorted({k for body in (ancestor, *(b for _, b in leaves)) for k in body}):
        base = ancestor.get(name, _MISSING)
        changes = [(leaf, leaf[1].get(name, _MISSING)) for leaf in ordered]
        changes = [(leaf, value) for leaf, value in changes if value != base]
        value = _merge_value(base, changes) if changes else base
        if value is not _MISSING:
            merged[name] = value
    return merged


@with_ancestor
def product_edit(leaves: list[Leaf], ancestor: dict[str, Any] | None) -> dict[str, Any]:
    """The product rule (and the directory's): a field-level three-way merge
    (:func:`merge_fields`) when the common ancestor's body is here, else the latest edit
    for every field; either way ``stock.quantity`` merges as a count
    (:func:`merge_quantity`), since the server writes it too when an accepted order
    reserves pieces (api/services/stock.py)."""
    chosen = latest_edit(leaves) if ancestor is None else merge_fields(leaves, ancestor)
    if _pieces(chosen) is None:
        return chosen  # made to order: no count to keep
    counts = [q for q in (_pieces(body) for _, body in leaves) if q is not None]
    merged = merge_quantity(_pieces(ancestor), counts)
    if merged == chosen["stock"]["quantity"]:
        return chosen
    return {**chosen, "stock": {**chosen["stock"], "quantity": merged}}


def _without(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in names}


def same_movement(leaves: list[Leaf]) -> dict[str, Any]:
    """A stock movement is never edited, only added: equal bodies (but for the edit time)
    merge; different quantities are a real disagreement that a person must settle."""
    first = _without(leaves[0][1], "updated_at")
    if any(_without(body, "updated_at") != first for _, body in leaves[1:]):
        raise Unresolvable("the same stock movement was changed differently on two servers")
    return latest_edit(leaves)


def progress_union(leaves: list[Leaf]) -> dict[str, Any]:
    """Her progress from two phones (or a phone restored from an old backup): what she
    did on either counts. Steps seen and lessons done are the union, each practice quiz
    its best score; her assessment answers are the latest edit's (the server grades
    them, and a pass stands)."""
    merged = dict(latest_edit(leaves))
    for name in ("steps_seen", "lessons_done"):
        seen: dict[str, None] = {}
        for _, body in leaves:
            for item in body.get(name) or []:
                if isinstance(item, str):
                    seen.setdefault(item, None)
        merged[name] = sorted(seen)
    scores: dict[str, int] = {}
    for _, body in leaves:
        for lesson, score in (body.get("quiz_scores") or {}).items():
            if isinstance(score, int) and not isinstance(score, bool):
                scores[lesson] = max(score, scores.get(lesson, score))
    if scores:
        merged["quiz_scores"] = dict(sorted(scores.items()))
    return merged


# A rule takes the leaves, or (leaves, ancestor_body) when marked with_ancestor.
Rule = Callable[..., dict[str, Any]]

RULES: dict[str, Rule] = {
    "product": product_edit,
    # Directory documents are edited by several people, like products: field by field.
    "cooperative": product_edit,
    "artisan": product_edit,
    "photo": latest_edit,
    "review": latest_edit,
    "material_movement": same_movement,
    "order": order_state,
    "progress": progress_union,
    "bulk_order": bulk_order_state,
    "shipment": shipment_state,
    # Checks and what she is owed are never edited: like movements, equal or a person's.
    "piece_check": same_movement,
    "earning": same_movement,
}


@dataclass
class Outcome:
    resolved: list[str]
    unresolved: list[str]


def _merge_from_ancestors(
    store: DocumentStore, doc_id: str, tree: revtree.Tree, leaves: list[Leaf], rule: Rule
) -> dict[str, Any]:
    """Apply a :func:`with_ancestor` rule bottom-up: branches that part below the leaves'
    common ancestor are merged first against the revision where they part, so an edit
    that two leaves share (made before they parted) counts once."""
    rank = {rev: i for i, (rev, _) in enumerate(leaves)}
    paths = {rev: revtree.ancestry(tree, rev)[::-1] for rev, _ in leaves}  # root first

    def merge(group: list[Leaf]) -> Leaf:
        if len(group) == 1:
            return group[0]
        shared = 0  # how many revisions all of the group's paths begin with
        first = paths[group[0][0]]
        while all(len(paths[r]) > shared and paths[r][shared] == first[shared] for r, _ in group):
            shared += 1
        parts: dict[str, list[Leaf]] = {}
        for leaf in group:  # by the revision each leaf goes through after the fork
            parts.setdefault(paths[leaf[0]][shared], []).append(leaf)
        merged = sorted((merge(part) for part in parts.values()), key=lambda lf: rank[lf[0]])
        # No shared revision: a forest left by stemming, so no ancestor to merge from.
        ancestor = store.body(doc_id, first[shared - 1]) if shared else None
        # The result stands for its best leaf, to keep CouchDB's order for ties.
        return merged[0][0], rule(merged, ancestor)

    return merge(leaves)[1]


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
            rule = rules.get(kind) if isinstance(kind, str) else None
            if rule is None:
                raise Unresolvable(f"no rule for documents of type {kind!r}")
            if getattr(rule, "merges_from_ancestor", False):
                chosen = _merge_from_ancestors(store, doc_id, row.tree, leaves, rule)
            else:
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

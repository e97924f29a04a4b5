"""The materials ledger's tables, kept by the store in the transaction of every write.

The store calls ``project`` with the documents whose winning revision a write changed
(sync/store/doc_rows.py, ``Projection``), whether the write came over REST, ``/sync``,
the compact protocol or from the hub. So reading a balance is one row, never a sum over
the ledger, and a balance is never behind the movements stored.

The tables hold what ``balances`` in sync/rules/ledger.py defines: each movement's
effects, counted while the movement is active (not reversed). A reversal deactivates
the movement it names, whichever of the two arrived first; a movement whose winner
changes (a conflict the hub brought) is taken out and put back as its new winner says.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlite_utils

from sync.rules.ledger import countable, effects
from sync.store.doc_rows import WinnerChange

from . import low_stock

TYPES = ("material", "material_movement")


def project(db: sqlite_utils.Database, changes: list[WinnerChange]) -> None:
    """Bring the ledger's tables in line with these documents' new winners."""
    touched: set[tuple[str, str]] = set()  # (material, place) whose balance moved
    for change in changes:
        kind = (change.body or {}).get("type")
        if kind == "material":
            _put_material(db, change.doc_id, change.body)  # type: ignore[arg-type]
            touched.add((change.doc_id, "store"))  # a new threshold may cross
            continue
        if change.body is None or kind == "material_movement":
            touched |= _forget_movement(db, change.doc_id)
        if kind == "material_movement" and countable(change.body):  # type: ignore[arg-type]
            touched |= _record_movement(db, change.doc_id, change.body)  # type: ignore[arg-type]
    low_stock.check(db, {material for material, place in touched if place == "store"})


def _put_material(db: sqlite_utils.Database, doc_id: str, body: dict[str, Any]) -> None:
    db.execute(
        "INSERT OR REPLACE INTO materials (id, cooperative, name, unit, low_stock, supplier, "
        "archived) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            doc_id,
            body["cooperative"],
            json.dumps(body.get("name") or {}, ensure_ascii=False),
            body.get("unit"),
            body.get("low_stock"),
            body.get("supplier"),
            int(bool(body.get("archived"))),
        ],
    )


def _record_movement(
    db: sqlite_utils.Database, doc_id: str, body: dict[str, Any]
) -> set[tuple[str, str]]:
    reverses = body.get("reverses") if body.get("kind") == "reversal" else None
    reversed_already = reverses is None and _is_reversed(db, doc_id)
    db.execute(
        "INSERT INTO ledger_movements (id, cooperative, kind, owner, occurred_at, body, "
        "active, reverses) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            doc_id,
            body.get("cooperative"),
            body.get("kind"),
            body.get("owner"),
            body.get("occurred_at") or body.get("created_at"),
            json.dumps(body, ensure_ascii=False),
            int(reverses is None and not reversed_already),
            reverses,
        ],
    )
    net: dict[tuple[str, str], int] = defaultdict(int)
    for material, place, delta in effects(body):
        net[(material, place)] += delta
    cost = body.get("cost_centimes") if body.get("kind") == "receive" else None
    db.conn.executemany(
        "INSERT INTO ledger_entries (movement_id, material, place, delta, cost_centimes) "
        "VALUES (?, ?, ?, ?, ?)",
        [(doc_id, m, p, d, cost) for (m, p), d in net.items()],
    )
    if body.get("kind") == "batch" and body.get("lot"):
        db.execute(
            "INSERT OR REPLACE INTO material_lots (cooperative, lot, movement_id, produced_at) "
            "VALUES (?, ?, ?, ?)",
            [body["cooperative"], body["lot"], doc_id, body.get("occurred_at")],
        )
    if reverses is not None:
        return _set_active(db, reverses, False)
    return set() if reversed_already else _apply(db, doc_id, +1)


def _forget_movement(db: sqlite_utils.Database, doc_id: str) -> set[tuple[str, str]]:
    """Take a movement's row out (its winner changed or it was deleted), and what it did."""
    row = db.execute(
        "SELECT active, reverses FROM ledger_movements WHERE id = ?", [doc_id]
    ).fetchone()
    if row is None:
        return set()
    active, reverses = row
    touched = _apply(db, doc_id, -1) if active else set()
    db.execute("DELETE FROM ledger_entries WHERE movement_id = ?", [doc_id])
    db.execute("DELETE FROM material_lots WHERE movement_id = ?", [doc_id])
    db.execute("DELETE FROM ledger_movements WHERE id = ?", [doc_id])
    if reverses is not None and not _is_reversed(db, reverses):
        touched |= _set_active(db, reverses, True)
    return touched


def _is_reversed(db: sqlite_utils.Database, doc_id: str) -> bool:
    return (
        db.execute("SELECT 1 FROM ledger_movements WHERE reverses = ?", [doc_id]).fetchone()
        is not None
    )


def _set_active(db: sqlite_utils.Database, doc_id: str, active: bool) -> set[tuple[str, str]]:
    """A reversal arrived (or went): the movement it names stops (or starts) counting."""
    changed = db.execute(
        "UPDATE ledger_movements SET active = ? WHERE id = ? AND active = ? AND reverses IS NULL",
        [int(active), doc_id, int(not active)],
    ).rowcount
    return _apply(db, doc_id, +1 if active else -1) if changed else set()


def _apply(db: sqlite_utils.Database, doc_id: str, sign: int) -> set[tuple[str, str]]:
    """Add (sign +1) or take away (-1) a movement's entries from balances and costs."""
    entries = db.execute(
        "SELECT e.material, e.place, e.delta, e.cost_centimes, m.cooperative "
        "FROM ledger_entries e JOIN ledger_movements m ON m.id = e.movement_id "
        "WHERE e.movement_id = ?",
        [doc_id],
    ).fetchall()
    db.conn.executemany(
        "INSERT INTO material_balances (material, place, cooperative, quantity) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (material, place) "
        "DO UPDATE SET quantity = quantity + excluded.quantity",
        [(m, p, coop, sign * d) for m, p, d, _, coop in entries],
    )
    db.conn.executemany(
        "INSERT INTO material_costs (material, received, cost_centimes) VALUES (?, ?, ?) "
        "ON CONFLICT (material) DO UPDATE SET received = received + excluded.received, "
        "cost_centimes = cost_centimes + excluded.cost_centimes",
        [(m, sign * d, sign * cost) for m, _, d, cost, _ in entries if cost is not None],
    )
    return {(m, p) for m, p, *_ in entries}


def rebuild(db: sqlite_utils.Database) -> int:
    """Every ledger table again from the documents (a migration; a restored backup):
    returns how many documents were projected."""
    for table in ("materials", "ledger_movements", "ledger_entries", "material_balances"):
        db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
    db.execute("DELETE FROM material_costs")
    db.execute("DELETE FROM material_lots")
    rows = db.execute(
        "SELECT d.id, r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.deleted = 0 AND json_extract(r.body, '$.type') IN (?, ?) "
        "ORDER BY json_extract(r.body, '$.type') = 'material_movement', d.seq",
        TYPES,
    ).fetchall()
    project(db, [WinnerChange(doc_id, json.loads(body)) for doc_id, body in rows])
    return len(rows)

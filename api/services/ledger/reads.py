"""Reading the ledger's tables (kept by projection.py): balances, materials, movements.
Every read is an indexed look-up or a page of one; none sums the ledger."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from schemas.ledger import STORE, UNITS, shown
from sync.store.database import fetch_all

PAGE_MAX = 200


def average_cost(received: int | None, cost: int | None) -> float | None:
    """Centimes per base unit, weighted by what was received (None: never bought)."""
    return cost / received if received and cost is not None and received > 0 else None


def _material(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "cooperative": row["cooperative"],
        "name": json.loads(row["name"]),
        "unit": row["unit"],
        "base_unit": UNITS[row["unit"]][0],
        "low_stock": row["low_stock"],
        "supplier": row["supplier"],
        "archived": bool(row["archived"]),
        "average_cost_centimes": average_cost(row.get("received"), row.get("cost_centimes")),
    }


_MATERIALS = (
    "SELECT m.*, c.received, c.cost_centimes FROM materials m "
    "LEFT JOIN material_costs c ON c.material = m.id "
)


def materials(db: sqlite_utils.Database, cooperative: str, archived: bool = False) -> list[dict]:
    where = "WHERE m.cooperative = ?" + ("" if archived else " AND m.archived = 0")
    return [
        _material(r) for r in fetch_all(db, _MATERIALS + where + " ORDER BY m.id", [cooperative])
    ]


def material(db: sqlite_utils.Database, material_id: str) -> dict[str, Any] | None:
    found = fetch_all(db, _MATERIALS + "WHERE m.id = ?", [material_id])
    return _material(found[0]) if found else None


def balances(
    db: sqlite_utils.Database,
    cooperative: str,
    *,
    place: str | None = None,
    material: str | None = None,
) -> list[dict[str, Any]]:
    """Each material's balance at each place of a cooperative (or one place, one
    material): negative balances flagged (a use recorded before its transfer synced),
    and the store's below its threshold flagged low."""
    sql = (
        "SELECT b.material, b.place, b.quantity, b.below, m.unit, m.name, m.low_stock "
        "FROM material_balances b LEFT JOIN materials m ON m.id = b.material "
        "WHERE b.cooperative = ?"
    )
    params: list[Any] = [cooperative]
    if place is not None:
        sql += " AND b.place = ?"
        params.append(place)
    if material is not None:
        sql += " AND b.material = ?"
        params.append(material)
    return [
        {
            "material": r["material"],
            "place": r["place"],
            "quantity": r["quantity"],
            "unit": r["unit"],
            "shown": shown(r["quantity"], r["unit"]) if r["unit"] else str(r["quantity"]),
            "name": json.loads(r["name"]) if r["name"] else {},
            "negative": r["quantity"] < 0,
            "low": r["place"] == STORE and bool(r["below"]),
        }
        for r in fetch_all(db, sql + " ORDER BY b.place, b.material", params)
    ]


def balance(db: sqlite_utils.Database, material: str, place: str) -> int:
    """One balance: a single primary-key look-up (0 if nothing ever moved there)."""
    row = db.execute(
        "SELECT quantity FROM material_balances WHERE material = ? AND place = ?",
        [material, place],
    ).fetchone()
    return row[0] if row else 0


def movements(
    db: sqlite_utils.Database,
    cooperative: str,
    *,
    before: int | None = None,
    limit: int = 50,
    kind: str | None = None,
    material: str | None = None,
    place: str | None = None,
) -> tuple[list[dict[str, Any]], int | None]:
    """A page of a cooperative's movements, newest first, and the cursor of the next
    page (None at the end). ``material`` and ``place`` match any entry of a movement."""
    sql = "SELECT m.seq, m.id, m.body, m.active FROM ledger_movements m WHERE m.cooperative = ?"
    params: list[Any] = [cooperative]
    if before is not None:
        sql += " AND m.seq < ?"
        params.append(before)
    if kind is not None:
        sql += " AND m.kind = ?"
        params.append(kind)
    if material is not None or place is not None:
        # A reversal has no entries of its own: it matches as the movement it undoes does.
        entries = "SELECT movement_id FROM ledger_entries WHERE 1"
        wanted: list[Any] = []
        if material is not None:
            entries += " AND material = ?"
            wanted.append(material)
        if place is not None:
            entries += " AND place = ?"
            wanted.append(place)
        sql += f" AND (m.id IN ({entries}) OR m.reverses IN ({entries}))"
        params += wanted + wanted
    limit = max(1, min(limit, PAGE_MAX))
    rows = db.execute(sql + " ORDER BY m.seq DESC LIMIT ?", [*params, limit + 1]).fetchall()
    page = [
        {**json.loads(body), "id": doc_id, "reversed": not active and _reversible(body)}
        for _, doc_id, body, active in rows[:limit]
    ]
    return page, (rows[limit - 1][0] if len(rows) > limit else None)


def _reversible(body: str) -> bool:
    return json.loads(body).get("kind") != "reversal"


def lots(db: sqlite_utils.Database, cooperative: str, names: list[str]) -> list[dict[str, Any]]:
    """The lots of these names that an active batch produced: lot and production date."""
    if not names:
        return []
    marks = ",".join("?" * len(names))
    return fetch_all(
        db,
        "SELECT l.lot, min(l.produced_at) AS produced_at FROM material_lots l "
        "JOIN ledger_movements m ON m.id = l.movement_id AND m.active = 1 "
        f"WHERE l.cooperative = ? AND l.lot IN ({marks}) GROUP BY l.lot ORDER BY l.lot",
        [cooperative, *names],
    )

"""One push to a cooperative's coordinators when a material in its store falls below its
threshold: not one per movement while it stays low, and again only after it has been
back above. Queued in the outbox in the write's own transaction (api/services/outbox.py),
so a movement that is rolled back tells no one."""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from schemas.ledger import STORE, shown

from .. import outbox


def check(db: sqlite_utils.Database, materials: Iterable[str]) -> None:
    for material in sorted(materials):
        row = db.execute(
            "SELECT b.quantity, b.below, b.falls, m.low_stock, m.unit, m.name, m.cooperative "
            "FROM material_balances b JOIN materials m ON m.id = b.material "
            "WHERE b.material = ? AND b.place = ?",
            [material, STORE],
        ).fetchone()
        if row is None:
            continue  # never in the store, or not in the catalogue (yet): nothing fell
        quantity, below, falls, threshold, unit, name, coop = row
        now_below = threshold is not None and quantity < threshold
        if now_below == bool(below):
            continue
        db.execute(
            "UPDATE material_balances SET below = ?, falls = falls + ? "
            "WHERE material = ? AND place = ?",
            [int(now_below), int(now_below), material, STORE],
        )
        if now_below:
            _tell_coordinators(
                db, material, coop, json.loads(name), shown(quantity, unit), falls + 1
            )


def _tell_coordinators(
    db: sqlite_utils.Database, material: str, coop: str, name: dict, left: str, fall: int
) -> None:
    for (coordinator,) in db.execute(
        "SELECT user_id FROM coordinator_cooperatives WHERE cooperative_id = ?", [coop]
    ).fetchall():
        outbox.enqueue(
            db,
            user_id=coordinator,
            kind="low_stock",
            data={
                "material_id": material,
                "material_name": name,
                "left": left,
                "cooperative_id": coop,
            },
            dedup_key=f"low_stock:{coordinator}:{material}:{fall}",
            collapse_key=f"low_stock:{material}",
        )

"""Public profiles: what a buyer may know about an artisan."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..errors import NotFound


def artisan(db: sqlite_utils.Database, artisan_id: str) -> dict[str, Any]:
    row = db.execute(
        "SELECT u.id, u.display_name, c.id, c.name_ar, c.name_fr, c.region FROM users u "
        "JOIN cooperatives c ON c.id = u.cooperative_id "
        "WHERE u.id = ? AND u.role = 'artisan' AND u.disabled_at IS NULL",
        [artisan_id],
    ).fetchone()
    if row is None:
        raise NotFound("No such artisan.", details={"id": artisan_id})
    count = db.execute(
        "SELECT count(*) FROM catalog_products WHERE owner = ?", [artisan_id]
    ).fetchone()[0]
    return {
        "id": row[0],
        "display_name": row[1],
        "cooperative": {"id": row[2], "name_ar": row[3], "name_fr": row[4]},
        "region": row[5],
        "products": count,
    }

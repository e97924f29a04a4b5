"""Look-ups the access rules need about people, answered from the accounts tables."""

from __future__ import annotations

import sqlite_utils


def artisan_cooperative(db: sqlite_utils.Database, artisan_id: str | None) -> str | None:
    """The cooperative of an artisan, or None if there is no such artisan."""
    if not artisan_id:
        return None
    row = db.execute(
        "SELECT cooperative_id FROM users WHERE id = ? AND role = 'artisan'", [artisan_id]
    ).fetchone()
    return row[0] if row else None


def coordinators_of(db: sqlite_utils.Database, cooperative_id: str | None) -> list[str]:
    """The user ids of a cooperative's coordinators (whom a push about it goes to)."""
    return [
        row[0]
        for row in db.execute(
            "SELECT user_id FROM coordinator_cooperatives WHERE cooperative_id = ? "
            "ORDER BY user_id",
            [cooperative_id],
        ).fetchall()
    ]

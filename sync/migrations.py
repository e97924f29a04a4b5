"""Versioned, idempotent schema migrations, applied on start and by ``flask init-db``.

Each migration runs once, in its own write transaction, and is recorded in
``schema_migrations``; running them again does nothing. Never edit a released
migration: add a new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlite_utils

from . import schema_steps
from .database import write_transaction

Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]

MIGRATIONS: list[Migration] = [
    (1, "accounts", schema_steps.accounts),
    (2, "document store", schema_steps.document_store),
    (3, "uploads", schema_steps.uploads),
    (4, "replication", schema_steps.replication),
    (5, "listings: idempotency keys, photos by hash", schema_steps.listings),
    (6, "orders and push", schema_steps.orders_push),
    (7, "public catalogue index", schema_steps.catalog),
    (8, "compact sync", schema_steps.compact_sync),
    (9, "review queue order; catalogue search re-indexed", schema_steps.review_queue),
]


def applied_versions(db: sqlite_utils.Database) -> set[int]:
    if "schema_migrations" not in db.table_names():
        return set()
    return {row["version"] for row in db["schema_migrations"].rows}


def pending(db: sqlite_utils.Database) -> list[Migration]:
    done = applied_versions(db)
    return [m for m in MIGRATIONS if m[0] not in done]


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply the pending migrations; returns the versions applied now."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    applied = []
    for version, name, fn in MIGRATIONS:
        with write_transaction(db):
            # Re-check inside the write lock: two workers starting at once must not
            # both apply the same migration.
            if db.execute(
                "SELECT 1 FROM schema_migrations WHERE version = ?", [version]
            ).fetchone():
                continue
            fn(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [version, name, time.time()],
            )
            applied.append(version)
    return applied

"""Versioned, idempotent schema migrations: the one runner every layer's steps go through.

Each layer owns the tables it creates and lists its steps as ``(version, name, step)``
(the store's in sync/store/schema_steps.py, replication's and the compact protocol's
beside them, the app's in api/schema_steps.py); version numbers are global, so steps of
different layers apply in the order they were released. Each step runs once, in its own
write transaction, and is recorded in ``schema_migrations``; running them again does
nothing. Never edit a released step: add a new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import sqlite_utils

from .database import write_transaction

Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]


def in_order(*layers: Iterable[Migration]) -> list[Migration]:
    """The steps of several layers as one list in version order; a version claimed twice
    is a programming error, caught at start-up."""
    steps = sorted((step for layer in layers for step in layer), key=lambda step: step[0])
    versions = [step[0] for step in steps]
    if len(set(versions)) != len(versions):
        raise ValueError(f"two migrations share a version: {versions}")
    return steps


def applied_versions(db: sqlite_utils.Database) -> set[int]:
    if "schema_migrations" not in db.table_names():
        return set()
    return {row["version"] for row in db["schema_migrations"].rows}


def pending(db: sqlite_utils.Database, migrations: list[Migration]) -> list[Migration]:
    done = applied_versions(db)
    return [m for m in migrations if m[0] not in done]


def migrate(db: sqlite_utils.Database, migrations: list[Migration]) -> list[int]:
    """Apply the pending ``migrations``; returns the versions applied now."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at REAL NOT NULL)"
    )
    applied = []
    for version, name, fn in migrations:
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

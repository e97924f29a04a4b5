"""Hirfa's whole schema: the sync layers' tables and the app's, in version order, applied
by the one runner (sync/store/migrations.py) on start and by ``flask init-db``."""

from __future__ import annotations

import sqlite_utils

from sync.compact import schema_steps as compact_tables
from sync.replication import schema_steps as replication_tables
from sync.store import migrations as runner
from sync.store import schema_steps as store_tables

from . import programme_schema_steps as programme_tables
from . import schema_steps as app_tables

MIGRATIONS = runner.in_order(
    store_tables.MIGRATIONS,
    replication_tables.MIGRATIONS,
    compact_tables.MIGRATIONS,
    app_tables.MIGRATIONS,
    programme_tables.MIGRATIONS,
)


def migrate(db: sqlite_utils.Database) -> list[int]:
    """Apply what is pending; returns the versions applied now."""
    return runner.migrate(db, MIGRATIONS)


def pending(db: sqlite_utils.Database) -> list[runner.Migration]:
    return runner.pending(db, MIGRATIONS)


applied_versions = runner.applied_versions

"""Replication's own tables: the worker's state and the conflicts no rule resolved.
Run once each by sync/store/migrations.py; never edit a released step."""

from __future__ import annotations

import sqlite_utils

from sync.store.database import run_script


def replication(db: sqlite_utils.Database) -> None:
    # The worker's state, so `flask replicate --status` in another process can show it;
    # and the conflicts no rule resolved, for coordinators (sync/rules/resolution.py).
    run_script(
        db,
        """
        CREATE TABLE replication_status (
            name TEXT PRIMARY KEY,
            remote TEXT NOT NULL,
            state TEXT NOT NULL,
            pid INTEGER,
            started_at REAL,
            updated_at REAL NOT NULL,
            last_attempt_at REAL,
            last_success_at REAL,
            last_error TEXT,
            last_error_at REAL,
            failures INTEGER NOT NULL DEFAULT 0,
            next_retry_at REAL,
            pending_push INTEGER,
            pending_pull INTEGER,
            docs_pushed INTEGER NOT NULL DEFAULT 0,
            docs_pulled INTEGER NOT NULL DEFAULT 0,
            conflicts_resolved INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE replication_conflicts (
            doc_id TEXT PRIMARY KEY,
            doc_type TEXT,
            cooperative TEXT,
            revs TEXT NOT NULL,
            reason TEXT NOT NULL,
            detected_at REAL NOT NULL,
            resolved_at REAL
        );
        CREATE INDEX replication_conflicts_open ON replication_conflicts(cooperative, resolved_at);
        """,
    )


def open_conflicts_by_time(db: sqlite_utils.Database) -> None:
    # The open conflicts, newest first, read from partial indexes of the open ones only
    # (sync/rules/resolution.py, open_conflicts): per cooperative for coordinators, all
    # for admins; resolved conflicts, which pile up, are never read. They replace the
    # index by (cooperative, resolved_at).
    run_script(
        db,
        """
        CREATE INDEX replication_conflicts_open_by_time
            ON replication_conflicts(detected_at DESC, doc_id) WHERE resolved_at IS NULL;
        CREATE INDEX replication_conflicts_open_by_cooperative
            ON replication_conflicts(cooperative, detected_at DESC, doc_id)
            WHERE resolved_at IS NULL;
        DROP INDEX replication_conflicts_open;
        """,
    )


MIGRATIONS = [
    (4, "replication", replication),
    (12, "open conflicts newest first, by index", open_conflicts_by_time),
]

"""The compact protocol's own tables: request outcomes by request id, what each device
pushed. Run once each by sync/store/migrations.py; never edit a released step."""

from __future__ import annotations

import sqlite_utils

from sync.store.database import run_script


def compact_sync(db: sqlite_utils.Database) -> None:
    # Outcomes of compact-protocol requests by request id, so a retry after a lost answer
    # gets the same per-document results (sync/compact/batch.py); and what each device just
    # pushed, so the pull half does not send it back.
    run_script(
        db,
        """
        CREATE TABLE compact_sync_requests (
            user_id TEXT NOT NULL,
            request_id TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            results TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (user_id, request_id)
        ) WITHOUT ROWID;
        CREATE INDEX compact_sync_requests_created ON compact_sync_requests(created_at);
        CREATE TABLE compact_sync_pushed (
            user_id TEXT NOT NULL,
            device TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            rev TEXT NOT NULL,
            seq INTEGER NOT NULL,
            PRIMARY KEY (user_id, device, doc_id)
        ) WITHOUT ROWID;
        """,
    )


MIGRATIONS = [(8, "compact sync", compact_sync)]

"""Versioned, idempotent schema migrations, applied on start and by ``flask init-db``.

Each migration runs once, in its own write transaction, and is recorded in
``schema_migrations``; running them again does nothing. Never edit a released
migration: add a new one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import sqlite_utils

from .database import write_transaction

Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Run DDL statements one by one: ``executescript`` would COMMIT our transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def _accounts(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE cooperatives (
            id TEXT PRIMARY KEY,
            name_ar TEXT NOT NULL,
            name_fr TEXT NOT NULL,
            region TEXT NOT NULL,
            categories TEXT NOT NULL DEFAULT '[]',
            created_at REAL NOT NULL
        );
        CREATE TABLE users (
            id TEXT PRIMARY KEY,
            phone TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('artisan', 'coordinator', 'buyer', 'admin')),
            display_name TEXT NOT NULL,
            locale TEXT NOT NULL DEFAULT 'ar',
            cooperative_id TEXT REFERENCES cooperatives(id),
            secret_hash TEXT NOT NULL,
            secret_kind TEXT NOT NULL CHECK (secret_kind IN ('pin', 'password')),
            session_version INTEGER NOT NULL DEFAULT 0,
            disabled_at REAL,
            created_by TEXT,
            created_at REAL NOT NULL
        );
        CREATE INDEX users_cooperative ON users(cooperative_id);
        CREATE TABLE coordinator_cooperatives (
            user_id TEXT NOT NULL REFERENCES users(id),
            cooperative_id TEXT NOT NULL REFERENCES cooperatives(id),
            PRIMARY KEY (user_id, cooperative_id)
        );
        CREATE TABLE refresh_tokens (
            id TEXT PRIMARY KEY,
            family_id TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL,
            parent_id TEXT,
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            used_at REAL,
            successor_id TEXT,
            revoked_at REAL
        );
        CREATE INDEX refresh_tokens_family ON refresh_tokens(family_id);
        CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id);
        CREATE TABLE sign_in_failures (
            key TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            first_failure_at REAL NOT NULL,
            last_failure_at REAL NOT NULL,
            locked_until REAL NOT NULL DEFAULT 0
        );
        """,
    )


def _document_store(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE store_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO store_meta (key, value) VALUES ('update_seq', 0);
        CREATE TABLE server_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO server_info (key, value) VALUES ('uuid', lower(hex(randomblob(16))));
        CREATE TABLE docs (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            tree TEXT NOT NULL,
            winner TEXT NOT NULL,
            deleted INTEGER NOT NULL,
            channels TEXT NOT NULL
        );
        CREATE UNIQUE INDEX docs_seq ON docs(seq);
        CREATE TABLE revs (
            doc_id TEXT NOT NULL,
            rev TEXT NOT NULL,
            body TEXT,
            deleted INTEGER NOT NULL,
            PRIMARY KEY (doc_id, rev)
        ) WITHOUT ROWID;
        CREATE TABLE doc_channels (
            channel TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            removed INTEGER NOT NULL,
            PRIMARY KEY (channel, doc_id)
        ) WITHOUT ROWID;
        CREATE INDEX doc_channels_seq ON doc_channels(channel, seq);
        CREATE INDEX doc_channels_doc ON doc_channels(doc_id);
        CREATE TABLE attachments (
            digest TEXT PRIMARY KEY,
            content_type TEXT NOT NULL,
            length INTEGER NOT NULL,
            data BLOB NOT NULL
        );
        CREATE TABLE local_docs (
            scope TEXT NOT NULL,
            id TEXT NOT NULL,
            rev TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (scope, id)
        ) WITHOUT ROWID;
        """,
    )


def _listings(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE idempotency_keys (
            user_id TEXT NOT NULL,
            key TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            status INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at REAL NOT NULL,
            PRIMARY KEY (user_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX revs_photo_sha256 ON revs(json_extract(body, '$.sha256'))
            WHERE json_extract(body, '$.type') = 'photo';
        """,
    )


MIGRATIONS: list[Migration] = [
    (1, "accounts", _accounts),
    (2, "document store", _document_store),
    (5, "listings: idempotency keys, photos by hash", _listings),
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

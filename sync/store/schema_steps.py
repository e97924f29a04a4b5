"""The document store's own tables. Each step runs once, at the version it was released
with (sync/store/migrations.py); never edit a released step: add a new one."""

from __future__ import annotations

import sqlite_utils

from .database import run_script


def document_store(db: sqlite_utils.Database) -> None:
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


MIGRATIONS = [(2, "document store", document_store)]

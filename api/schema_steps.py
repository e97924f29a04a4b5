"""The app's own tables (accounts, uploads, idempotency keys, catalogue, orders and push,
review queue). Run once each by sync/store/migrations.py in version order with the
sync layers' steps (api/migrations.py); never edit a released step: add a new one."""

from __future__ import annotations

import sqlite_utils

from sync.store.database import run_script


def accounts(db: sqlite_utils.Database) -> None:
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


def uploads(db: sqlite_utils.Database) -> None:
    # tus upload sessions: the bytes are in a file, the committed offset is here, so a
    # partial upload survives a restart. ``received`` because OFFSET is an SQL keyword.
    run_script(
        db,
        """
        CREATE TABLE uploads (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            length INTEGER NOT NULL CHECK (length >= 0),
            received INTEGER NOT NULL DEFAULT 0 CHECK (received BETWEEN 0 AND length),
            sha256 TEXT NOT NULL,
            metadata TEXT NOT NULL DEFAULT '{}',
            metadata_header TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            completed_at REAL
        );
        CREATE INDEX uploads_user ON uploads(user_id);
        CREATE INDEX uploads_expires ON uploads(expires_at);
        """,
    )


def listings(db: sqlite_utils.Database) -> None:
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


def orders_push(db: sqlite_utils.Database) -> None:
    # Server-only tables of orders and push (docs/architecture.md: plain tables beside the store).
    # outbox: one row per notification to one user, written in the transaction of the
    # change that calls for it; ``dedup_key`` makes a repeated enqueue a no-op.
    # push_deliveries: what each device token got, so a retry resends only to the
    # tokens that failed. order_feed: how far the order post-processing has read the
    # changes feed (conflicts, stock, notifications for moves that came by sync).
    run_script(
        db,
        """
        CREATE TABLE devices (
            token TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            platform TEXT NOT NULL,
            locale TEXT,
            app_version TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX devices_user ON devices(user_id);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            dedup_key TEXT NOT NULL UNIQUE,
            user_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            data TEXT NOT NULL,
            collapse_key TEXT,
            priority TEXT NOT NULL CHECK (priority IN ('high', 'normal')),
            created_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sent', 'no_device', 'expired', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL NOT NULL,
            claimed_until REAL NOT NULL DEFAULT 0,
            done_at REAL,
            last_error TEXT
        );
        CREATE INDEX outbox_due ON outbox(priority, next_attempt_at) WHERE state = 'pending';
        CREATE TABLE push_deliveries (
            outbox_id INTEGER NOT NULL REFERENCES outbox(id),
            token TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('sent', 'retry', 'dropped', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            message_name TEXT,
            error TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (outbox_id, token)
        ) WITHOUT ROWID;
        CREATE TABLE stock_reservations (
            order_id TEXT PRIMARY KEY,
            product_id TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            shortfall INTEGER NOT NULL DEFAULT 0,
            reserved_at REAL NOT NULL,
            released_at REAL
        );
        CREATE TABLE order_feed (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO order_feed (key, value) VALUES ('seq', 0);
        """,
    )


def catalog(db: sqlite_utils.Database) -> None:
    # The public catalogue is an index over approved product documents, brought up to
    # date from the changes feed before each read (like a CouchDB view).
    run_script(
        db,
        """
        CREATE TABLE catalog_state (
            key TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        );
        INSERT INTO catalog_state (key, value) VALUES ('indexed_seq', 0), ('version', 0);
        CREATE TABLE catalog_products (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            cooperative TEXT NOT NULL,
            owner TEXT NOT NULL,
            region TEXT,
            category TEXT NOT NULL,
            price_centimes INTEGER,
            customisable INTEGER NOT NULL,
            available INTEGER NOT NULL,
            data TEXT NOT NULL
        );
        CREATE INDEX catalog_by_seq ON catalog_products(seq);
        CREATE INDEX catalog_by_price ON catalog_products(price_centimes, id);
        CREATE INDEX catalog_by_category ON catalog_products(category, seq);
        CREATE VIRTUAL TABLE catalog_fts USING fts5(
            id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2'
        );
        """,
    )


def review_queue(db: sqlite_utils.Database) -> None:
    # The review queue's order: the store sequence at which the server first saw each
    # product submitted (api/services/reviews.py follows the changes feed into it). And a
    # catalogue rebuilt from the store: search text is now NFKC-normalised before the
    # Arabic rules, so rows indexed before this version are indexed again.
    run_script(
        db,
        """
        CREATE TABLE IF NOT EXISTS review_submissions (
            product_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS review_submissions_seq ON review_submissions(seq);
        CREATE TABLE IF NOT EXISTS review_feed (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT OR IGNORE INTO review_feed (key, value) VALUES ('seq', 0);
        DELETE FROM catalog_products;
        DELETE FROM catalog_fts;
        UPDATE catalog_state SET value = 0 WHERE key = 'indexed_seq';
        UPDATE catalog_state SET value = value + 1 WHERE key = 'version';
        """,
    )


MIGRATIONS = [
    (1, "accounts", accounts),
    (3, "uploads", uploads),
    (5, "listings: idempotency keys, photos by hash", listings),
    (6, "orders and push", orders_push),
    (7, "public catalogue index", catalog),
    (9, "review queue order; catalogue search re-indexed", review_queue),
]

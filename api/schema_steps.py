"""The app's own tables (accounts, uploads, idempotency keys, catalogue, orders and push,
review queue). Run once each by sync/store/migrations.py in version order with the
sync layers' steps (api/migrations.py); never edit a released step: add a new one."""

from __future__ import annotations

import sqlite_utils

from sync.store.database import run_script

from .services import directory_docs
from .stores import document_store

# The step that wrote the public directory's documents for existing rows.
DIRECTORY_VERSION = 13


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


def sign_in_devices(db: sqlite_utils.Database) -> None:
    # The phones and browsers that have signed in to each account (their device
    # credentials, api/services/known_devices.py), each with its own count of failures
    # (api/services/throttle.py). The counts of the old lock-out (up to 24 hours, and
    # per-address windows counted another way) are dropped: they would lock people out
    # under rules that no longer apply.
    run_script(
        db,
        """
        CREATE TABLE sign_in_devices (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES users(id),
            created_at REAL NOT NULL,
            last_success_at REAL NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX sign_in_devices_user ON sign_in_devices(user_id, last_success_at);
        DELETE FROM sign_in_failures;
        """,
    )


def list_indexes(db: sqlite_utils.Database) -> None:
    # The lists of products and orders read list_index, kept from the changes feed
    # before each read (api/services/list_index.py): a row per document and channel
    # (a copy of doc_channels, plus channel '*' for admins) with the type, status and
    # category of the winner; two indexes, by type and by type and status, each in
    # sequence order (a page is a range read in change order) and carrying the category
    # (a filter on it reads the index alone). list_counts: live documents per channel,
    # type and status (the review queue's counts). The review queue's order gets the
    # cooperative and category it is filtered by.
    run_script(
        db,
        """
        CREATE TABLE list_index (
            channel TEXT NOT NULL,
            doc_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            kind TEXT,
            status TEXT,
            category TEXT,
            PRIMARY KEY (channel, doc_id)
        ) WITHOUT ROWID;
        CREATE INDEX list_index_kind ON list_index(channel, kind, seq, category);
        CREATE INDEX list_index_status ON list_index(channel, kind, status, seq, category);
        CREATE TABLE list_counts (
            channel TEXT NOT NULL,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (channel, kind, status)
        ) WITHOUT ROWID;
        CREATE TABLE list_index_state (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO list_index_state (key, value) VALUES ('seq', 0);
        ALTER TABLE review_submissions ADD COLUMN cooperative TEXT;
        ALTER TABLE review_submissions ADD COLUMN category TEXT;
        UPDATE review_submissions SET (cooperative, category) = (
            SELECT json_extract(r.body, '$.cooperative'), json_extract(r.body, '$.category')
            FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner
            WHERE d.id = review_submissions.product_id
        );
        CREATE INDEX review_submissions_cooperative ON review_submissions(cooperative, seq);
        CREATE INDEX review_submissions_cooperative_category
            ON review_submissions(cooperative, category, seq);
        CREATE INDEX review_submissions_category ON review_submissions(category, seq);
        """,
    )


def directory_documents(db: sqlite_utils.Database) -> None:
    # Cooperatives and artisans get their public profile documents (cooperative:<id>,
    # artisan:<user id>), written through the store so they sync to phones and replicate
    # to the hub; from now on the services write them with the rows.
    directory_docs.write_all(db)


def directory_for_artisans(db: sqlite_utils.Database) -> None:
    # Directory documents are now also in directory:<cooperative>, which its artisans
    # read (sync/rules/access.py): routed again, with new sequences, so phones that
    # synced before this version receive them too.
    ids = [
        r[0]
        for r in db.execute(
            "SELECT id FROM docs WHERE id LIKE 'cooperative:%' OR id LIKE 'artisan:%'"
        )
    ]
    document_store(db).reroute(ids)


MIGRATIONS = [
    (1, "accounts", accounts),
    (3, "uploads", uploads),
    (5, "listings: idempotency keys, photos by hash", listings),
    (6, "orders and push", orders_push),
    (7, "public catalogue index", catalog),
    (9, "review queue order; catalogue search re-indexed", review_queue),
    (10, "sign-in devices; lock-outs counted anew", sign_in_devices),
    (11, "list indexes: lists of products and orders, review queue", list_indexes),
    (DIRECTORY_VERSION, "the public directory as documents", directory_documents),
    (14, "directory documents reach their cooperative's artisans", directory_for_artisans),
]

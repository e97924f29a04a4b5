"""The tables of what the cooperatives' programmes asked for beside the listings: the
raw-materials ledger, training and certificates, workshop places and page views (the
core app's are in api/schema_steps.py; api/migrations.py puts both in version order).
Never edit a released step: add a new one."""

from __future__ import annotations

import sqlite_utils

from sync.store.database import run_script

from .services.bulk import projection as bulk_projection
from .services.ledger import legacy as ledger_legacy
from .services.ledger import projection as ledger_projection


def materials_ledger(db: sqlite_utils.Database) -> None:
    # The raw-materials ledger (api/services/ledger/projection.py keeps these tables in
    # the transaction of every write): materials, movements and their effects, balances
    # per material and place, receipts for the average cost, lots of production batches.
    run_script(
        db,
        """
        CREATE TABLE materials (
            id TEXT PRIMARY KEY,
            cooperative TEXT NOT NULL,
            name TEXT NOT NULL,
            unit TEXT NOT NULL,
            low_stock INTEGER,
            supplier TEXT,
            archived INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX materials_cooperative ON materials(cooperative, id);
        CREATE TABLE ledger_movements (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            cooperative TEXT NOT NULL,
            kind TEXT NOT NULL,
            owner TEXT,
            occurred_at TEXT,
            body TEXT NOT NULL,
            active INTEGER NOT NULL,
            reverses TEXT
        );
        CREATE INDEX ledger_movements_cooperative ON ledger_movements(cooperative, seq);
        CREATE INDEX ledger_movements_reverses ON ledger_movements(reverses)
            WHERE reverses IS NOT NULL;
        CREATE TABLE ledger_entries (
            movement_id TEXT NOT NULL,
            material TEXT NOT NULL,
            place TEXT NOT NULL,
            delta INTEGER NOT NULL,
            cost_centimes INTEGER,
            PRIMARY KEY (movement_id, material, place)
        ) WITHOUT ROWID;
        CREATE INDEX ledger_entries_place ON ledger_entries(material, place, movement_id);
        CREATE TABLE material_balances (
            material TEXT NOT NULL,
            place TEXT NOT NULL,
            cooperative TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            below INTEGER NOT NULL DEFAULT 0,
            falls INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (material, place)
        ) WITHOUT ROWID;
        CREATE INDEX material_balances_cooperative ON material_balances(cooperative, place);
        CREATE TABLE material_costs (
            material TEXT PRIMARY KEY,
            received INTEGER NOT NULL,
            cost_centimes INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE material_lots (
            cooperative TEXT NOT NULL,
            lot TEXT NOT NULL,
            movement_id TEXT NOT NULL,
            produced_at TEXT,
            PRIMARY KEY (cooperative, lot, movement_id)
        ) WITHOUT ROWID;
        """,
    )
    ledger_projection.rebuild(db)


def integer_movements(db: sqlite_utils.Database) -> None:
    # Movements stored under the first schema (a float quantity in a free unit, a free
    # material name) are written again in integers of a base unit, naming a material of
    # the cooperative's catalogue (created for them).
    ledger_legacy.convert_all(db)


def training(db: sqlite_utils.Database) -> None:
    # Training (docs/training.md): the assessment keys phones never see, practical
    # skills attested by trainers, certificates by their verification code (what /v/{code}
    # reads), the signing keys (old ones kept so older certificates still verify), and
    # the checkpoint of the follower that grades and issues.
    run_script(
        db,
        """
        CREATE TABLE assessment_keys (
            course_id TEXT NOT NULL,
            question_id TEXT NOT NULL,
            answer TEXT NOT NULL,
            PRIMARY KEY (course_id, question_id)
        ) WITHOUT ROWID;
        CREATE TABLE practical_attestations (
            course_id TEXT NOT NULL,
            artisan_id TEXT NOT NULL,
            attested_by TEXT NOT NULL,
            note TEXT,
            attested_at TEXT NOT NULL,
            PRIMARY KEY (course_id, artisan_id)
        ) WITHOUT ROWID;
        CREATE TABLE certificates (
            code TEXT PRIMARY KEY,
            credential_id TEXT NOT NULL UNIQUE,
            course_id TEXT NOT NULL,
            artisan_id TEXT NOT NULL,
            cooperative_id TEXT NOT NULL,
            holder_name TEXT NOT NULL,
            course_title TEXT NOT NULL,
            issuer_name TEXT NOT NULL,
            hours INTEGER NOT NULL,
            issued_at TEXT NOT NULL,
            kid TEXT NOT NULL,
            revoked_at TEXT,
            revoked_reason TEXT,
            UNIQUE (course_id, artisan_id)
        );
        CREATE INDEX certificates_revoked ON certificates(revoked_at) WHERE revoked_at IS NOT NULL;
        CREATE TABLE signing_keys (
            kid TEXT PRIMARY KEY,
            private_pem TEXT NOT NULL,
            public_jwk TEXT NOT NULL,
            created_at TEXT NOT NULL,
            retired_at TEXT
        );
        CREATE TABLE training_feed (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO training_feed (key, value) VALUES ('seq', 0);
        """,
    )


def session_places(db: sqlite_utils.Database) -> None:
    # Workshop places (docs/visits.md), counted on the cooperative's home server: one row
    # per session, booked moved by one conditional UPDATE in the booking's transaction.
    run_script(
        db,
        """
        CREATE TABLE session_places (
            workshop_id TEXT NOT NULL,
            session_id TEXT NOT NULL,
            capacity INTEGER NOT NULL CHECK (capacity >= 0),
            booked INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
            PRIMARY KEY (workshop_id, session_id)
        ) WITHOUT ROWID;
        """,
    )


def page_views(db: sqlite_utils.Database) -> None:
    # Views of the public pages per day, page and source (api/services/analytics/): written
    # by the view counter's flush, a few seconds' worth per transaction. No address is
    # stored: a visitor is a hash of (address, user agent, the day's salt); the salt and
    # the hashes are kept for today only, so yesterday's visitors cannot be recognised.
    run_script(
        db,
        """
        CREATE TABLE page_views (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            source TEXT NOT NULL,
            views INTEGER NOT NULL DEFAULT 0,
            previews INTEGER NOT NULL DEFAULT 0,
            visitors INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (day, kind, target, source)
        ) WITHOUT ROWID;
        CREATE INDEX page_views_target ON page_views(kind, target, day);
        CREATE TABLE view_salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE view_visitors (
            day TEXT NOT NULL,
            kind TEXT NOT NULL,
            target TEXT NOT NULL,
            visitor BLOB NOT NULL,
            PRIMARY KEY (day, kind, target, visitor)
        ) WITHOUT ROWID;
        """,
    )


def bulk_orders(db: sqlite_utils.Database) -> None:
    # Bulk orders (api/services/bulk/projection.py keeps these in the transaction of every
    # write): the documents of each bulk order, and each artisan's entries of what the
    # cooperative owes her, signed (paid negative) so a balance is one sum. The feed that
    # settles shipments and tells people has its own checkpoint.
    run_script(
        db,
        """
        CREATE TABLE bulk_members (
            doc_id TEXT PRIMARY KEY,
            bulk_id TEXT NOT NULL,
            kind TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX bulk_members_bulk ON bulk_members(bulk_id, kind);
        CREATE TABLE earning_entries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            artisan TEXT NOT NULL,
            cooperative TEXT NOT NULL,
            kind TEXT NOT NULL,
            signed_centimes INTEGER NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX earning_entries_artisan ON earning_entries(artisan, at, seq);
        CREATE INDEX earning_entries_cooperative ON earning_entries(cooperative, at, seq);
        CREATE TABLE bulk_feed (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO bulk_feed (key, value) VALUES ('seq', 0);
        """,
    )
    bulk_projection.rebuild(db)


MIGRATIONS = [
    (15, "the materials ledger", materials_ledger),
    (16, "material movements in integer base units", integer_movements),
    (17, "training: assessment keys, attestations, certificates, signing keys", training),
    (18, "workshop places per session", session_places),
    (19, "page views per day, page and source; today's visitor hashes", page_views),
    (20, "bulk orders' members, artisans' earnings, the bulk feed's checkpoint", bulk_orders),
]

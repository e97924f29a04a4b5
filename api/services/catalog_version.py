"""The catalogue's version, in every catalogue ETag: bumped whenever what a page shows may
have changed.

Indexing bumps it (api/services/catalog.py) for what comes through the changes feed.
Names and disabled flags live in plain tables the feed never shows, so whoever changes
them (api/services/accounts.py) bumps it in the same write transaction. Its own module
because the catalogue imports the accounts service (through photo_docs), not the reverse.
"""

from __future__ import annotations

import sqlite_utils


def current(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT value FROM catalog_state WHERE key = 'version'").fetchone()[0]


def bump(db: sqlite_utils.Database) -> None:
    """Call inside the write transaction that made the change."""
    db.execute("UPDATE catalog_state SET value = value + 1 WHERE key = 'version'")

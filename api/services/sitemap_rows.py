"""What the sitemap lists, read from the catalogue index and the directory documents:
every product the catalogue shows and every cooperative with a public page, with when
each last changed (api/web/seo.py writes the XML)."""

from __future__ import annotations

import sqlite_utils

from . import directory_docs
from .catalog import DISABLED

PREFIX = directory_docs.cooperative_doc_id("")


def products(db: sqlite_utils.Database) -> list[tuple[str, str | None, str | None]]:
    """(id, cooperative, updated_at) of every product the catalogue shows."""
    return db.execute(
        "SELECT c.id, c.cooperative, json_extract(r.body, '$.updated_at') "
        "FROM catalog_products c JOIN docs d ON d.id = c.id "
        "LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        f"WHERE c.owner NOT IN ({DISABLED}) ORDER BY c.id"
    ).fetchall()


def cooperatives(db: sqlite_utils.Database) -> dict[str, str | None]:
    """id -> updated_at of every cooperative with a public page."""
    found: dict[str, str | None] = {
        row[0]: None for row in db.execute("SELECT id FROM cooperatives ORDER BY id")
    }
    for doc_id, updated in db.execute(
        "SELECT d.id, json_extract(r.body, '$.updated_at') FROM docs d "
        "JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.id >= ? AND d.id < ? AND d.deleted = 0 "
        "AND json_extract(r.body, '$.type') = 'cooperative'",
        [PREFIX, PREFIX[:-1] + chr(ord(PREFIX[-1]) + 1)],
    ):
        found[doc_id.removeprefix(PREFIX)] = updated
    return found

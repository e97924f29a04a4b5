"""The artisan's own figures on her phone: ``insights:<artisan id>``, a document of type
``insights_summary`` in her channel and her cooperative's (sync/rules/insights.py), the
last four weeks per product: views, shared previews, orders, delivered value.

Written by the server alone (refused over /sync), by the dispatcher's pass at most once
an hour (api/workers.py), and only when its figures changed, so a quiet hour costs her
phone nothing to sync; an artisan with no figures yet has none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from schemas.insights import SUMMARY_TYPE, SUMMARY_WEEKS, summary_id
from sync.store.documents import DocumentStore

from .. import list_index
from . import figures as figures_mod
from .figures import COOPERATIVE_PAGE, Figures
from .periods import Period, last_weeks

EVERY_SECONDS = 3600
_STAMPS = ("_id", "_rev", "created_at", "updated_at")


def artisans_with_products(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(artisan, cooperative) of every artisan account that has listed something: her
    channel's rows in the list index, not a walk of the store."""
    list_index.follow(db)
    return db.execute(
        "SELECT u.id, u.cooperative_id FROM users u WHERE u.role = 'artisan' "
        "AND u.cooperative_id IS NOT NULL AND u.disabled_at IS NULL "
        "AND EXISTS (SELECT 1 FROM list_index l "
        "WHERE l.channel = 'artisan:' || u.id AND l.kind = 'product') ORDER BY u.id"
    ).fetchall()


def body(figures: Figures) -> dict[str, Any]:
    """The summary's fields (without id, revision or stamps)."""
    products = []
    for page, cell in figures.by_page():
        if page == COOPERATIVE_PAGE:
            continue
        product = figures.products.get(page)
        products.append(
            {
                "product_id": page,
                "title": (product.title if product else {}) or {},
                "views": cell.views,
                "previews": cell.previews,
                "orders": cell.orders,
                "delivered_centimes": cell.delivered_centimes,
            }
        )
    total = figures.total()
    return {
        "type": SUMMARY_TYPE,
        "owner": figures.artisan,
        "cooperative": figures.cooperative,
        "weeks": list(figures.period.weeks),
        "period_start": figures.period.first_day,
        "period_end": figures.period.last_day,
        "products": products,
        "totals": {
            "views": total.views,
            "previews": total.previews,
            "orders": total.orders,
            "delivered_centimes": total.delivered_centimes,
        },
    }


def write(store: DocumentStore, artisan: str, cooperative: str, period: Period) -> bool:
    """Write her summary if its figures changed; True when written."""
    fresh = body(figures_mod.of_artisan(store.db, artisan, cooperative, period))
    doc_id = summary_id(artisan)
    current = store.winner_body(doc_id)
    if current and {k: v for k, v in current.items() if k not in _STAMPS} == fresh:
        return False
    if not current and not any(fresh["totals"].values()):
        return False  # nothing yet: her phone gets the document with her first figures
    stamp = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    doc = {"_id": doc_id, **fresh, "updated_at": stamp}
    row = store.row(doc_id)
    if row is not None:
        doc["_rev"] = row.winner
        if current and current.get("created_at"):
            doc["created_at"] = current["created_at"]
    else:
        doc["created_at"] = stamp
    # The server's own write: no check, since every user's check refuses a summary.
    store.put(doc, check=None)
    return True


def refresh(store: DocumentStore, now: float) -> int:
    """Bring every artisan's summary up to date; returns how many were written."""
    period = last_weeks(SUMMARY_WEEKS, datetime.fromtimestamp(now, UTC).date())
    return sum(
        write(store, artisan, coop, period) for artisan, coop in artisans_with_products(store.db)
    )

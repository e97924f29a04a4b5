"""Demo page views: twelve weeks of plausible counts in ``page_views`` for the demo
cooperatives' approved products and their own pages, so /review/insights, the CSV and
the artisans' summaries have something to show. WhatsApp brings most views (and most
shared previews), then Facebook, people typing the address, a few shared links and
Hirfa's own pages; a fair's QR code brings a burst one weekend three weeks ago.

Idempotent: a day's row that exists (from an earlier seed or from real counting) is
kept, so running it again adds only the days since. Deterministic: the same day, page
and source always get the same numbers.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import sqlite_utils

from api.services.insights.figures import has_page_views
from sync.store.database import write_transaction

from .demo import COOPERATIVES
from .demo_products import LISTINGS

DAYS = 84
# (source, share of a day's views, previews per view)
MIX = (
    ("whatsapp", 0.52, 0.18),
    ("facebook", 0.18, 0.10),
    ("direct", 0.14, 0.0),
    ("internal", 0.09, 0.0),
    ("link", 0.05, 0.05),
    ("ref:www.instagram.com", 0.02, 0.0),
)


def _day_views(rng: random.Random, day: date, base: int, age: int) -> int:
    weekend = 1.4 if day.weekday() in (4, 5) else 1.0  # Friday and Saturday are busier
    trend = 1 + (DAYS - age) / DAYS * 0.5  # a little more each week
    return max(0, round(rng.gauss(base * weekend * trend, base * 0.3)))


def _rows(kind: str, target: str, base: int, today: date, fair: date):
    for age in range(DAYS, -1, -1):
        day = today - timedelta(days=age)
        rng = random.Random(f"{kind}|{target}|{day.isoformat()}")
        total = _day_views(rng, day, base, age)
        for source, share, preview_rate in MIX:
            views = round(total * share * rng.uniform(0.7, 1.3))
            previews = round(views * preview_rate * rng.uniform(0.5, 1.5))
            if views or previews:
                visitors = max(1, round(views * rng.uniform(0.6, 0.85))) if views else 0
                yield day.isoformat(), kind, target, source, views, previews, visitors
        if day in (fair, fair + timedelta(days=1)):
            views = round(base * rng.uniform(2.0, 3.5))
            yield day.isoformat(), kind, target, "qr", views, 0, round(views * 0.9)


def populate_insights(db: sqlite_utils.Database, today: date | None = None) -> dict[str, int]:
    """Add the demo counts; returns how many rows were added."""
    if not has_page_views(db):
        return {"page_views": 0}
    today = today or datetime.now(UTC).date()
    # The fair: the Saturday three weeks back.
    fair = today - timedelta(days=21 + (today.weekday() - 5) % 7)
    pages = [("cooperative", coop["id"], 3) for coop in COOPERATIVES]
    for n, (_, _, pid, *_rest, status, _title) in enumerate(LISTINGS):
        if status == "approved":
            pages.append(("product", f"product:{pid}", 6 + (n * 7) % 9))
    added = 0
    with write_transaction(db):
        for kind, target, base in pages:
            if (
                kind == "product"
                and db.execute("SELECT 1 FROM docs WHERE id = ?", [target]).fetchone() is None
            ):
                continue  # the listing was not seeded (--no-products)
            rows = list(_rows(kind, target, base, today, fair))
            before = db.conn.total_changes
            db.conn.executemany(
                "INSERT OR IGNORE INTO page_views "
                "(day, kind, target, source, views, previews, visitors) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            added += db.conn.total_changes - before
    return {"page_views": added}

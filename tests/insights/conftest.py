"""A hand-made month of page views and orders for the Taza cooperative (and a little of
Essaouira's, which Taza must never see), with the figures it must add up to."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from api.services.insights.periods import last_weeks
from sync.store.database import write_transaction

TAZA, ARGAN = "coop-taza-zerbia", "coop-essaouira-argan"
RUG, HANBEL, OIL = "product:rug-azilal", "product:hanbel", "product:argan-oil"
RUG_TITLE = {"ar": "زربية عزيلال", "fr": "Tapis Azilal", "en": "Azilal rug"}

PAGE_VIEWS = """
CREATE TABLE IF NOT EXISTS page_views (
    day TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, source TEXT NOT NULL,
    views INTEGER NOT NULL DEFAULT 0, previews INTEGER NOT NULL DEFAULT 0,
    visitors INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, kind, target, source)
) WITHOUT ROWID
"""


def _product(doc_id, owner, coop, title, price):
    return {
        "_id": doc_id,
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "listed_by": owner,
        "title": title,
        "category": "carpets",
        "status": "approved",
        "price_centimes": price,
        "stock": {"mode": "made_to_order", "production_days": 20},
        "photos": [],
        "created_at": "2026-01-05T10:00:00Z",
        "updated_at": "2026-01-05T10:00:00Z",
    }


def _order(n, product, artisan, coop, created, total, status="placed", delivered=None):
    history = [{"status": "placed", "by": "buy_claire", "role": "buyer", "at": created}]
    if delivered:
        step = {"status": "delivered", "by": "buy_claire", "role": "buyer", "at": delivered}
        history.append(step)
    return {
        "_id": f"order:fixture{n}",
        "type": "order",
        "buyer": "buy_claire",
        "artisan": artisan,
        "cooperative": coop,
        "product_id": product,
        "product_rev": "1-x",
        "product_title": {"fr": "?"},
        "quantity": 1,
        "options": [],
        "unit_price_centimes": total,
        "total_centimes": total,
        "currency": "MAD",
        "delivery": {"name": "C", "phone": "+33600000001", "address": "1 rue", "city": "Lyon",
                     "country": "FR"},
        "message": "",
        "status": status,
        "history": history,
        "created_at": created,
        "updated_at": delivered or created,
    }  # fmt: skip


class Month:
    """The fixture's data, written into an app, and what it must add up to."""

    def __init__(self, app):
        self.app = app
        self.period = last_weeks(4)
        self.mondays = self.period.mondays  # oldest first; [3] is this week's

    def day(self, week: int, plus: int = 0) -> str:
        return (self.mondays[week] + timedelta(days=plus)).isoformat()

    def stamp(self, week: int, plus: int = 0) -> str:
        return f"{self.day(week, plus)}T10:00:00Z"

    def views(self, *rows) -> None:
        """(day, kind, target, source, views, previews, visitors)"""
        hirfa = self.app.extensions["hirfa"]
        db = hirfa.open_db()
        try:
            with write_transaction(db):
                db.execute(PAGE_VIEWS)
                db.conn.executemany(
                    "INSERT INTO page_views VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                    "(day, kind, target, source) DO UPDATE SET views = views + excluded.views, "
                    "previews = previews + excluded.previews, "
                    "visitors = visitors + excluded.visitors",
                    rows,
                )
        finally:
            db.close()

    def put(self, *docs) -> None:
        with self.app.app_context():
            store = self.app.extensions["hirfa"].store()
            for doc in docs:
                current = store.row(doc["_id"])
                store.put({**doc, "_rev": current.winner} if current else doc)

    def build(self) -> Month:
        long_ago = (self.mondays[0] - timedelta(weeks=6)).isoformat()
        self.put(
            _product(RUG, "art_fatima", TAZA, RUG_TITLE, 280000),
            _product(HANBEL, "art_khadija", TAZA, {"fr": "Hanbel de Taza"}, 160000),
            _product(OIL, "art_zahra", ARGAN, {"fr": "Huile d'argan"}, 15000),
            _order(1, RUG, "art_fatima", TAZA, self.stamp(1), 450000),
            _order(2, RUG, "art_fatima", TAZA, self.stamp(0, 2), 280000, "delivered",
                   self.stamp(2, 1)),
            _order(3, HANBEL, "art_khadija", TAZA, f"{long_ago}T09:00:00Z", 160000,
                   "delivered", self.stamp(3)),
            _order(4, OIL, "art_zahra", ARGAN, self.stamp(1), 15000),
            _order(5, RUG, "art_fatima", TAZA, f"{long_ago}T09:00:00Z", 99900, "cancelled"),
        )  # fmt: skip
        before = (self.mondays[0] - timedelta(days=3)).isoformat()
        self.views(
            (self.day(0), "product", RUG, "whatsapp", 10, 3, 8),
            (self.day(0, 1), "product", RUG, "facebook", 4, 1, 4),
            (self.day(3), "product", RUG, "whatsapp", 5, 0, 5),
            (self.day(3), "product", RUG, "qr", 2, 0, 2),
            (self.day(1, 4), "product", HANBEL, "direct", 7, 0, 6),
            (self.day(2), "cooperative", TAZA, "whatsapp", 6, 2, 5),
            (self.day(0), "product", OIL, "whatsapp", 100, 20, 90),  # Essaouira's
            (before, "product", RUG, "whatsapp", 50, 5, 40),  # before the period
            (self.day(1), "catalog", "", "direct", 30, 0, 25),  # the catalogue: no one's
        )
        return self

    # What Taza's four weeks add up to.
    TOTALS = {"views": 34, "previews": 6, "visitors": 30, "orders": 2, "delivered": 2,
              "delivered_centimes": 440000}  # fmt: skip
    WEEK_VIEWS = [14, 7, 6, 7]
    WEEK_ORDERS = [1, 1, 0, 0]
    SOURCES = {"whatsapp": (21, 5, 18), "facebook": (4, 1, 4), "qr": (2, 0, 2),
               "direct": (7, 0, 6)}  # fmt: skip
    # Fatima's: her rug only.
    FATIMA = {"views": 21, "previews": 4, "visitors": 19, "orders": 2, "delivered": 1,
              "delivered_centimes": 280000}  # fmt: skip


@pytest.fixture
def month(app) -> Month:
    return Month(app).build()


@pytest.fixture
def today() -> date:
    return date.today()

"""The figures from a hand-made month of page views and orders: per ISO week, source and
page, for a cooperative and for one artisan; nothing of another cooperative's."""

from __future__ import annotations

from api.services.insights import figures
from api.services.insights.figures import COOPERATIVE_PAGE
from api.services.insights.periods import MAX_WEEKS, last_weeks, page_weeks, week_of

from .conftest import ARGAN, HANBEL, OIL, RUG, TAZA, Month


def _db(app):
    return app.extensions["hirfa"].open_db()


def test_a_cooperative_s_weeks_sources_and_pages(app, month):
    db = _db(app)
    try:
        found = figures.of_cooperative(db, TAZA, month.period)
    finally:
        db.close()
    assert found.total().as_dict() == Month.TOTALS
    weeks = found.by_week()
    assert [w for w, _, _ in weeks] == [week_of(m) for m in month.mondays]
    assert [c.views for _, _, c in weeks] == Month.WEEK_VIEWS
    assert [c.orders for _, _, c in weeks] == Month.WEEK_ORDERS
    assert [c.delivered_centimes for _, _, c in weeks] == [0, 0, 280000, 160000]
    assert {s: (c.views, c.previews, c.visitors) for s, c in found.by_source()} == Month.SOURCES
    assert [s for s, _ in found.by_source()] == ["whatsapp", "facebook", "qr", "direct"]
    pages = dict(found.by_page())
    assert list(pages)[0] == COOPERATIVE_PAGE and pages[COOPERATIVE_PAGE].views == 6
    assert (pages[RUG].views, pages[RUG].orders, pages[RUG].delivered) == (21, 2, 1)
    assert (pages[HANBEL].views, pages[HANBEL].delivered_centimes) == (7, 160000)
    assert OIL not in pages and found.products[RUG].title["fr"] == "Tapis Azilal"


def test_an_artisan_s_figures_are_her_own_products(app, month):
    db = _db(app)
    try:
        fatima = figures.of_artisan(db, "art_fatima", TAZA, month.period)
        zahra = figures.of_artisan(db, "art_zahra", ARGAN, month.period)
    finally:
        db.close()
    assert fatima.total().as_dict() == Month.FATIMA
    assert [p for p, _ in fatima.by_page()] == [RUG]  # no cooperative page for her
    assert zahra.total().views == 100 and zahra.total().orders == 1


def test_periods_are_whole_weeks_and_at_most_a_year():
    period = last_weeks(12)
    assert len(period.weeks) == 12 and period.start.weekday() == 0
    assert period.end.weekday() == 6 and (period.end - period.start).days == 12 * 7 - 1
    assert last_weeks(MAX_WEEKS).weeks[-1] == period.weeks[-1]
    for wrong in (0, MAX_WEEKS + 1, 520):
        try:
            last_weeks(wrong)
        except ValueError:
            continue
        raise AssertionError(wrong)
    assert [page_weeks(v) for v in ("4", "12", "26", "52", "x", None, "٤")] == [
        4, 12, 26, 4, 4, 4, 4
    ]  # fmt: skip

"""A cooperative's (or an artisan's) figures as CSV: one row per week, page and source
with something in it, oldest week first. UTF-8 with a byte-order mark, like the ledger's
(api/services/ledger/export.py), values in dirhams as exact decimals.

The page column says ``product`` or ``cooperative`` (the cooperative's own page, no
product id). Orders have no source: their figures are on rows whose source is empty.
The figures are summed first (a year of weeks × products × sources is small), then the
rows are written a page at a time as the answer streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..ledger.export import name_in
from ..spreadsheet import csv_lines, mad, on_own_connection, pages_of, spreadsheet_text
from . import figures as figures_mod
from .figures import COOPERATIVE_PAGE, Figures
from .periods import Period

PAGE = 500
COLUMNS = (
    "week",
    "week_start",
    "page",
    "product_id",
    "product_title",
    "source",
    "views",
    "previews",
    "visitors",
    "orders",
    "delivered_orders",
    "delivered_mad",
)


def filename(cooperative: str, period: Period) -> str:
    return f"insights-{cooperative}-{period.weeks[0]}-{period.weeks[-1]}.csv"


def streamed(pool: Any, cooperative: str, period: Period, lang: str) -> Iterator[str]:
    return on_own_connection(
        pool, lambda db: rows(figures_mod.of_cooperative(db, cooperative, period), lang)
    )


def rows(figures: Figures, lang: str) -> Iterator[str]:
    return csv_lines(COLUMNS, pages_of(_rows(figures, lang), PAGE))


def _rows(figures: Figures, lang: str) -> Iterator[list]:
    mondays = dict(zip(figures.period.weeks, figures.period.mondays, strict=True))
    for week, page, source, cell in figures.rows():
        product = figures.products.get(page)
        yield [
            week,
            mondays[week].isoformat(),
            "cooperative" if page == COOPERATIVE_PAGE else "product",
            page,
            spreadsheet_text(name_in(product.title, lang) if product else ""),
            source,
            cell.views,
            cell.previews,
            cell.visitors,
            cell.orders,
            cell.delivered,
            mad(cell.delivered_centimes),
        ]

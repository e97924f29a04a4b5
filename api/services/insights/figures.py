"""The figures of a cooperative, or of one artisan, over a period of ISO weeks.

Views, shared previews (link-preview fetches) and visitors come from ``page_views``
(one row per day, page and source; api/services/analytics/): the cooperative's product
pages and its own page, for a cooperative; her product pages, for an artisan. Visitors
are the sum of each day's distinct visitors. Orders and deliveries come from the order
documents of the cooperative's (or her) channel, found through the list index
(api/services/list_index.py) rather than a walk of the store: an order counts in the
week it was placed (whatever became of it), a delivery in the week of its ``delivered``
step, at the order's ``total_centimes``. Orders have no source: they sit on the rows
whose source is ``""``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

import sqlite_utils

from sync.store.database import read_snapshot

from .. import list_index
from .periods import Period

COOPERATIVE_PAGE = ""  # the page key of the cooperative's own page
NO_SOURCE = ""  # the source of the order figures
# The known sources, in the order the tables show them; `ref:<host>` ones come after.
SOURCES = ("whatsapp", "facebook", "qr", "link", "direct", "internal", "other")
_CHUNK = 400  # page ids per IN list, well under SQLite's 32,766 variables


@dataclass
class Cell:
    views: int = 0
    previews: int = 0
    visitors: int = 0
    orders: int = 0
    delivered: int = 0
    delivered_centimes: int = 0

    def add(self, other: Cell) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __bool__(self) -> bool:
        return any(self.as_dict().values())


@dataclass
class Product:
    id: str
    title: dict[str, str]
    owner: str | None
    status: str | None


@dataclass
class Figures:
    period: Period
    cooperative: str | None
    artisan: str | None
    # (week, page, source) -> figures; page: a product id, or COOPERATIVE_PAGE
    cells: dict[tuple[str, str, str], Cell] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)

    def cell(self, week: str, page: str, source: str) -> Cell:
        return self.cells.setdefault((week, page, source), Cell())

    def _summed(self, key) -> dict[Any, Cell]:
        out: dict[Any, Cell] = {}
        for k, cell in self.cells.items():
            out.setdefault(key(*k), Cell()).add(cell)
        return out

    def total(self) -> Cell:
        return self._summed(lambda *_: None).get(None, Cell())

    def by_week(self) -> list[tuple[str, date, Cell]]:
        """Every week of the period, oldest first, empty ones too."""
        summed = self._summed(lambda week, page, source: week)
        return [
            (week, monday, summed.get(week, Cell()))
            for week, monday in zip(self.period.weeks, self.period.mondays, strict=True)
        ]

    def by_source(self) -> list[tuple[str, Cell]]:
        """The sources that brought views or previews, the known ones first."""
        summed = self._summed(lambda week, page, source: source)
        found = [(s, c) for s, c in summed.items() if s != NO_SOURCE and (c.views or c.previews)]
        rank = {s: n for n, s in enumerate(SOURCES)}
        return sorted(found, key=lambda sc: (rank.get(sc[0], len(SOURCES)), sc[0]))

    def by_page(self) -> list[tuple[str, Cell]]:
        """Each page with figures, or product listed now (approved); the cooperative's
        own page first, then by views, most first."""
        summed = self._summed(lambda week, page, source: page)
        for pid, product in self.products.items():
            if product.status == "approved":
                summed.setdefault(pid, Cell())
        return sorted(
            summed.items(),
            key=lambda pc: (pc[0] != COOPERATIVE_PAGE, -pc[1].views, -pc[1].orders, pc[0]),
        )

    def rows(self) -> Iterator[tuple[str, str, str, Cell]]:
        """(week, page, source, figures) of every non-empty cell, in a stable order."""
        weeks = {w: n for n, w in enumerate(self.period.weeks)}
        for key in sorted(self.cells, key=lambda k: (weeks.get(k[0], -1), k[1], k[2])):
            if self.cells[key]:
                yield (*key, self.cells[key])


def has_page_views(db: sqlite_utils.Database) -> bool:
    """Whether the counting table is there (api/services/analytics/, migration 19)."""
    found = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'page_views'")
    return found.fetchone() is not None


def of_cooperative(db: sqlite_utils.Database, cooperative: str, period: Period) -> Figures:
    figures = Figures(period, cooperative, None)
    _gather(db, figures, f"coop:{cooperative}", cooperative)
    return figures


def of_artisan(
    db: sqlite_utils.Database, artisan: str, cooperative: str | None, period: Period
) -> Figures:
    figures = Figures(period, cooperative, artisan)
    _gather(db, figures, f"artisan:{artisan}", None)
    return figures


def _gather(
    db: sqlite_utils.Database, figures: Figures, channel: str, own_page: str | None
) -> None:
    list_index.follow(db)
    with read_snapshot(db):
        figures.products = _products(db, channel)
        if has_page_views(db):
            _views(db, figures, "product", list(figures.products))
            if own_page is not None:
                _views(db, figures, "cooperative", [own_page], page=COOPERATIVE_PAGE)
        _orders(db, figures, channel)


# The winner's fields of each document of a kind in a channel (the list index's rows).
_WINNERS = """
SELECT l.doc_id, l.status, {columns}
FROM list_index l
JOIN docs d ON d.id = l.doc_id
JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner
WHERE l.channel = ? AND l.kind = ? {where}
"""


def _products(db: sqlite_utils.Database, channel: str) -> dict[str, Product]:
    sql = _WINNERS.format(
        columns="json_extract(r.body, '$.title'), json_extract(r.body, '$.owner')", where=""
    )
    found = {}
    for doc_id, status, title, owner in db.execute(sql, [channel, "product"]):
        parsed = _json(title)
        found[doc_id] = Product(doc_id, parsed if isinstance(parsed, dict) else {}, owner, status)
    return found


def _views(
    db: sqlite_utils.Database,
    figures: Figures,
    kind: str,
    targets: list[str],
    page: str | None = None,
) -> None:
    period = figures.period
    for chunk in _chunks(targets, _CHUNK):
        rows = db.execute(
            "SELECT day, target, source, sum(views), sum(previews), sum(visitors) "
            "FROM page_views WHERE day BETWEEN ? AND ? AND kind = ? "
            f"AND target IN ({','.join('?' * len(chunk))}) GROUP BY day, target, source",
            [period.first_day, period.last_day, kind, *chunk],
        )
        for day, target, source, views, previews, visitors in rows:
            week = period.week_of_day(day)
            if week is None:
                continue
            cell = figures.cell(week, target if page is None else page, source or "other")
            cell.views += views or 0
            cell.previews += previews or 0
            cell.visitors += visitors or 0


def _orders(db: sqlite_utils.Database, figures: Figures, channel: str) -> None:
    """Orders placed in the period, and deliveries made in it (an order placed before)."""
    period = figures.period
    sql = _WINNERS.format(
        columns=", ".join(
            f"json_extract(r.body, '$.{name}')"
            for name in (
                "product_id",
                "product_title",
                "created_at",
                "total_centimes",
                "unit_price_centimes",
                "quantity",
                "history",
                "updated_at",
            )
        ),
        where="AND l.status IS NOT NULL "
        "AND (json_extract(r.body, '$.created_at') >= ? OR l.status = 'delivered')",
    )
    for row in db.execute(sql, [channel, "order", period.first_day]):
        _, status, product_id, title, created, total, unit, quantity, history, updated = row
        page = product_id if isinstance(product_id, str) else "?"
        if page not in figures.products:
            parsed = _json(title)
            figures.products[page] = Product(
                page, parsed if isinstance(parsed, dict) else {}, None, None
            )
        placed = period.week_of_day(created) if isinstance(created, str) else None
        if placed is not None:
            figures.cell(placed, page, NO_SOURCE).orders += 1
        if status == "delivered":
            week = period.week_of_day(_delivered_at(history) or updated or "")
            if week is not None:
                cell = figures.cell(week, page, NO_SOURCE)
                cell.delivered += 1
                cell.delivered_centimes += _value(total, unit, quantity)


def _delivered_at(history: Any) -> str | None:
    steps = _json(history)
    for step in reversed(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and step.get("status") == "delivered":
            at = step.get("at")
            return at if isinstance(at, str) else None
    return None


def _value(total: Any, unit: Any, quantity: Any) -> int:
    if isinstance(total, int):
        return total
    if isinstance(unit, int) and isinstance(quantity, int):
        return unit * quantity
    return 0


def _json(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

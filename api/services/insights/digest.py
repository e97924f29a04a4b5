"""The weekly insights push: each artisan hears what her pages did last week (her piece,
or her pieces: views and orders), each coordinator her cooperatives' totals, in her own
language (api/services/push/messages.py: ``insights_weekly``, ``insights_weekly_coop``).

Only when there is something to say (views or orders), and once per ISO week and
person: the dedup key carries the week, and the outbox keeps its rows, so the hourly
pass (api/workers.py) queues each at most once. It tells the last whole week, Monday to
Sunday (UTC), from the first pass after it ends.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlite_utils

from .. import outbox
from ..push.messages import YOUR_PIECES
from . import figures as figures_mod
from .figures import Cell, Figures
from .periods import previous_week
from .summary import artisans_with_products


def dedup_key(user_id: str, week: str) -> str:
    return f"insights_weekly:{user_id}:{week}"


def _queued(db: sqlite_utils.Database, key: str) -> bool:
    return db.execute("SELECT 1 FROM outbox WHERE dedup_key = ?", [key]).fetchone() is not None


def queue_weekly(db: sqlite_utils.Database, now: float) -> int:
    """Queue last week's messages not queued yet; returns how many were queued."""
    period = previous_week(datetime.fromtimestamp(now, UTC).date())
    week = period.weeks[0]
    queued = 0
    for artisan, coop in artisans_with_products(db):
        key = dedup_key(artisan, week)
        if _queued(db, key):
            continue
        data = artisan_data(figures_mod.of_artisan(db, artisan, coop, period))
        if data is not None:
            queued += _enqueue(db, artisan, "insights_weekly", {**data, "week": week}, key, now)
    per_coop: dict[str, Figures] = {}
    names = {
        row[0]: {"ar": row[1], "fr": row[2], "en": row[2]}
        for row in db.execute("SELECT id, name_ar, name_fr FROM cooperatives")
    }
    for coordinator, coops in _coordinators(db).items():
        key = dedup_key(coordinator, week)
        if _queued(db, key):
            continue
        active, total = [], Cell()
        for coop in coops:
            if coop not in per_coop:
                per_coop[coop] = figures_mod.of_cooperative(db, coop, period)
            cell = per_coop[coop].total()
            if cell.views or cell.orders:
                active.append(coop)
                total.add(cell)
        if not active:
            continue
        data = {
            "cooperative_name": _joined([names.get(c, {}) for c in active], c_ids=active),
            "views": total.views,
            "previews": total.previews,
            "orders": total.orders,
            "count": total.views,
            "week": week,
        }
        if len(active) == 1:
            data["cooperative_id"] = active[0]
        queued += _enqueue(db, coordinator, "insights_weekly_coop", data, key, now)
    return queued


def artisan_data(figures: Figures) -> dict | None:
    """Her message's data, or None when nothing happened: her one active piece by its
    title, else "your pieces" with her totals."""
    total = figures.total()
    if not (total.views or total.orders):
        return None
    active = [(page, cell) for page, cell in figures.by_page() if cell.views or cell.orders]
    title = YOUR_PIECES
    if len(active) == 1:
        product = figures.products.get(active[0][0])
        title = (product.title if product else None) or YOUR_PIECES
    data = {"product_title": title, "views": total.views, "orders": total.orders}
    if len(active) == 1:
        data["product_id"] = active[0][0]
    return {**data, "count": total.views}


def _coordinators(db: sqlite_utils.Database) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for user, coop in db.execute(
        "SELECT c.user_id, c.cooperative_id FROM coordinator_cooperatives c "
        "JOIN users u ON u.id = c.user_id WHERE u.role = 'coordinator' "
        "AND u.disabled_at IS NULL ORDER BY c.user_id, c.cooperative_id"
    ):
        found.setdefault(user, []).append(coop)
    return found


def _joined(names: list[dict], c_ids: list[str]) -> dict[str, str]:
    out = {}
    for lang, sep in (("ar", "، "), ("fr", ", "), ("en", ", ")):
        out[lang] = sep.join(n.get(lang) or c for n, c in zip(names, c_ids, strict=True))
    return out


def _enqueue(db, user: str, kind: str, data: dict, key: str, now: float) -> int:
    row = outbox.enqueue(
        db, user_id=user, kind=kind, data=data, dedup_key=key, collapse_key=kind, now=now
    )
    return row is not None

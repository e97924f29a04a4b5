"""Who may read which figures, and the figures as the REST API answers them.

A cooperative's: its coordinators (any of their cooperatives; 403 for another) and
admins. An artisan's: herself, her cooperative's coordinators, admins; 403 for anyone
else, 404 for no such artisan.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ...errors import Forbidden, NotFound
from ..accounts import User
from ..directory import artisan_cooperative
from ..ledger.materials import cooperative_for
from .figures import COOPERATIVE_PAGE, Figures


def cooperative(db: sqlite_utils.Database, user: User, given: str | None) -> str:
    """The cooperative asked for, if hers to read (the ledger's rule: one of hers, or
    her only one when none is named; an admin names it)."""
    return cooperative_for(db, user, given)


def artisan(db: sqlite_utils.Database, user: User, artisan_id: str) -> str:
    """The artisan's cooperative, if she may read the artisan's figures."""
    coop = artisan_cooperative(db, artisan_id)
    if coop is None:
        raise NotFound("No such artisan.", details={"artisan": artisan_id})
    if user.role == "admin" or user.id == artisan_id:
        return coop
    if user.role == "coordinator" and coop in user.cooperative_ids:
        return coop
    raise Forbidden(
        "An artisan's figures are hers and her cooperative's coordinators'.",
        details={"artisan": artisan_id},
    )


def answer(figures: Figures) -> dict[str, Any]:
    """The figures by week, source and page (see schemas/insights.py, InsightsSchema)."""
    return {
        "cooperative": figures.cooperative,
        "artisan": figures.artisan,
        "weeks": list(figures.period.weeks),
        "period_start": figures.period.first_day,
        "period_end": figures.period.last_day,
        "totals": figures.total().as_dict(),
        "by_week": [
            {"week": week, "start": monday.isoformat(), **cell.as_dict()}
            for week, monday, cell in figures.by_week()
        ],
        "by_source": [
            {"source": source, "views": c.views, "previews": c.previews, "visitors": c.visitors}
            for source, c in figures.by_source()
        ],
        "by_page": [_page(figures, page, cell.as_dict()) for page, cell in figures.by_page()],
    }


def _page(figures: Figures, page: str, counts: dict[str, int]) -> dict[str, Any]:
    if page == COOPERATIVE_PAGE:
        return {"page": "cooperative", "product_id": None, "title": None, **counts}
    product = figures.products.get(page)
    return {
        "page": "product",
        "product_id": page,
        "title": (product.title or None) if product else None,
        **counts,
    }

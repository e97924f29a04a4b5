"""Public profiles: what a buyer may know about an artisan."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from ..errors import NotFound
from . import directory_docs


def artisan(db: sqlite_utils.Database, artisan_id: str) -> dict[str, Any]:
    """Her directory document and her cooperative's (so an artisan of another server,
    known here from the hub, has one too); an account of this server decides whether she
    is an artisan and not disabled."""
    account = db.execute(
        "SELECT display_name, cooperative_id, role = 'artisan' AND disabled_at IS NULL "
        "FROM users WHERE id = ?",
        [artisan_id],
    ).fetchone()
    profile = directory_docs.artisan(db, artisan_id)
    if account is not None and not account[2]:
        profile = None  # not an artisan, or disabled: the table is the authority here
    elif account is not None:
        # her public name as her profile says it; her cooperative as her account does
        profile = {"display_name": account[0], **(profile or {}), "cooperative": account[1]}
    if profile is None or not profile.get("cooperative"):
        raise NotFound("No such artisan.", details={"id": artisan_id})
    coop_id = profile["cooperative"]
    coop = directory_docs.cooperative_names(db, coop_id) or {}
    count = db.execute(
        "SELECT count(*) FROM catalog_products WHERE owner = ?", [artisan_id]
    ).fetchone()[0]
    return {
        "id": artisan_id,
        "display_name": profile.get("display_name"),
        "cooperative": {
            "id": coop_id,
            "name_ar": coop.get("name_ar"),
            "name_fr": coop.get("name_fr"),
        },
        "region": coop.get("region"),
        "products": count,
    }

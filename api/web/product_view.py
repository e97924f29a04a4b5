"""What /p/{id} shows beyond the catalogue entry: every photo, the stock, a WhatsApp link.

The catalogue index holds the public fields; the few things the page needs besides are
read live here, like the index's own names and thumbnail (api/services/catalog.py):
the ready photos (they turn ready after indexing), the pieces left, and the cooperative's
contacts (its directory document).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlite_utils

from ..services import directory_docs, photo_docs
from . import i18n

TITLE_MAX = 120  # characters of the title in a WhatsApp message


def photos(db: sqlite_utils.Database, item: dict[str, Any]) -> list[dict[str, str]]:
    """Thumb and display URLs of its ready photos, in the artisan's order; only hers."""
    found = []
    for photo_id in item.get("photos") or []:
        photo = directory_docs.body(db, photo_id) if isinstance(photo_id, str) else None
        mine = (
            photo and photo.get("type") == "photo" and photo.get("owner") == item["artisan"]["id"]
        )
        if mine and photo.get("status") == "ready" and photo.get("sha256"):
            found.append(photo_docs.urls(photo["sha256"]))
    return found


def stock(db: sqlite_utils.Database, item: dict[str, Any], lang: str) -> str:
    """ "Made to order in 21 days", "3 pieces left", "Sold out", or plainly "In stock"."""
    if item.get("stock_mode") == "made_to_order":
        days = item.get("production_days")
        if days:
            return i18n.text(lang, "made_to_order", days=days)
        return i18n.text(lang, "made_to_order_nodays")
    # Not in the index (the API's catalogue does not publish it): the document's count.
    doc = directory_docs.body(db, item["id"]) or {}
    quantity = (doc.get("stock") or {}).get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        return i18n.text(lang, "in_stock")
    if quantity <= 0:
        return i18n.text(lang, "pd_sold_out")
    if quantity == 1:
        return i18n.text(lang, "pd_left_one")
    return i18n.text(lang, "pd_left", n=quantity)


def whatsapp(
    db: sqlite_utils.Database, cooperative_id: str | None, title: str, url: str, lang: str
) -> str | None:
    """wa.me with a message naming the product and its link, if the cooperative published
    a WhatsApp number in its directory document; None otherwise."""
    coop = directory_docs.cooperative(db, cooperative_id) or {}
    for contact in coop.get("contacts") or []:
        if not isinstance(contact, dict) or contact.get("kind") != "whatsapp":
            continue
        digits = "".join(
            ch for ch in str(contact.get("value") or "") if ch.isascii() and ch.isdigit()
        )
        if digits:
            # A title may run to thousands of characters: the link names, it does not quote.
            if len(title) > TITLE_MAX:
                title = title[: TITLE_MAX - 1].rstrip() + "…"
            message = i18n.text(lang, "pd_whatsapp_text", title=title, url=url)
            return f"https://wa.me/{digits}?text={quote(message, safe='')}"
    return None

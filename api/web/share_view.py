"""Sharing a product or a cooperative, and being found: the share buttons, the
printable QR code, the 1200×630 share picture, and the head tags search engines and
link previews read (canonical, hreflang alternates, Open Graph, schema.org JSON-LD).

Every shared address carries ``?via=whatsapp|facebook|link|qr`` so a visit can say where
it came from; the canonical address drops it (and any ``utm_*``). Absolute addresses
start from the configured public URL, else the address the request came to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import sqlite_utils
from flask import Blueprint, g, request, send_file
from markupsafe import Markup

from ..errors import NotFound
from ..errors import handle as error_response
from ..services import catalog, directory_docs, share_image
from ..services.training import printing
from ..state import hirfa
from . import i18n
from .rendering import IMMUTABLE, error_page, page_blueprint, render

blueprint = page_blueprint("share")
# The pictures: outside the pages' hooks (cookies, Vary), like /media; their addresses
# name their language.
images = Blueprint("share_images", __name__)

VIA = ("whatsapp", "facebook", "link", "qr")
TITLE_MAX = 120  # characters of the title in a WhatsApp message
DESCRIPTION_MAX = 200
FRESH = "public, max-age=300"  # the unversioned share picture: a new version within 5 min
SHA = re.compile(r"/media/([0-9a-f]{64})/")

i18n.add(
    {
        "ar": {
            "sh_share": "شاركوا",
            "sh_whatsapp": "واتساب",
            "sh_facebook": "فيسبوك",
            "sh_link": "الرابط للنسخ",
            "sh_qr": "رمز QR للطباعة",
            "sh_scan": "امسحوا الرمز لرؤية هذه القطعة",
            "sh_scan_coop": "امسحوا الرمز لرؤية تعاونيتنا",
            "sh_print": "اطبعوا هذه الصفحة لعرضها في المعرض.",
        },
        "fr": {
            "sh_share": "Partager",
            "sh_whatsapp": "WhatsApp",
            "sh_facebook": "Facebook",
            "sh_link": "Lien à copier",
            "sh_qr": "Code QR à imprimer",
            "sh_scan": "Scannez pour voir cette pièce",
            "sh_scan_coop": "Scannez pour voir notre coopérative",
            "sh_print": "Imprimez cette page pour votre stand.",
        },
        "en": {
            "sh_share": "Share",
            "sh_whatsapp": "WhatsApp",
            "sh_facebook": "Facebook",
            "sh_link": "Link to copy",
            "sh_qr": "QR code to print",
            "sh_scan": "Scan to see this piece",
            "sh_scan_coop": "Scan to see our cooperative",
            "sh_print": "Print this page for your stall.",
        },
    }
)


# --- addresses -----------------------------------------------------------------------


def root() -> str:
    """The site's absolute root, without the final slash."""
    return (hirfa().settings.public_url or request.url_root).rstrip("/")


def address(path: str, lang: str | None = None, via: str | None = None, **kept: Any) -> str:
    """An absolute address: ``path`` and the parameters given, in a fixed order."""
    args = [(k, v) for k, v in kept.items() if v]
    args += [("lang", lang)] if lang else []
    args += [("via", via)] if via else []
    return root() + path + (f"?{urlencode(args)}" if args else "")


def seo(path: str, lang: str, **kept: Any) -> dict[str, Any]:
    """The canonical address of this page in this language (no via, no utm_*), and its
    alternates in every language, x-default being the one that follows the browser."""
    return {
        "canonical": address(path, lang, **kept),
        "alternates": [(code, address(path, code, **kept)) for code in i18n.LANGS]
        + [("x-default", address(path, **kept))],
    }


def share_links(path: str, title: str, lang: str) -> dict[str, str]:
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip() + "…"
    whatsapp = address(path, lang, "whatsapp")
    return {
        "whatsapp": "https://wa.me/?text=" + quote(f"{title}\n{whatsapp}", safe=""),
        "facebook": "https://www.facebook.com/sharer/sharer.php?u="
        + quote(address(path, lang, "facebook"), safe=""),
        "link": address(path, lang, "link"),
        "qr": f"{path}/qr?{urlencode({'lang': lang})}",
    }


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json">: ``<``, ``>`` and ``&`` escaped, so
    no text (a title saying ``</script>``) can end the element early."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _shorter(text: str, limit: int = DESCRIPTION_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- what the pages need -------------------------------------------------------------


def _revision(db: sqlite_utils.Database, doc_id: str) -> str:
    row = db.execute("SELECT winner FROM docs WHERE id = ?", [doc_id]).fetchone()
    return row[0] if row else ""


def coop_name(names: dict[str, Any], lang: str) -> str:
    """Cooperatives are registered in Arabic and French; English pages use French."""
    if lang == "ar":
        return names.get("name_ar") or names.get("name_fr") or ""
    return names.get("name_fr") or names.get("name_ar") or ""


def find_product(db: sqlite_utils.Database, product_id: str) -> dict | None:
    """The approved product; ``9b1c2f`` is the shorter form of ``product:9b1c2f``."""
    for candidate in (product_id, f"product:{product_id}"):
        try:
            return catalog.product(db, candidate)
        except NotFound:
            if ":" in product_id:
                break
    return None


def availability(db: sqlite_utils.Database, item: dict[str, Any]) -> str:
    """schema.org's word for it: made to order is a pre-order."""
    if item.get("stock_mode") == "made_to_order":
        return "https://schema.org/PreOrder"
    quantity = ((directory_docs.body(db, item["id"]) or {}).get("stock") or {}).get("quantity")
    if isinstance(quantity, int) and not isinstance(quantity, bool) and quantity <= 0:
        return "https://schema.org/OutOfStock"
    return "https://schema.org/InStock"


def product_card(db: sqlite_utils.Database, item: dict[str, Any], lang: str):
    """(the card drawn for this product in ``lang``, the product's revision)."""
    title, _ = i18n.pick(item["title"], lang)
    found = SHA.search(item.get("display_url") or "")
    card = share_image.Card(
        lang=lang,
        title=title,
        price=i18n.price(item.get("price_centimes"), lang),
        cooperative=coop_name(item["cooperative"], lang),
        site=i18n.text(lang, "site"),
        photo_sha256=found.group(1) if found else None,
    )
    return card, _revision(db, item["id"])


def _card_url(path: str, card: share_image.Card, revision: str) -> str:
    return address(f"{path}/share.jpg", card.lang, v=share_image.key(card, revision))


def for_product(
    db: sqlite_utils.Database, item: dict[str, Any], og: dict[str, Any], lang: str
) -> dict[str, Any]:
    """What /p/{id} adds to its context: ``share`` (the buttons) and ``seo`` (canonical,
    alternates, JSON-LD). ``og`` is updated in place: its
    image becomes the share card; its url stays the page without language (what the
    message to the cooperative names), og:url being the canonical address."""
    path = item["url"]
    found = seo(path, lang)
    card, revision = product_card(db, item, lang)
    og["image"] = _card_url(path, card, revision)
    og["image_width"], og["image_height"] = share_image.WIDTH, share_image.HEIGHT
    photo = root() + item["display_url"] if item.get("display_url") else None
    coop_id = item["cooperative"]["id"]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": og["title"],
        "image": [url for url in (photo, og["image"]) if url],
        "description": og["description"],
        "sku": item["id"],
        "url": found["canonical"],
        "brand": {
            "@type": "Organization",
            "name": coop_name(item["cooperative"], lang),
            "url": address(f"/c/{coop_id}", lang),
        },
    }
    if item.get("price_centimes") is not None:
        data["offers"] = {
            "@type": "Offer",
            "price": i18n.og_amount(item["price_centimes"]),
            "priceCurrency": "MAD",
            "availability": availability(db, item),
            "url": found["canonical"],
        }
    found["jsonld"] = json_ld(data)
    return {"share": share_links(path, og["title"], lang), "seo": found}


def cooperative_card(db: sqlite_utils.Database, coop: dict[str, Any], name: str, lang: str):
    crafts = " · ".join(i18n.category(c, lang) for c in coop.get("crafts") or [])
    card = share_image.Card(
        lang=lang,
        title=name,
        cooperative=" · ".join(x for x in (i18n.region(coop.get("region"), lang), crafts) if x),
        site=i18n.text(lang, "site"),
    )
    return card, _revision(db, directory_docs.cooperative_doc_id(coop["id"]))


def for_cooperative(
    db: sqlite_utils.Database, coop: dict[str, Any], name: str, lang: str
) -> dict[str, Any]:
    """What /c/{id} adds: ``share`` and ``seo``, with its Open Graph tags (its first
    photo, else a card drawn like a product's)."""
    path = f"/c/{coop['id']}"
    found = seo(path, lang)
    story, _ = i18n.pick(coop.get("story"), lang)
    card, revision = cooperative_card(db, coop, name, lang)
    og: dict[str, Any] = {
        "type": "profile",
        "title": name,
        "description": _shorter(story or card.cooperative),
        "url": found["canonical"],
        "locale": i18n.OG_LOCALE[lang],
    }
    if coop.get("photos"):
        og["image"] = root() + coop["photos"][0]["display_url"]
    else:
        og["image"] = _card_url(path, card, revision)
        og["image_width"], og["image_height"] = share_image.WIDTH, share_image.HEIGHT
    found["og"] = og
    return {"share": share_links(path, name, lang), "seo": found}


# --- routes --------------------------------------------------------------------------


def _send(path: Path, version: str):
    response = send_file(
        path.resolve(), mimetype=share_image.CONTENT_TYPE, conditional=True,
        etag=path.stem, max_age=None,
    )  # fmt: skip
    # Immutable only at the versioned address the pages give out.
    response.headers["Cache-Control"] = IMMUTABLE if request.args.get("v") == version else FRESH
    return response


def _served(subject: str, card: share_image.Card, revision: str):
    media_dir = hirfa().settings.media_dir
    path = share_image.ensure(media_dir, subject, card, revision)
    return _send(path, share_image.key(card, revision))


VERSION = re.compile(r"^[0-9a-f]{24}$")
LISTED = f"SELECT 1 FROM catalog_products WHERE id = ? AND owner NOT IN ({catalog.DISABLED})"


def _lang() -> str:
    return i18n.choose(request)[0]


def _already_made(db: sqlite_utils.Database, product_id: str, lang: str):
    """The file of the version asked for (``?v=``), if it was made and the product is
    still listed: served without drawing or reading the product again."""
    version = request.args.get("v") or ""
    if not VERSION.match(version):
        return None
    for candidate in (product_id, f"product:{product_id}"):
        path = share_image.stored(hirfa().settings.media_dir, candidate, version, lang)
        if path.is_file() and db.execute(LISTED, [candidate]).fetchone():
            return _send(path, version)
    return None


@images.get("/p/<product_id>/share.jpg")
def product_share_image(product_id: str):
    db, lang = hirfa().db(), _lang()
    served = _already_made(db, product_id, lang)
    if served is not None:
        return served
    catalog.refresh(db)
    item = find_product(db, product_id)
    if item is None:
        raise NotFound("No such product in the catalogue.")
    card, revision = product_card(db, item, lang)
    return _served(item["id"], card, revision)


@images.get("/c/<cooperative_id>/share.jpg")
def cooperative_share_image(cooperative_id: str):
    db, lang = hirfa().db(), _lang()
    coop = directory_docs.public_cooperative(db, cooperative_id)
    if coop is None:
        raise NotFound("No such cooperative.")
    name = _localised(coop["name"], lang)
    card, revision = cooperative_card(db, coop, name, lang)
    return _served(f"cooperative:{cooperative_id}", card, revision)


def _localised(name: dict[str, str], lang: str) -> str:
    order = ("en", "fr", "ar") if lang == "en" else (lang, "ar", "fr", "en")
    return next((name[code] for code in order if name.get(code)), "")


@images.errorhandler(Exception)
def _error(exc: Exception):
    return error_response(exc)


def _qr_page(**context: Any):
    response = render("share_qr.html", **context)
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@blueprint.get("/p/<product_id>/qr")
def product_qr(product_id: str):
    """A page to print for a fair stall: a large QR code of the product's page."""
    db = hirfa().db()
    catalog.refresh(db)
    item = find_product(db, product_id)
    if item is None:
        return error_page(404, "not_found")
    title, title_lang = i18n.pick(item["title"], g.lang)
    url = address(item["url"], g.lang, "qr")
    return _qr_page(
        heading=title,
        heading_lang=title_lang,
        amount=i18n.price(item.get("price_centimes"), g.lang),
        byline=coop_name(item["cooperative"], g.lang),
        scan=i18n.text(g.lang, "sh_scan"),
        url=url,
        shown=address(item["url"]),
        qr=Markup(printing.qr_svg(url)),
        back=item["url"],
    )


@blueprint.get("/c/<cooperative_id>/qr")
def cooperative_qr(cooperative_id: str):
    db = hirfa().db()
    coop = directory_docs.public_cooperative(db, cooperative_id)
    if coop is None:
        return error_page(404, "not_found")
    path = f"/c/{cooperative_id}"
    url = address(path, g.lang, "qr")
    name = _localised(coop["name"], g.lang)
    crafts = " · ".join(i18n.category(c, g.lang) for c in coop.get("crafts") or [])
    return _qr_page(
        heading=name,
        heading_lang=g.lang,
        amount="",
        byline=" · ".join(x for x in (i18n.region(coop.get("region"), g.lang), crafts) if x),
        scan=i18n.text(g.lang, "sh_scan_coop"),
        url=url,
        shown=address(path),
        qr=Markup(printing.qr_svg(url)),
        back=path,
    )

"""Public pages: the catalogue, a product at a short URL, a cooperative's products.

They read the same catalogue index as ``GET /api/v1/catalog`` (approved products,
public fields only), so a page can never show what the API would hide.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, g, redirect, request
from werkzeug.http import unquote_etag

from schemas.taxonomy import CATEGORY_CODES

from ..errors import BadRequest
from ..services import catalog, directory_docs
from ..services.analytics import hook as view_counting
from ..state import hirfa
from . import i18n, product_view, share_view, visits_view
from .rendering import error_page, page_blueprint, render

blueprint = page_blueprint("pages")
# Views of /p, /c and /catalog counted in memory, no store access (issue 17).
blueprint.after_request(view_counting.count_view)

PAGE_SIZE = 24
DESCRIPTION_MAX = 200  # what link previews show before they cut anyway


@blueprint.get("/")
def home():
    return redirect("/catalog", 302)


def _not_modified(db, params: dict) -> tuple[str, bool]:
    """A weak ETag over the catalogue version, the query and the language."""
    tag = catalog.etag(db, {**params, "page_lang": g.lang})
    # Weak comparison, any of several tags, or * (RFC 9110 section 13.1.2).
    return tag, request.if_none_match.contains_weak(unquote_etag(tag)[0])


def _public(response: Response, tag: str) -> Response:
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _page(db, filters: dict):
    """One page of the catalogue; None for a cursor this server did not give out."""
    try:
        return catalog.search(db, {**filters, "limit": PAGE_SIZE})
    except BadRequest:
        return None


def _next_url(path: str, page: dict, **kept: str | None) -> str | None:
    if not page["next"]:
        return None
    args = [(k, v) for k, v in kept.items() if v]
    return f"{path}?{urlencode([*args, ('cursor', page['next'])])}"


@blueprint.get("/catalog")
def catalogue():
    q = (request.args.get("q") or "").strip()[:200]
    category = request.args.get("category")
    category = category if category in CATEGORY_CODES else None
    cursor = request.args.get("cursor") or None
    db = hirfa().db()
    catalog.refresh(db)
    tag, fresh = _not_modified(db, {"q": q, "category": category, "cursor": cursor})
    if fresh:
        return _public(Response(status=304), tag)
    page = _page(db, {"q": q or None, "category": category, "cursor": cursor})
    if page is None:
        return error_page(400, "bad_request")
    return _public(
        render(
            "catalog.html",
            page=page,
            q=q,
            selected=category,
            categories=i18n.categories(g.lang),
            next_url=_next_url("/catalog", page, q=q, category=category),
            first_url="/catalog" if cursor else None,
            seo=share_view.seo("/catalog", g.lang, q=q, category=category, cursor=cursor),
        ),
        tag,
    )


def coop_name(coop: dict) -> str:
    """Cooperatives are registered with Arabic and French names; English pages use French."""
    return (
        (coop.get("name_ar") if g.lang == "ar" else coop.get("name_fr"))
        or coop.get("name_ar")
        or ""
    )


@blueprint.get("/p/<path:product_id>")
def product_page(product_id: str):
    db = hirfa().db()
    catalog.refresh(db)
    tag, fresh = _not_modified(db, {"product": product_id})
    if fresh:
        return _public(Response(status=304), tag)
    item = share_view.find_product(db, product_id)
    if item is None:
        return error_page(404, "not_found", "not_found_text")
    # A configured public URL, not the Host header: behind a proxy the request says
    # http://, and a forged Host must not end up in a page cached for everyone.
    root = (hirfa().settings.public_url or request.host_url).rstrip("/")
    title, _ = i18n.pick(item["title"], g.lang)
    description, _ = i18n.pick(item["description"], g.lang)
    if not description:
        category = i18n.category(item["category"], g.lang)
        description = f"{category} · {coop_name(item['cooperative'])}"
    if len(description) > DESCRIPTION_MAX:
        description = description[: DESCRIPTION_MAX - 1].rstrip() + "…"
    og = {
        "title": title,
        "description": description,
        "url": root + item["url"],
        "image": root + item["display_url"] if item.get("display_url") else None,
        "locale": i18n.OG_LOCALE[g.lang],
        "amount": (
            i18n.og_amount(item["price_centimes"])
            if item.get("price_centimes") is not None
            else None
        ),
    }
    # Share buttons, canonical and JSON-LD; og's image becomes the share card.
    shared = share_view.for_product(db, item, og, g.lang)
    return _public(
        render(
            "product.html",
            p=item,
            og=og,
            coop=coop_name(item["cooperative"]),
            dims=_dims(item),
            lots=[(lot["lot"], i18n.date(lot["produced_at"], g.lang)) for lot in item["lots"]],
            photos=product_view.photos(db, item),
            stock=product_view.stock(db, item, g.lang),
            whatsapp=product_view.whatsapp(db, item["cooperative"]["id"], title, og["url"], g.lang),
            # The buyer's order form at /buy/p/{id}, in the language of this page.
            order_url="/buy" + item["url"] + "?" + urlencode({"lang": g.lang}),
            **shared,
        ),
        tag,
    )


def _dims(item: dict) -> str:
    """200 × 140 × 1.5 cm; the sides that were given, in the schema's order."""
    dims = item.get("dimensions") or {}
    sides = [dims.get(k) for k in ("length_cm", "width_cm", "height_cm")]
    sides = [f"{s:g}" for s in sides if s]
    return " × ".join(sides) + " cm" if sides else ""


def _localised_name(name: dict) -> str:
    """A cooperative's name in the page's language; English pages fall back on French,
    as coop_name does, since cooperatives are registered in Arabic and French."""
    order = ("en", "fr", "ar") if g.lang == "en" else (g.lang, "ar", "fr", "en")
    return next((name[code] for code in order if name.get(code)), "")


def contact_link(contact: dict) -> str | None:
    """A link for a public contact channel, built only from what is safe in an href."""
    kind, value = contact.get("kind"), str(contact.get("value") or "")
    digits = "".join(ch for ch in value if ch.isdigit())
    if kind == "whatsapp" and digits:
        return f"https://wa.me/{digits}"
    if kind == "phone" and digits:
        return f"tel:+{digits}" if value.strip().startswith("+") else f"tel:{digits}"
    if kind == "email" and "@" in value and ":" not in value:
        return f"mailto:{value}"
    if kind in ("website", "facebook", "instagram") and value.startswith("https://"):
        return value
    return None


@blueprint.get("/c/<cooperative_id>")
def cooperative_page(cooperative_id: str):
    db = hirfa().db()
    # Its directory document, so a server fed only by the hub shows it too.
    catalog.refresh(db)
    coop = directory_docs.public_cooperative(db, cooperative_id)
    if coop is None:
        return error_page(404, "not_found")
    cursor = request.args.get("cursor") or None
    # Workshop sessions and their places left change apart from the catalogue: in the tag.
    sessions = visits_view.sessions(db, cooperative_id, hirfa().settings.public_url, g.lang)
    visits = visits_view.fingerprint(sessions, coop["visiting_hours"])
    tag, fresh = _not_modified(
        db, {"cooperative": cooperative_id, "cursor": cursor, "visits": visits}
    )
    if fresh:
        return _public(Response(status=304), tag)
    page = _page(db, {"cooperative": cooperative_id, "cursor": cursor})
    if page is None:
        return error_page(400, "bad_request")
    return _public(
        render(
            "cooperative.html",
            coop=coop,
            name=_localised_name(coop["name"]),
            contact_link=contact_link,
            hours=visits_view.hours(coop["visiting_hours"], g.lang),
            sessions=sessions,
            page=page,
            next_url=_next_url(f"/c/{cooperative_id}", page),
            first_url=f"/c/{cooperative_id}" if cursor else None,
            **share_view.for_cooperative(db, coop, _localised_name(coop["name"]), g.lang),
        ),
        tag,
    )

"""Being found: ``/sitemap.xml`` and ``/robots.txt``.

The sitemap lists what the public pages show: approved products (the catalogue index,
as ``/p/{id}`` reads it) and cooperatives (their directory documents, else their rows),
each in Arabic, French and English with ``xhtml:link`` hreflang alternates, absolute from
the configured public URL, with the date of the last change. The same for every
language, so outside the page blueprints' language hooks.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

import sqlite_utils
from flask import Blueprint, Response, request

from ..services import catalog, sitemap_rows
from ..state import hirfa
from . import i18n

blueprint = Blueprint("seo", __name__)

MAX_URLS = 50_000  # a sitemap's limit (sitemaps.org); three per page
CACHE = "public, max-age=3600"

ROBOTS = """User-agent: *
Allow: /
Disallow: /review
Disallow: /buy
Disallow: /sync/
Disallow: /api/v1/
Allow: /api/v1/docs
Allow: /api/v1/swagger.json
Disallow: /p/*/qr
Disallow: /c/*/qr

Sitemap: {root}/sitemap.xml
"""


def _root() -> str:
    return (hirfa().settings.public_url or request.url_root).rstrip("/")


def _later(a: str | None, b: str | None) -> str | None:
    return max(x for x in (a, b) if x) if a or b else None


def _entries(root: str, path: str, lastmod: str | None) -> list[str]:
    """One <url> per language, each naming all of them (and x-default)."""
    links = "".join(
        f'<xhtml:link rel="alternate" hreflang="{code}" href={quoteattr(href)}/>'
        for code, href in [
            *((code, f"{root}{path}?{urlencode({'lang': code})}") for code in i18n.LANGS),
            ("x-default", root + path),
        ]
    )
    mod = f"<lastmod>{escape(lastmod)}</lastmod>" if lastmod else ""
    return [
        f"<url><loc>{escape(f'{root}{path}?' + urlencode({'lang': code}))}</loc>{mod}{links}</url>"
        for code in i18n.LANGS
    ]


def sitemap_xml(db: sqlite_utils.Database, root: str) -> str:
    catalog.refresh(db)
    coops = sitemap_rows.cooperatives(db)
    urls: list[str] = []
    rows: list[tuple[str, Any]] = []
    for product_id, coop_id, updated in sitemap_rows.products(db):
        rows.append((f"/p/{product_id}", updated))
        if coop_id in coops:  # a cooperative changes when its products do
            coops[coop_id] = _later(coops[coop_id], updated)
    rows += [(f"/c/{coop_id}", updated) for coop_id, updated in coops.items()]
    for path, updated in rows:
        urls += _entries(root, path, updated)
    urls = urls[:MAX_URLS]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n' + "\n".join(urls) + "\n</urlset>\n"
    )


@blueprint.get("/sitemap.xml")
def sitemap():
    response = Response(sitemap_xml(hirfa().db(), _root()), mimetype="application/xml")
    response.headers["Cache-Control"] = CACHE
    return response


@blueprint.get("/robots.txt")
def robots():
    response = Response(ROBOTS.format(root=_root()), mimetype="text/plain")
    response.headers["Cache-Control"] = CACHE
    return response

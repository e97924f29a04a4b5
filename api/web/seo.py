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
from xml.sax.saxutils import quoteattr

import sqlite_utils
from flask import Blueprint, Response, request

from ..services import catalog, directory_docs
from ..state import hirfa
from . import i18n

blueprint = Blueprint("seo", __name__)

MAX_URLS = 50_000  # a sitemap's limit (sitemaps.org); three per page
CACHE = "public, max-age=3600"
DISABLED = "SELECT id FROM users WHERE disabled_at IS NOT NULL"
PREFIX = directory_docs.cooperative_doc_id("")

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


def products(db: sqlite_utils.Database) -> list[tuple[str, str | None, str | None]]:
    """(id, cooperative, updated_at) of every product the catalogue shows."""
    return db.execute(
        "SELECT c.id, c.cooperative, json_extract(r.body, '$.updated_at') "
        "FROM catalog_products c JOIN docs d ON d.id = c.id "
        "LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        f"WHERE c.owner NOT IN ({DISABLED}) ORDER BY c.id"
    ).fetchall()


def cooperatives(db: sqlite_utils.Database) -> dict[str, str | None]:
    """id -> updated_at of every cooperative with a public page."""
    found: dict[str, str | None] = {
        row[0]: None for row in db.execute("SELECT id FROM cooperatives ORDER BY id")
    }
    for doc_id, updated in db.execute(
        "SELECT d.id, json_extract(r.body, '$.updated_at') FROM docs d "
        "JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        "WHERE d.id >= ? AND d.id < ? AND d.deleted = 0 "
        "AND json_extract(r.body, '$.type') = 'cooperative'",
        [PREFIX, PREFIX[:-1] + chr(ord(PREFIX[-1]) + 1)],
    ):
        found[doc_id.removeprefix(PREFIX)] = updated
    return found


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
    mod = f"<lastmod>{_escape(lastmod)}</lastmod>" if lastmod else ""
    return [
        f"<url><loc>{_escape(f'{root}{path}?' + urlencode({'lang': code}))}</loc>{mod}{links}</url>"
        for code in i18n.LANGS
    ]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sitemap_xml(db: sqlite_utils.Database, root: str) -> str:
    catalog.refresh(db)
    coops = cooperatives(db)
    urls: list[str] = []
    rows: list[tuple[str, Any]] = []
    for product_id, coop_id, updated in products(db):
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

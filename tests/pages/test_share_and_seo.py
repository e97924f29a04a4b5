"""Sharing and being found (issue 17): share buttons with ?via=, the printable QR code,
the 1200×630 share picture, Open Graph, JSON-LD, canonical and hreflang, the sitemap and
robots.txt."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from PIL import Image, ImageChops

from api.services import share_image
from tests.support.listings import Listings, page

COOP = "coop-taza-zerbia"
TITLE = {"ar": "زربية بني ورين", "fr": "Tapis Beni Ouarain"}


@pytest.fixture
def listings(app, client):
    return Listings(app, client)


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def hrefs(body: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', body)]


def share_image_url(client, pid: str, lang: str) -> str:
    return page(client.get(f"/p/{pid}?lang={lang}")).meta["og:image"]


def get(client, url: str, **kwargs):
    """The response with its body read and its file closed (send_file streams one)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
        return response


def local(url: str) -> str:
    return url.removeprefix("http://localhost")


def test_share_buttons_carry_via_and_are_url_encoded(client, listings):
    pid = listings.published(title={"fr": "Tapis & coussin #1"}, price_centimes=120000)
    body = html(client, f"/p/{pid}?lang=fr")
    (wa,) = [h for h in hrefs(body) if h.startswith("https://wa.me/?text=")]
    text = parse_qs(urlsplit(wa).query)["text"][0]
    assert text == f"Tapis & coussin #1\nhttp://localhost/p/{pid}?lang=fr&via=whatsapp"
    assert "&" not in wa.split("?text=", 1)[1] and "#" not in wa  # all of it encoded
    (fb,) = [h for h in hrefs(body) if h.startswith("https://www.facebook.com/sharer/")]
    assert fb.startswith("https://www.facebook.com/sharer/sharer.php?u=http%3A%2F%2F")
    assert unquote(fb.split("?u=", 1)[1]) == f"http://localhost/p/{pid}?lang=fr&via=facebook"
    link = re.search(r'<input type="url" readonly value="([^"]*)"', body).group(1)
    assert unescape(link) == f"http://localhost/p/{pid}?lang=fr&via=link"
    assert f"/p/{pid}/qr?lang=fr" in hrefs(body)
    coop = html(client, f"/c/{COOP}?lang=ar")
    assert f"http://localhost/c/{COOP}?lang=ar&via=link" in unescape(coop)
    assert any(h.startswith("https://wa.me/?text=") for h in hrefs(coop))
    assert f"/c/{COOP}/qr?lang=ar" in hrefs(coop)


def test_qr_pages_encode_via_qr(client, listings):
    pid = listings.published(title=TITLE, price_centimes=450000)
    body = html(client, f"/p/{pid}/qr?lang=fr")
    assert "<svg" in body and 'class="qr"' in body
    assert "Tapis Beni Ouarain" in body and "4\u202f500\u00a0DH" in body
    assert "Coopérative Zerbia de Taza" in body and "<script" not in body
    import segno

    expected = segno.make(f"http://localhost/p/{pid}?lang=fr&via=qr", error="m", micro=False)
    assert expected.svg_inline(scale=1, border=2, omitsize=True, svgclass="qr", lineclass=None) in (
        unescape(body)
    )
    coop = html(client, f"/c/{COOP}/qr?lang=ar")
    assert "<svg" in coop and "تعاونية الزربية التازية" in coop
    assert client.get("/p/product:nothing/qr").status_code == 404


def test_og_tags_are_absolute_and_describe_the_share_card(client, listings):
    photo, _ = listings.photo()
    pid = listings.published(title=TITLE, price_centimes=450000, photos=[photo])
    meta = page(client.get(f"/p/{pid}?lang=ar&via=whatsapp&utm_source=x")).meta
    assert meta["og:url"] == f"http://localhost/p/{pid}?lang=ar"
    assert meta["og:type"] == "product" and meta["og:title"] == TITLE["ar"]
    assert meta["og:image"].startswith(f"http://localhost/p/{pid}/share.jpg?v=")
    assert meta["og:image:width"] == "1200" and meta["og:image:height"] == "630"
    assert meta["twitter:card"] == "summary_large_image"
    coop = page(client.get(f"/c/{COOP}?lang=fr")).meta
    assert coop["og:title"] == "Coopérative Zerbia de Taza"
    assert coop["og:url"] == f"http://localhost/c/{COOP}?lang=fr"
    assert coop["og:image"].startswith("http://localhost/")
    with client.get(local(coop["og:image"])) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"


def test_the_share_image_is_1200_by_630_made_once_per_version(client, listings, app):
    photo, _ = listings.photo()
    pid = listings.published(title=TITLE, price_centimes=450000, photos=[photo])
    url = local(share_image_url(client, pid, "fr"))
    first = get(client, url)
    assert first.status_code == 200 and first.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(first.data)).size == (1200, 630)
    assert first.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = first.headers["ETag"]
    media_dir = app.extensions["hirfa"].settings.media_dir
    files = sorted(p.name for p in (Path(media_dir) / "share").rglob("*.jpg"))
    again = get(client, url)
    assert again.data == first.data and again.headers["ETag"] == etag
    assert sorted(p.name for p in (Path(media_dir) / "share").rglob("*.jpg")) == files
    not_modified = get(client, url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    # Unversioned: the current card, cached briefly.
    plain = get(client, f"/p/{pid}/share.jpg?lang=fr")
    assert plain.data == first.data and plain.headers["Cache-Control"] == "public, max-age=300"
    # A new revision of the product: a new file, a new address, the old file gone.
    headers = listings.auth.headers("artisan")
    current = client.get(f"/api/v1/products/{pid}", headers=headers).get_json()
    changed = client.patch(
        f"/api/v1/products/{pid}",
        json={"price_centimes": 390000},
        headers={**headers, "If-Match": current["rev"]},
    )
    assert changed.status_code == 200, changed.get_json()
    if listings.status(pid) != "approved":  # a change may go back to the coordinator
        listings.approve(pid)
    newer = local(share_image_url(client, pid, "fr"))
    assert newer != url
    fresh = get(client, newer)
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert fresh.data != first.data
    now = sorted(p.name for p in (Path(media_dir) / "share").rglob("*-fr.jpg"))
    assert len(now) == 1 and now != files
    assert get(client, "/p/product:nothing/share.jpg").status_code == 404


def _ink(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("L")


def test_arabic_and_french_cards_differ_and_arabic_text_is_drawn():
    card = share_image.Card
    ar = share_image.render(card("ar", "زربية بني ورين", "4\u202f500\u00a0درهم", "تعاونية"))
    fr = share_image.render(card("fr", "Tapis Beni Ouarain", "4\u202f500\u00a0DH", "Coop"))
    assert ImageChops.difference(_ink(ar), _ink(fr)).getbbox() is not None
    blank = share_image.render(share_image.Card("ar", ""))
    only_arabic = share_image.render(share_image.Card("ar", "زربية"))
    box = ImageChops.difference(_ink(only_arabic), _ink(blank)).getbbox()
    assert box is not None
    left, top, right, bottom = box
    assert right - left > 60 and bottom - top > 30  # a word, not a speck
    assert right > 1000  # right to left: it ends at the right margin
    dark = sum(_ink(only_arabic).crop(box).histogram()[:100])
    assert dark > 300


def test_json_ld_parses_and_resists_a_script_title(client, listings):
    photo, _ = listings.photo()
    evil = 'Tapis</script><script>alert(1)</script> "&"'
    pid = listings.published(
        title={"fr": evil},
        description={"fr": "Laine naturelle."},
        price_centimes=450050,
        photos=[photo],
        stock={"mode": "made_to_order", "production_days": 21},
    )
    body = html(client, f"/p/{pid}?lang=fr")
    assert "<script>alert" not in body
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(scripts) == 1
    data = json.loads(scripts[0])
    assert data["@type"] == "Product" and data["name"] == evil and data["sku"] == pid
    assert data["description"] == "Laine naturelle."
    assert data["url"] == f"http://localhost/p/{pid}?lang=fr"
    assert data["brand"] == {
        "@type": "Organization",
        "name": "Coopérative Zerbia de Taza",
        "url": f"http://localhost/c/{COOP}?lang=fr",
    }
    assert all(u.startswith("http://localhost/") for u in data["image"])
    offers = data["offers"]
    assert offers["price"] == "4500.50" and offers["priceCurrency"] == "MAD"
    assert offers["availability"] == "https://schema.org/PreOrder"
    in_stock = listings.published(title={"fr": "Plat"}, stock={"mode": "in_stock", "quantity": 0})
    found = re.search(r"ld\+json\">(.*?)</script>", html(client, f"/p/{in_stock}?lang=fr"), re.S)
    assert json.loads(found.group(1))["offers"]["availability"] == "https://schema.org/OutOfStock"


@pytest.mark.parametrize("kind", ["product", "cooperative", "catalogue"])
def test_canonical_drops_via_and_utm_and_alternates_name_every_language(client, listings, kind):
    pid = listings.published(title=TITLE)
    path = {"product": f"/p/{pid}", "cooperative": f"/c/{COOP}", "catalogue": "/catalog"}[kind]
    body = html(client, f"{path}?via=qr&utm_source=fair&utm_campaign=x&lang=fr")
    (canonical,) = re.findall(r'<link rel="canonical" href="([^"]*)">', body)
    assert unescape(canonical) == f"http://localhost{path}?lang=fr"
    alternates = dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]*)">', body))
    assert {k: unescape(v) for k, v in alternates.items()} == {
        "ar": f"http://localhost{path}?lang=ar",
        "fr": f"http://localhost{path}?lang=fr",
        "en": f"http://localhost{path}?lang=en",
        "x-default": f"http://localhost{path}",
    }


def test_the_catalogue_canonical_keeps_its_filters(client):
    body = html(client, "/catalog?category=carpets&via=link&lang=en")
    (canonical,) = re.findall(r'<link rel="canonical" href="([^"]*)">', body)
    assert unescape(canonical) == "http://localhost/catalog?category=carpets&lang=en"


NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


def test_the_sitemap_lists_approved_products_and_cooperatives(client, listings):
    shown = listings.published(title=TITLE)
    waiting = listings.product(title={"fr": "En attente"})
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    urls = root.findall("s:url", NS)
    locs = [u.find("s:loc", NS).text for u in urls]
    assert f"http://localhost/p/{shown}?lang=ar" in locs
    assert f"http://localhost/p/{shown}?lang=en" in locs
    assert not any(waiting in loc for loc in locs)
    assert f"http://localhost/c/{COOP}?lang=fr" in locs
    for url in urls:
        assert url.find("s:lastmod", NS) is not None or "/c/" in url.find("s:loc", NS).text
        links = {a.get("hreflang"): a.get("href") for a in url.findall("x:link", NS)}
        assert set(links) == {"ar", "fr", "en", "x-default"}
    product = next(u for u in urls if u.find("s:loc", NS).text.endswith(f"{shown}?lang=fr"))
    assert re.match(r"\d{4}-\d\d-\d\dT", product.find("s:lastmod", NS).text)
    coop = next(u for u in urls if u.find("s:loc", NS).text.endswith(f"{COOP}?lang=fr"))
    assert coop.find("s:lastmod", NS) is not None  # its products' last change at least


def test_robots_allows_the_pages_and_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert "User-agent: *" in lines and "Allow: /" in lines
    for rule in ("Disallow: /review", "Disallow: /buy", "Disallow: /api/v1/"):
        assert rule in lines
    assert "Allow: /api/v1/docs" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines

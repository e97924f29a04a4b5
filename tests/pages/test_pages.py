"""The server-rendered pages: share previews, languages and direction, weight, safety."""

from __future__ import annotations

import base64
import json

import pytest

from api import create_app
from api.services import accounts, photo_docs, products, reviews
from api.web import i18n
from api.web.rendering import css_url
from seed import populate
from sync.rules.access import channels_for
from sync.store.documents import DocumentStore
from tests.support.apps import make_config
from tests.support.listings import OPTIONS, Listings, Reviewer, page


@pytest.fixture
def listings(app, client):
    return Listings(app, client)


def test_product_page_carries_the_open_graph_tags_of_a_shared_link(client, listings):
    photo, sha = listings.photo()
    pid = listings.published(
        title={"ar": "زربية بني ورين", "fr": "Tapis Beni Ouarain"},
        description={"fr": "Laine naturelle, nouée main."},
        price_centimes=450050,
        photos=[photo],
        options=OPTIONS,
    )
    response = client.get(f"/p/{pid}?lang=fr")
    assert response.status_code == 200
    meta = page(response).meta
    assert meta["og:type"] == "product"
    assert meta["og:title"] == "Tapis Beni Ouarain"
    assert meta["og:description"] == "Laine naturelle, nouée main."
    assert meta["og:url"] == f"http://localhost/p/{pid}?lang=fr"  # the canonical address
    # The share card (photo, title, price, cooperative): tests/pages/test_share_and_seo.py
    assert meta["og:image"].startswith(f"http://localhost/p/{pid}/share.jpg?v=")
    assert meta["og:image"].endswith("&lang=fr")
    assert meta["product:price:amount"] == "4500.50"
    assert meta["product:price:currency"] == "MAD"
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["twitter:image"] == meta["og:image"]
    with client.get(meta["og:image"].removeprefix("http://localhost")) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"  # crawlers: JPEG
    assert f"/media/{sha}/display" in response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert "فاطمة أيت علي" in body  # the artisan's display name
    assert "Coopérative Zerbia de Taza" in body
    assert "4\u202f500,50\u00a0DH" in body  # dirhams from centimes, French style
    assert "Taille" in body and "Grand" in body and "+500\u00a0DH" in body
    assert "+212" not in body  # never a phone number
    arabic = client.get(f"/p/{pid}?lang=ar").get_data(as_text=True)
    assert "\u20664\u202f500,50\u2069\u00a0درهم" in arabic and "تعاونية الزربية التازية" in arabic


def test_a_product_without_a_photo_or_price_still_previews(client, listings):
    pid = listings.published(title={"ar": "سلة"}, category="basketry", price_centimes=None)
    meta = page(client.get(f"/p/{pid}")).meta
    assert meta["og:title"] == "سلة"
    assert "product:price:amount" not in meta
    # No photo: the share card is drawn from the words alone.
    assert meta["og:image"].startswith(f"http://localhost/p/{pid}/share.jpg?")
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["og:description"].startswith("السلالة")  # the category stands in


@pytest.mark.parametrize("status", ["draft", "submitted"])
def test_unapproved_products_are_not_found(client, listings, status):
    pid = listings.product(title={"ar": "مسودة", "fr": "Brouillon"}, status=status)
    response = client.get(f"/p/{pid}")
    assert response.status_code == 404
    parsed = page(response)
    assert parsed.html_attrs == {"lang": "ar", "dir": "rtl"}
    body = response.get_data(as_text=True)
    assert "الصفحة غير موجودة" in body and "مسودة" not in body
    assert "og:title" not in parsed.meta
    assert len(response.data) < 8 * 1024  # light: the 404 of a dead share link on 2G
    assert client.get("/p/no-such-thing?lang=en").status_code == 404


def test_an_archived_product_leaves_the_pages(client, listings):
    pid = listings.published(title={"fr": "Tapis"})
    headers = listings.auth.headers("artisan")
    current = client.get(f"/api/v1/products/{pid}", headers=headers).get_json()
    archived = client.patch(
        f"/api/v1/products/{pid}",
        json={"status": "archived"},
        headers={**headers, "If-Match": current["rev"]},
    )
    assert archived.status_code == 200
    assert client.get(f"/p/{pid}").status_code == 404
    assert pid not in client.get("/catalog").get_data(as_text=True)


def test_arabic_is_right_to_left_and_french_left_to_right(client):
    assert page(client.get("/catalog")).html_attrs == {"lang": "ar", "dir": "rtl"}
    french = client.get("/catalog", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert page(french).html_attrs == {"lang": "fr", "dir": "ltr"}
    english = client.get("/catalog", headers={"Accept-Language": "en-GB"})
    assert page(english).html_attrs == {"lang": "en", "dir": "ltr"}
    german = client.get("/catalog", headers={"Accept-Language": "de-DE"})
    assert page(german).html_attrs == {"lang": "ar", "dir": "rtl"}
    assert "Accept-Language" in french.headers["Vary"] and "Cookie" in french.headers["Vary"]


def test_the_language_switch_is_remembered_in_a_cookie(client):
    switched = client.get("/catalog?q=tapis&lang=en")
    assert page(switched).html_attrs["lang"] == "en"
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "SameSite=Lax" in cookie
    links = page(switched).links
    assert "/catalog?q=tapis&lang=fr" in links and "/catalog?q=tapis&lang=ar" in links
    # The cookie now wins over the browser's Accept-Language.
    later = client.get("/c/coop-taza-zerbia", headers={"Accept-Language": "fr"})
    assert page(later).html_attrs == {"lang": "en", "dir": "ltr"}
    assert "Coopérative Zerbia de Taza" in later.get_data(as_text=True)
    assert page(client.get("/catalog?lang=ar")).html_attrs["dir"] == "rtl"
    assert page(client.get("/catalog?lang=xx")).html_attrs["lang"] == "ar"  # still remembered


def test_catalogue_page_searches_with_the_apis_full_text_and_filters(client, listings):
    carpet = listings.published(title={"ar": "زَرْبِيَّة أمازيغية"})
    tajine = listings.published(title={"ar": "طاجين فخار"}, category="pottery")
    found = client.get("/catalog", query_string={"q": "الزربيه"}).get_data(as_text=True)
    assert f"/p/{carpet}" in found and f"/p/{tajine}" not in found
    by_category = client.get("/catalog?category=pottery").get_data(as_text=True)
    assert f"/p/{tajine}" in by_category and f"/p/{carpet}" not in by_category
    both = client.get("/catalog?category=spaceships").get_data(as_text=True)
    assert f"/p/{tajine}" in both and f"/p/{carpet}" in both  # an unknown filter is ignored
    assert client.get("/catalog?cursor=not-ours").status_code == 400


def test_catalogue_pages_follow_the_apis_cursor(client, listings):
    made = {listings.published(title={"fr": f"Panier {n}"}, category="basketry") for n in range(26)}
    first = client.get("/catalog")
    # The "next" link, not the language switch (which keeps the query, cursor included).
    next_links = [h for h in page(first).links if "cursor=" in h and "lang=" not in h]
    assert len(next_links) == 1
    second = client.get(next_links[0])
    shown = [
        href.removeprefix("/p/")
        for response in (first, second)
        for href in page(response).links
        if href.startswith("/p/")
    ]
    assert sorted(shown) == sorted(made)  # each once, none left out
    assert not [h for h in page(second).links if "cursor=" in h and "lang=" not in h]
    again = client.get("/catalog", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_cooperative_page_lists_only_its_approved_products(client, listings):
    ours = listings.published(title={"fr": "Tapis"})
    theirs = listings.published("artisan_other_coop", "coordinator2", title={"fr": "Huile"})
    waiting = listings.product(title={"fr": "En attente"})
    body = client.get("/c/coop-taza-zerbia?lang=fr").get_data(as_text=True)
    assert f"/p/{ours}" in body and f"/p/{theirs}" not in body and f"/p/{waiting}" not in body
    assert "Coopérative Zerbia de Taza" in body and "Fès-Meknès" in body
    assert client.get("/c/coop-nowhere").status_code == 404


def heavy(n: int) -> dict:
    """A full listing: long titles and descriptions in all three languages."""
    return {
        "title": {
            "ar": f"زربية أمازيغية تقليدية منسوجة يدويًا من صوف الأطلس المتوسط رقم {n}",
            "fr": f"Tapis amazigh traditionnel tissé main en laine du Moyen Atlas n° {n}",
            "en": f"Traditional Amazigh rug hand-woven from Middle Atlas wool no. {n}",
        },
        "description": {
            "ar": "نسيج يدوي من صوف الغنم بألوان طبيعية من الحناء والنيلة. " * 16,
            "fr": "Laine de mouton tissée main, teintures naturelles au henné. " * 16,
            "en": "Hand-woven sheep's wool, natural henna and indigo dyes. " * 16,
        },
    }


def test_every_page_weighs_under_50_kb_before_images(client, listings):
    photo, _ = listings.photo()
    pid = None
    for n in range(24):  # a full catalogue page
        pid = listings.published(**heavy(n), photos=[photo], options=OPTIONS)
    for n in range(12):  # more than a queue page
        listings.product(**heavy(100 + n), photos=[photo])
    Reviewer(client).sign_in("coordinator")
    for url in ("/catalog", f"/p/{pid}", "/c/coop-taza-zerbia", "/review"):
        for lang in ("ar", "fr", "en"):
            response = client.get(url, query_string={"lang": lang})
            assert response.status_code == 200
            parsed = page(response)
            extra = sum(len(client.get(src).data) for src in parsed.stylesheets + parsed.scripts)
            assert len(response.data) + extra < 50 * 1024, (url, lang)
    assert page(client.get("/catalog")).links.count(f"/p/{pid}") == 1  # the page is full


def test_titles_are_escaped_not_run(client, listings):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    pid = listings.published(title={"fr": evil}, description={"fr": '"><script>1</script>'})
    listings.product(title={"fr": evil})  # waits in the coordinator's queue
    reviewer = Reviewer(client)
    reviewer.sign_in("coordinator")
    for url in (f"/p/{pid}?lang=fr", "/catalog", "/c/coop-taza-zerbia", "/review"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert" in body, url
    meta = page(client.get(f"/p/{pid}?lang=fr")).meta
    assert meta["og:title"] == evil  # escaped in the attribute, intact once parsed


def test_the_stylesheet_is_also_served_with_long_caching(client):
    html = client.get("/catalog").get_data(as_text=True)
    served = client.get("/static/web/hirfa.css")
    assert served.mimetype == "text/css" and served.get_data(as_text=True) in html
    versioned = client.get(css_url())
    assert "immutable" in versioned.headers["Cache-Control"]
    assert "max-age=31536000" in versioned.headers["Cache-Control"]


def test_share_links_use_the_configured_public_url(tmp_path):
    app = create_app(make_config(tmp_path, public_url="https://hirfa.example.ma/"))
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    store = DocumentStore(db, channels_for)
    artisan, coordinator = accounts.get_user(db, "art_fatima"), accounts.get_user(db, "coo_naima")
    doc = products.create(
        store,
        artisan,
        {"title": {"fr": "Tapis"}, "category": "carpets", "status": "submitted", "photos": []},
    )
    reviews.decide(store, coordinator, doc["_id"], "approve")
    page = app.test_client().get(f"/p/{doc['_id']}", headers={"Host": "evil.example"})
    html = page.get_data(as_text=True)
    assert f'content="https://hirfa.example.ma/p/{doc["_id"]}?lang=ar"' in html
    assert "evil.example" not in html


@pytest.mark.parametrize("path", ["/catalog", "/c/coop-taza-zerbia"])
@pytest.mark.parametrize("value", [{}, [[], []], ["x"], [None, None]])
def test_a_cursor_of_the_wrong_shape_is_a_400_page(client, listings, path, value):
    listings.published(title={"fr": "Tapis"})
    cursor = base64.urlsafe_b64encode(json.dumps(value).encode()).decode()
    assert client.get(path, query_string={"cursor": cursor}).status_code == 400
    assert client.get("/catalog", query_string={"q": "tapis", "cursor": cursor}).status_code == 400


@pytest.mark.parametrize("path", ["/catalog", "/c/coop-taza-zerbia"])
def test_a_cursor_of_deeply_nested_json_is_a_400_page(client, listings, path):
    listings.published(title={"fr": "Tapis"})
    cursor = base64.urlsafe_b64encode(b"[" * 5000).decode()
    assert client.get(path, query_string={"cursor": cursor}).status_code == 400


def test_pages_change_their_etag_when_a_photo_becomes_ready(app, client, listings):
    sha = "fa" * 32
    made = client.post(
        "/api/v1/photos", json={"id": "photo:late", "sha256": sha},
        headers=listings.auth.headers("artisan"),
    )  # fmt: skip
    assert made.status_code == 201
    pid = listings.published(title={"fr": "Tapis"}, photos=["photo:late"])
    paths = [f"/p/{pid}", "/catalog", "/c/coop-taza-zerbia"]
    tags = {path: client.get(path).headers["ETag"] for path in paths}
    with app.app_context():
        photo_docs.mark_ready(app.extensions["hirfa"].store(), sha, 800, 600)
    for path in paths:
        again = client.get(path, headers={"If-None-Match": tags[path]})
        assert again.status_code == 200, path
        assert f"/media/{sha}/" in again.get_data(as_text=True), path


def test_pages_compare_if_none_match_weakly(client, listings):
    pid = listings.published(title={"fr": "Tapis"})
    tag = client.get(f"/p/{pid}").headers["ETag"]
    for sent in (tag, tag.removeprefix("W/"), f'"x", {tag}'):
        assert client.get(f"/p/{pid}", headers={"If-None-Match": sent}).status_code == 304


def test_every_page_text_exists_in_every_language():
    """A key added in one language and forgotten in another would show the key itself."""
    keys = {lang: set(texts) for lang, texts in i18n.STRINGS.items()}
    assert set(keys) == set(i18n.LANGS)
    assert keys["ar"] == keys["fr"] == keys["en"]
    assert all(text.strip() for texts in i18n.STRINGS.values() for text in texts.values())

"""The public catalogue: approved only, public fields only, Arabic-aware search, 304."""

from __future__ import annotations

import base64
import json

import pytest

from api.services import catalog, photo_docs
from api.services.text_search import tokens

C = "/api/v1/catalog"


@pytest.fixture
def publish(client, auth):
    """Create a product as an artisan, submit it, approve it as her coordinator."""

    def publish(who="artisan", coordinator="coordinator", **fields):
        body = {"category": "carpets", "price_centimes": 100000, **fields, "status": "submitted"}
        product = client.post("/api/v1/products", json=body, headers=auth.headers(who))
        assert product.status_code == 201, product.get_json()
        pid = product.get_json()["id"]
        decided = client.post(
            f"/api/v1/reviews/{pid}",
            json={"decision": "approve"},
            headers=auth.headers(coordinator),
        )
        assert decided.status_code == 200
        return pid

    return publish


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_only_approved_products_and_only_public_fields(client, auth, publish):
    approved = publish(title={"ar": "زربية"})
    client.post(
        "/api/v1/products",
        json={"title": {"ar": "مسودة"}, "category": "carpets"},
        headers=auth.headers("artisan"),
    )
    response = client.get(C)
    assert ids(response) == [approved]
    raw = response.get_data(as_text=True)
    assert "+212" not in raw and "phone" not in raw
    item = response.get_json()["items"][0]
    assert item["artisan"] == {"id": "art_fatima", "display_name": "فاطمة أيت علي"}
    assert item["cooperative"]["id"] == "coop-taza-zerbia" and item["region"] == "fes-meknes"
    assert client.get(f"{C}/{approved}").status_code == 200


def test_a_product_leaves_the_catalogue_when_it_is_archived(client, auth, publish):
    pid = publish(title={"fr": "Tapis"})
    headers = auth.headers("artisan")
    current = client.get(f"/api/v1/products/{pid}", headers=headers).get_json()
    client.patch(
        f"/api/v1/products/{pid}",
        json={"status": "archived"},
        headers={**headers, "If-Match": current["rev"]},
    )
    assert ids(client.get(C)) == []
    assert client.get(f"{C}/{pid}").status_code == 404


# (indexed spelling, searched spelling): each pair must match.
ARABIC_CASES = [
    ("زَرْبِيَّة تقليدية", "زربية"),  # diacritics in the listing
    ("زربية", "زَرْبِيَّة"),  # diacritics in the query
    ("زربيه", "زربية"),  # ta marbuta written as ha
    ("أركان بلدي", "اركان"),  # alef with hamza above
    ("إبريق نحاسي", "ابريق"),  # alef with hamza below
    ("آنية فخارية", "انية"),  # alef madda
    ("حلوى اللوز", "حلوي"),  # alef maqsura
    ("الزربية الأمازيغية", "زربية"),  # the definite article
    ("سلّة من الدوم", "سلة"),  # shadda
    ("طـــاجين", "طاجين"),  # tatweel
    ("Poterie émaillée", "emaillee"),  # French accents
    ("TAPIS berbère", "tapis berbere"),  # case and accents
]


@pytest.mark.parametrize("indexed, query", ARABIC_CASES)
def test_search_normalises_spelling(client, publish, indexed, query):
    pid = publish(title={"ar": indexed})
    publish(title={"ar": "شيء آخر"}, category="pottery")
    assert ids(client.get(C, query_string={"q": query})) == [pid]


def test_search_in_any_language_and_by_prefix(client, publish):
    pid = publish(title={"fr": "Tajine de Safi"}, description={"en": "glazed clay pot"})
    assert ids(client.get(C, query_string={"q": "glaz"})) == [pid]
    assert ids(client.get(C, query_string={"q": "safi tajine"})) == [pid]
    assert ids(client.get(C, query_string={"q": "carpet"})) == []


def test_filters(client, auth, publish):
    cheap = publish(title={"fr": "Panier"}, category="basketry", price_centimes=5000)
    custom = publish(
        title={"fr": "Tapis"},
        price_centimes=300000,
        options=[
            {
                "code": "size",
                "label": {"fr": "Taille"},
                "choices": [{"code": "l", "label": {"fr": "Grand"}, "price_delta_centimes": 1000}],
            }
        ],
    )
    sold_out = publish(
        title={"fr": "Pot"}, category="pottery", stock={"mode": "in_stock", "quantity": 0}
    )
    zahra = publish("artisan_other_coop", "coordinator2", title={"fr": "Huile"}, category="argan")
    assert ids(client.get(C, query_string={"category": "basketry"})) == [cheap]
    assert set(ids(client.get(C, query_string={"max_price": 10000}))) == {cheap}
    assert set(ids(client.get(C, query_string={"min_price": 200000}))) == {custom}
    assert ids(client.get(C, query_string={"customisable": "true"})) == [custom]
    assert sold_out not in ids(client.get(C, query_string={"available": "true"}))
    assert ids(client.get(C, query_string={"region": "marrakech-safi"})) == [zahra]
    assert ids(client.get(C, query_string={"cooperative": "coop-essaouira-argan"})) == [zahra]
    assert client.get(C, query_string={"category": "spaceships"}).status_code == 400
    assert client.get(C, query_string={"sort": "random"}).status_code == 400
    assert client.get(C, query_string={"min_price": "cheap"}).status_code == 400


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc"])
def test_cursor_pages_return_everything_once_in_order(client, publish, sort):
    made = [publish(title={"fr": f"Tapis {n}"}, price_centimes=(n % 3) * 1000) for n in range(7)]
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 3, "sort": sort, **({"cursor": cursor} if cursor else {})}
        page = client.get(C, query_string=params).get_json()
        seen += page["items"]
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(i["id"] for i in seen) == sorted(made)
    prices = [i["price_centimes"] for i in seen]
    if sort == "price_asc":
        assert prices == sorted(prices)
    if sort == "price_desc":
        assert prices == sorted(prices, reverse=True)
    assert client.get(C, query_string={"cursor": "not-a-cursor"}).status_code == 400


def test_etag_and_304(client, publish):
    publish(title={"fr": "Tapis"})
    first = client.get(C)
    tag = first.headers["ETag"]
    assert client.get(C, headers={"If-None-Match": tag}).status_code == 304
    publish(title={"fr": "Autre"})
    changed = client.get(C, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


def test_small_responses(client, publish):
    for n in range(24):
        publish(title={"fr": f"Tapis {n}"}, description={"fr": "laine " * 20})
    body = client.get(C).get_data()
    assert len(json.loads(body)["items"]) == 24
    assert len(body) < 40_000


def test_artisan_public_profile(client, publish):
    publish(title={"fr": "Tapis"})
    profile = client.get("/api/v1/artisans/art_fatima/profile").get_json()
    assert profile["products"] == 1 and profile["cooperative"]["id"] == "coop-taza-zerbia"
    assert "phone" not in profile
    assert client.get("/api/v1/artisans/coo_naima/profile").status_code == 404


def test_presentation_forms_are_folded_before_the_arabic_rules():
    assert tokens("ﻛﺒﻴﺮﺓ") == tokens("كبيرة")
    assert tokens("ﺓ") == tokens("ة") == ["ه"]


def test_search_finds_a_title_typed_in_presentation_forms(client, publish):
    pid = publish(title={"ar": "زربية كبيرة"})
    assert ids(client.get(C, query_string={"q": "ﻛﺒﻴﺮﺓ"})) == [pid]
    other = publish(title={"ar": "ﻛﺒﻴﺮﺓ"}, category="pottery")
    assert set(ids(client.get(C, query_string={"q": "كبيرة"}))) == {pid, other}


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize("sort", ["newest", "price_asc", "price_desc", "relevance"])
@pytest.mark.parametrize(
    "value", [{}, [[], []], ["x"], [], [1], [1, 2], [True, "a"], [2**70, "a"], [-5], [None, None]]
)
def test_a_cursor_of_the_wrong_shape_is_400_not_500(client, publish, sort, value):
    publish(title={"fr": "Tapis"})
    response = client.get(C, query_string={"q": "tapis", "sort": sort, "cursor": cursor_of(value)})
    if sort == "relevance" and value == [1]:  # the one well-formed cursor here: an offset
        assert response.status_code == 200
        return
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize("sort", ["newest", "relevance"])
def test_a_cursor_of_deeply_nested_json_is_400_not_500(client, publish, sort):
    """json.loads recurses once per bracket: 5,000 of them raise RecursionError."""
    publish(title={"fr": "Tapis"})
    cursor = base64.urlsafe_b64encode(b"[" * 5000).decode()
    response = client.get(C, query_string={"q": "tapis", "sort": sort, "cursor": cursor})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_etag_changes_when_a_photo_becomes_ready(app, client, auth, publish):
    headers = auth.headers("artisan")
    sha = "ef" * 32
    client.post("/api/v1/photos", json={"id": "photo:late", "sha256": sha}, headers=headers)
    pid = publish(title={"fr": "Tapis"}, photos=["photo:late"])
    listing, item = client.get(C), client.get(f"{C}/{pid}")
    assert listing.get_json()["items"][0]["thumb_url"] is None
    with app.app_context():
        photo_docs.mark_ready(app.extensions["hirfa"].store(), sha, 800, 600)
    after = client.get(C, headers={"If-None-Match": listing.headers["ETag"]})
    assert after.status_code == 200, "a stale ETag keeps the photo-less page in caches"
    assert after.get_json()["items"][0]["thumb_url"] == f"/media/{sha}/thumb"
    assert client.get(f"{C}/{pid}").get_json()["thumb_url"] == f"/media/{sha}/thumb"
    assert item.get_json()["thumb_url"] is None


def test_renamed_and_disabled_artisans(app, client, auth, publish, db):
    pid = publish(title={"fr": "Tapis"})
    other = publish("artisan2", title={"fr": "Panier"})
    tag = client.get(C).headers["ETag"]
    edited = client.patch(
        "/api/v1/me", json={"display_name": "فاطمة"}, headers=auth.headers("artisan")
    )
    assert edited.status_code == 200, edited.get_json()
    renamed = client.get(C, headers={"If-None-Match": tag})
    assert renamed.status_code == 200
    names = {i["id"]: i["artisan"]["display_name"] for i in renamed.get_json()["items"]}
    assert names[pid] == "فاطمة"
    disabled = client.put(
        "/api/v1/users/art_fatima/disabled", json={"disabled": True}, headers=auth.headers("admin")
    )
    assert disabled.status_code == 200, disabled.get_json()
    hidden = client.get(C, headers={"If-None-Match": renamed.headers["ETag"]})
    assert hidden.status_code == 200 and ids(hidden) == [other]
    assert client.get(f"{C}/{pid}").status_code == 404
    assert client.get(f"/p/{pid}").status_code == 404


def test_changing_only_the_language_keeps_the_etag(client, auth, publish):
    publish(title={"fr": "Tapis"})
    tag = client.get(C).headers["ETag"]
    edited = client.patch("/api/v1/me", json={"locale": "fr"}, headers=auth.headers("artisan"))
    assert edited.status_code == 200, edited.get_json()
    assert client.get(C, headers={"If-None-Match": tag}).status_code == 304


def test_enabling_an_artisan_again_changes_the_etag(client, auth, publish):
    pid = publish(title={"fr": "Tapis"})
    url, admin = "/api/v1/users/art_fatima/disabled", auth.headers("admin")
    assert client.put(url, json={"disabled": True}, headers=admin).status_code == 200
    tag = client.get(C).headers["ETag"]
    assert client.put(url, json={"disabled": False}, headers=admin).status_code == 200
    again = client.get(C, headers={"If-None-Match": tag})
    assert again.status_code == 200 and ids(again) == [pid]


def test_a_read_with_nothing_new_does_not_scan_the_accounts(app, client, publish, db):
    """Names and disabled flags bump the version where they change (accounts.py), so a
    read does not fingerprint every artisan and cooperative: its cost does not grow with
    the number of accounts."""
    publish(title={"fr": "Tapis"})
    catalog.refresh(db)
    statements = []
    db.conn.set_trace_callback(statements.append)
    try:
        before = catalog.version(db)
        catalog.refresh(db)
    finally:
        db.conn.set_trace_callback(None)
    assert catalog.version(db) == before
    scans = [s for s in statements if "FROM users" in s or "FROM cooperatives" in s]
    assert scans == []
    assert not any(s.lstrip().upper().startswith(("UPDATE", "INSERT")) for s in statements)


def test_if_none_match_compares_weakly_and_takes_several_tags(client, publish):
    publish(title={"fr": "Tapis"})
    tag = client.get(C).headers["ETag"]
    strong = tag.removeprefix("W/")
    for sent in (tag, strong, f'"other", {tag}', "*"):
        assert client.get(C, headers={"If-None-Match": sent}).status_code == 304, sent
    assert client.get(C, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        {"min_price": "٥"},  # int() reads Arabic-Indic digits; the spec says integer
        {"max_price": "+5"},
        {"limit": "1_0"},
        {"limit": " 5"},
        {"customisable": "yes"},  # was read as true: the spec says boolean
        {"available": "maybe"},  # was read as false, the filter silently dropped
    ],
)
def test_query_values_outside_their_documented_type_are_400(client, query):
    response = client.get(C, query_string=query)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "bad_request"

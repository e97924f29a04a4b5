"""Products over REST on the same documents as /sync."""

from __future__ import annotations

import pytest

from api.services import photo_docs
from tests.support import images
from tests.support.uploads import upload

P = "/api/v1/products"
RUG = {
    "title": {"ar": "زربية بني ورين", "fr": "Tapis"},
    "category": "carpets",
    "price_centimes": 450000,
    "materials": ["wool"],
    "stock": {"mode": "made_to_order", "production_days": 21},
    "options": [
        {
            "code": "colour",
            "label": {"fr": "Couleur"},
            "choices": [
                {"code": "indigo", "label": {"fr": "Indigo"}, "price_delta_centimes": 5000}
            ],
        }
    ],
}


def create(client, headers, **extra):
    response = client.post(P, json={**RUG, **extra}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_artisan_creates_and_reads_her_product(client, auth):
    body = create(client, auth.headers("artisan"))
    assert body["owner"] == "art_fatima" and body["cooperative"] == "coop-taza-zerbia"
    assert body["status"] == "draft" and body["listed_by"] == "art_fatima"
    got = client.get(f"{P}/{body['id']}", headers=auth.headers("artisan"))
    assert got.status_code == 200 and got.headers["ETag"] == f'"{body["rev"]}"'
    assert got.get_json()["options"][0]["choices"][0]["price_delta_centimes"] == 5000


def test_client_chosen_id_and_duplicate(client, auth):
    headers = auth.headers("artisan")
    assert create(client, headers, id="product:offline-1")["id"] == "product:offline-1"
    again = client.post(P, json={**RUG, "id": "product:offline-1"}, headers=headers)
    assert again.status_code == 409


def test_idempotency_key_returns_the_first_result(client, auth, db):
    headers = {**auth.headers("artisan"), "Idempotency-Key": "retry-1"}
    first = client.post(P, json=RUG, headers=headers)
    second = client.post(P, json=RUG, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    count = db.execute("SELECT count(*) FROM docs WHERE id LIKE 'product:%'").fetchone()[0]
    assert count == 1
    different = client.post(P, json={**RUG, "price_centimes": 1}, headers=headers)
    assert different.status_code == 422
    assert different.get_json()["error"]["code"] == "idempotency_key_reused"


def test_if_match_is_required_and_stale_gets_412_with_current(client, auth):
    headers = auth.headers("artisan")
    body = create(client, headers)
    url = f"{P}/{body['id']}"
    missing = client.patch(url, json={"price_centimes": 1}, headers=headers)
    assert missing.status_code == 428
    ok = client.patch(
        url, json={"price_centimes": 400000}, headers={**headers, "If-Match": f'"{body["rev"]}"'}
    )
    assert ok.status_code == 200 and ok.get_json()["price_centimes"] == 400000
    stale = client.patch(
        url, json={"price_centimes": 1}, headers={**headers, "If-Match": f'"{body["rev"]}"'}
    )
    assert stale.status_code == 412
    current = stale.get_json()["error"]["details"]["current"]
    assert current["rev"] == ok.get_json()["rev"] and current["price_centimes"] == 400000


def test_a_patch_replaces_whole_fields_so_a_nested_one_must_be_complete(client, auth):
    """A PATCH names the fields it replaces; `stock` without its `mode` is a bad stock (400
    naming it), not a document the store refuses (it was 403 "invalid product")."""
    headers = auth.headers("artisan")
    body = create(client, headers)
    response = client.patch(
        f"{P}/{body['id']}",
        json={"stock": {"quantity": 5}},
        headers={**headers, "If-Match": f'"{body["rev"]}"'},
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["details"]["fields"] == {
        "stock": {"mode": ["Missing data for required field."]}
    }


def test_not_modified_with_if_none_match(client, auth):
    headers = auth.headers("artisan")
    body = create(client, headers)
    response = client.get(
        f"{P}/{body['id']}", headers={**headers, "If-None-Match": f'"{body["rev"]}"'}
    )
    assert response.status_code == 304


@pytest.mark.parametrize(
    "forged, field",
    [
        ({"owner": "art_khadija"}, "owner"),
        ({"cooperative": "coop-essaouira-argan"}, "cooperative"),
        ({"status": "approved"}, "status"),
        ({"price_centimes": 12.5}, "price_centimes"),
        ({"category": "spaceships"}, "category"),
        ({"title": {}}, "title"),
        # a number, not a string that reads as one (the spec says number: schemathesis)
        ({"dimensions": {"length_cm": "200"}}, "dimensions"),
    ],
)
def test_server_owned_and_invalid_fields_are_refused(client, auth, forged, field):
    response = client.post(P, json={**RUG, **forged}, headers=auth.headers("artisan"))
    assert response.status_code == 400
    assert field in response.get_json()["error"]["details"]["fields"]


def test_only_the_review_moves_past_submitted(client, auth):
    headers = auth.headers("artisan")
    body = create(client, headers)
    response = client.patch(
        f"{P}/{body['id']}",
        json={"status": "approved"},
        headers={**headers, "If-Match": body["rev"]},
    )
    assert response.status_code == 400


def test_artisans_cannot_reach_each_others_products(client, auth):
    body = create(client, auth.headers("artisan"))
    url = f"{P}/{body['id']}"
    other = auth.headers("artisan2")
    assert client.get(url, headers=other).status_code == 404
    assert (
        client.patch(
            url, json={"price_centimes": 1}, headers={**other, "If-Match": body["rev"]}
        ).status_code
        == 404
    )
    assert client.delete(url, headers={**other, "If-Match": body["rev"]}).status_code == 404
    assert client.get(P, headers=other).get_json()["items"] == []


def test_coordinator_lists_for_an_artisan_of_her_cooperative(client, auth):
    headers = auth.headers("coordinator")
    body = create(client, headers, artisan_id="art_fatima")
    assert body["owner"] == "art_fatima" and body["listed_by"] == "coo_naima"
    assert client.get(f"{P}/{body['id']}", headers=auth.headers("artisan")).status_code == 200
    other = client.post(P, json={**RUG, "artisan_id": "art_zahra"}, headers=headers)
    assert other.status_code == 403
    no_artisan = client.post(P, json=RUG, headers=headers)
    assert no_artisan.status_code == 400


def test_buyers_do_not_list_products(client, auth):
    assert client.post(P, json=RUG, headers=auth.headers("buyer")).status_code == 403


def test_list_filters_cursor_and_tombstones(client, auth):
    headers = auth.headers("artisan")
    a = create(client, headers, status="submitted")
    b = create(client, headers)
    create(client, headers, category="pottery")
    page = client.get(f"{P}?status=submitted", headers=headers).get_json()
    assert [p["id"] for p in page["items"]] == [a["id"]]
    first = client.get(f"{P}?limit=2", headers=headers).get_json()
    assert len(first["items"]) == 2 and first["more"] is True
    rest = client.get(f"{P}?since={first['next']}", headers=headers).get_json()
    assert len(rest["items"]) == 1 and rest["more"] is False
    gone = client.delete(f"{P}/{b['id']}", headers={**headers, "If-Match": b["rev"]})
    assert gone.status_code == 204
    after = client.get(f"{P}?since={rest['next']}", headers=headers).get_json()
    assert after["deleted"] == [b["id"]] and after["items"] == []
    assert client.get(f"{P}?status=bogus", headers=headers).status_code == 400
    assert client.get(f"{P}?limit=0", headers=headers).status_code == 400


def test_rest_and_sync_see_the_same_documents(client, auth):
    headers = auth.headers("artisan")
    body = create(client, headers)
    synced = client.get(f"/sync/hirfa/{body['id']}", headers=headers).get_json()
    assert synced["_rev"] == body["rev"] and synced["type"] == "product"
    offline = {
        **RUG,
        "type": "product",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "status": "draft",
    }
    put = client.put("/sync/hirfa/product:from-phone", json=offline, headers=headers)
    assert put.status_code == 201
    via_rest = client.get(f"{P}/product:from-phone", headers=headers)
    assert via_rest.status_code == 200 and via_rest.get_json()["rev"] == put.get_json()["rev"]


def test_photo_is_pending_until_its_bytes_are_processed(client, auth, app):
    headers = auth.headers("artisan")
    sha = "ab" * 32
    photo = client.post("/api/v1/photos", json={"id": "photo:1", "sha256": sha}, headers=headers)
    assert photo.status_code == 201 and photo.get_json()["status"] == "pending"
    product = create(client, headers, photos=["photo:1"])
    assert product["photo_status"][0]["status"] == "pending"
    hirfa = app.extensions["hirfa"]
    with app.app_context():
        updated = photo_docs.mark_ready(hirfa.store(), sha, 1280, 960)
    assert updated == ["photo:1"]
    after = client.get(f"{P}/{product['id']}", headers=headers).get_json()
    assert after["photo_status"][0] == {
        "id": "photo:1",
        "status": "ready",
        "thumb_url": f"/media/{sha}/thumb",
        "display_url": f"/media/{sha}/display",
    }
    synced = client.get("/sync/hirfa/photo:1", headers=headers).get_json()
    assert synced["status"] == "ready" and synced["_rev"].startswith("2-")


def test_a_phone_cannot_mark_its_own_photo_ready(client, auth):
    doc = {
        "type": "photo",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "sha256": "cd" * 32,
        "status": "ready",
    }
    response = client.put("/sync/hirfa/photo:forged", json=doc, headers=auth.headers("artisan"))
    assert response.status_code == 403


def test_an_upload_turns_the_waiting_photo_ready(client, auth):
    headers = auth.headers("artisan")
    data = images.jpeg(seed=7)
    sha = images.sha256(data)
    pending = client.post("/api/v1/photos", json={"id": "photo:up", "sha256": sha}, headers=headers)
    assert pending.get_json()["status"] == "pending"
    assert upload(client, headers, data).status_code == 201
    ready = client.get("/api/v1/photos/photo:up", headers=headers).get_json()
    assert ready["status"] == "ready" and ready["thumb_url"] == f"/media/{sha}/thumb"
    synced = client.get("/sync/hirfa/photo:up", headers=headers).get_json()
    assert synced["width"] == 800 and synced["height"] == 600


def approved(client, auth, **extra) -> dict:
    headers = auth.headers("artisan")
    product = create(client, headers, status="submitted", **extra)
    decided = client.post(
        f"/api/v1/reviews/{product['id']}",
        json={"decision": "approve"},
        headers=auth.headers("coordinator"),
    )
    assert decided.status_code == 200, decided.get_json()
    return client.get(f"{P}/{product['id']}", headers=headers).get_json()


@pytest.mark.parametrize(
    "change",
    [
        {"title": {"fr": "Autre chose"}},
        {"description": {"fr": "Nouveau texte"}},
        {"price_centimes": 1},
        {"photos": ["photo:other"]},
        {"category": "pottery"},
        {"options": []},
    ],
)
def test_editing_an_approved_product_sends_it_back_for_review(client, auth, change):
    product = approved(client, auth)
    headers = auth.headers("artisan")
    edited = client.patch(
        f"{P}/{product['id']}", json=change, headers={**headers, "If-Match": product["rev"]}
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["status"] == "submitted"
    assert client.get(f"/api/v1/catalog/{product['id']}").status_code == 404


def test_stock_changes_keep_an_approved_product_in_the_catalogue(client, auth):
    product = approved(client, auth)
    headers = auth.headers("artisan")
    edited = client.patch(
        f"{P}/{product['id']}",
        json={"stock": {"mode": "in_stock", "quantity": 3}},
        headers={**headers, "If-Match": product["rev"]},
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["status"] == "approved"
    assert client.get(f"/api/v1/catalog/{product['id']}").status_code == 200


def test_deleted_lists_product_ids_only(client, auth):
    headers = auth.headers("artisan")
    product = create(client, headers)
    photo = {  # another type deleted: not a product, so not in the list's deletions
        "type": "photo",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "sha256": "0" * 64,
        "status": "pending",
    }
    rev = client.put("/sync/hirfa/ph-1", json=photo, headers=headers).get_json()["rev"]
    assert client.delete(f"/sync/hirfa/ph-1?rev={rev}", headers=headers).status_code == 201
    bare = client.put(f"/sync/hirfa/{product['id']}", headers=headers,
                      json={"_rev": product["rev"], "_deleted": True})  # fmt: skip
    assert bare.status_code == 201, bare.get_json()
    page = client.get(P, headers=headers).get_json()
    assert page["deleted"] == [product["id"]]

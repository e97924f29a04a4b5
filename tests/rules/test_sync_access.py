"""Access through every /sync endpoint: nobody reaches what is outside their channels."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.documents import directory_of

DB = "/sync/hirfa"


def product(owner: str, coop: str, **extra) -> dict:
    return {
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "title": {"ar": "زربية"},
        "category": "carpets",
        "status": "draft",
        **extra,
    }


@pytest.fixture
def docs(client, auth):
    """One product per artisan, written by the admin; returns {doc id: rev}."""
    revs = {}
    for doc_id, owner, coop in [
        ("p-fatima", "art_fatima", "coop-taza-zerbia"),
        ("p-khadija", "art_khadija", "coop-taza-zerbia"),
        ("p-zahra", "art_zahra", "coop-essaouira-argan"),
    ]:
        body = product(
            owner,
            coop,
            _attachments={
                "photo.txt": {
                    "content_type": "text/plain",
                    "data": base64.b64encode(doc_id.encode()).decode(),
                }
            },
        )
        response = client.put(f"{DB}/{doc_id}", json=body, headers=auth.headers("admin"))
        assert response.status_code == 201, response.get_json()
        revs[doc_id] = response.get_json()["rev"]
    return revs


def visible_ids(client, headers) -> set[str]:
    feed = client.get(f"{DB}/_changes?style=all_docs", headers=headers).get_json()
    return {r["id"] for r in feed["results"]}


@pytest.mark.parametrize(
    "who, expected",
    [
        # artisans also read their own cooperative's directory documents (members:<coop>)
        ("artisan", {"p-fatima"} | directory_of("coop-taza-zerbia")),
        ("artisan2", {"p-khadija"} | directory_of("coop-taza-zerbia")),
        ("artisan_other_coop", {"p-zahra"} | directory_of("coop-essaouira-argan")),
        # coordinators and admins also read their cooperatives' directory documents
        ("coordinator", {"p-fatima", "p-khadija"} | directory_of("coop-taza-zerbia")),
        (
            "coordinator2",
            {"p-zahra"} | directory_of("coop-essaouira-argan", "coop-marrakech-fakhar"),
        ),
        ("buyer", set()),
        ("admin", {"p-fatima", "p-khadija", "p-zahra"} | directory_of()),
    ],
)
def test_feeds_and_listings_follow_channels(client, auth, docs, who, expected):
    headers = auth.headers(who)
    assert visible_ids(client, headers) == expected
    post_feed = client.post(f"{DB}/_changes", json={}, headers=headers).get_json()
    assert {r["id"] for r in post_feed["results"]} == expected
    listing = client.get(f"{DB}/_all_docs", headers=headers).get_json()
    assert {r["id"] for r in listing["rows"]} == expected
    assert listing["total_rows"] == len(expected)


def test_artisan_reaches_no_other_artisans_document_through_any_endpoint(client, auth, docs):
    headers = auth.headers("artisan")
    other, rev = "p-khadija", docs["p-khadija"]
    single = client.get(f"{DB}/{other}", headers=headers)
    missing = client.get(f"{DB}/no-such-doc", headers=headers)
    assert single.status_code == missing.status_code == 404
    assert single.get_json() == missing.get_json() == {"error": "not_found", "reason": "missing"}
    assert client.get(f"{DB}/{other}?rev={rev}", headers=headers).status_code == 404
    assert client.get(f"{DB}/{other}?open_revs=all", headers=headers).get_json() == []
    open_one = client.get(f"{DB}/{other}?open_revs={json.dumps([rev])}", headers=headers)
    assert open_one.get_json() == [{"missing": rev}]
    assert client.get(f"{DB}/{other}/photo.txt", headers=headers).status_code == 404
    diff = client.post(f"{DB}/_revs_diff", json={other: [rev]}, headers=headers).get_json()
    assert diff == {other: {"missing": [rev]}}  # as if it did not exist
    bulk = client.post(
        f"{DB}/_bulk_get", json={"docs": [{"id": other, "rev": rev}]}, headers=headers
    ).get_json()
    assert "ok" not in bulk["results"][0]["docs"][0]
    keys = client.post(f"{DB}/_all_docs", json={"keys": [other]}, headers=headers).get_json()
    assert keys["rows"] == [{"key": other, "error": "not_found"}]
    ids = client.get(
        f"{DB}/_changes?filter=_doc_ids&doc_ids={json.dumps([other])}", headers=headers
    ).get_json()
    assert ids["results"] == []


def test_artisan_cannot_overwrite_or_delete_another_artisans_document(client, auth, docs):
    headers = auth.headers("artisan")
    rev = docs["p-khadija"]
    put = client.put(
        f"{DB}/p-khadija",
        json={**product("art_fatima", "coop-taza-zerbia"), "_rev": rev},
        headers=headers,
    )
    assert put.status_code == 403 and put.get_json()["error"] == "forbidden"
    graft = client.post(
        f"{DB}/_bulk_docs",
        headers=headers,
        json={
            "new_edits": False,
            "docs": [
                {
                    **product("art_fatima", "coop-taza-zerbia"),
                    "_id": "p-khadija",
                    "_rev": "2-evil",
                    "_revisions": {"start": 2, "ids": ["evil", rev.split("-", 1)[1]]},
                }
            ],
        },
    ).get_json()
    assert graft == [{"id": "p-khadija", "error": "forbidden", "reason": graft[0]["reason"]}]
    delete = client.delete(f"{DB}/p-khadija?rev={rev}", headers=headers)
    assert delete.status_code == 404
    admin = auth.headers("admin")
    assert client.get(f"{DB}/p-khadija", headers=admin).get_json()["_rev"] == rev


@pytest.mark.parametrize(
    "forged, reason",
    [
        ({"owner": "art_khadija"}, "owner"),
        ({"cooperative": "coop-essaouira-argan"}, "cooperative"),
        ({"status": "approved"}, "status"),
        ({"type": "review"}, ""),
        ({"type": "spaceship"}, "unknown document type"),
        ({"price_centimes": 12.5}, "price_centimes"),
    ],
)
def test_forged_server_owned_fields_are_refused(client, auth, forged, reason):
    body = {**product("art_fatima", "coop-taza-zerbia"), **forged}
    response = client.put(f"{DB}/p-new", json=body, headers=auth.headers("artisan"))
    assert response.status_code == 403, response.get_json()
    assert response.get_json()["error"] == "forbidden"
    assert reason in response.get_json()["reason"]
    assert client.get(f"{DB}/p-new", headers=auth.headers("admin")).status_code == 404


def test_immutable_fields_cannot_change(client, auth):
    headers = auth.headers("artisan")
    body = product("art_fatima", "coop-taza-zerbia", created_at="2026-11-01T10:00:00Z")
    rev = client.put(f"{DB}/p-mine", json=body, headers=headers).get_json()["rev"]
    changed = client.put(
        f"{DB}/p-mine",
        json={**body, "_rev": rev, "created_at": "2020-01-01T00:00:00Z"},
        headers=headers,
    )
    assert changed.status_code == 403 and "created_at" in changed.get_json()["reason"]
    ok = client.put(
        f"{DB}/p-mine", json={**body, "_rev": rev, "status": "submitted"}, headers=headers
    )
    assert ok.status_code == 201


def test_coordinator_writes_for_her_artisans_only(client, auth):
    headers = auth.headers("coordinator")
    mine = client.put(
        f"{DB}/p-c1",
        json=product("art_fatima", "coop-taza-zerbia", listed_by="coo_naima"),
        headers=headers,
    )
    assert mine.status_code == 201
    other = client.put(
        f"{DB}/p-c2", json=product("art_zahra", "coop-essaouira-argan"), headers=headers
    )
    assert other.status_code == 403
    lie = client.put(f"{DB}/p-c3", json=product("art_zahra", "coop-taza-zerbia"), headers=headers)
    assert lie.status_code == 403 and "artisan of this cooperative" in lie.get_json()["reason"]


def test_reviews_are_written_by_deciding_never_through_sync(client, auth, docs):
    review = {
        "type": "review",
        "product_id": "p-fatima",
        "artisan": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "decision": "approve",
        "history": [{"decision": "approve", "by": "coo_naima"}],
    }
    for who in ("artisan", "coordinator2", "coordinator"):
        for doc_id in ("r-1", "review:p-fatima"):
            put = client.put(f"{DB}/{doc_id}", json=review, headers=auth.headers(who))
            assert put.status_code == 403, (who, doc_id)
    assert "POST /api/v1/reviews" in put.get_json()["reason"]
    # The review workflow itself still writes it, and a coordinator cannot then edit it.
    coordinator = auth.headers("coordinator")
    submitted = client.put(
        f"{DB}/p-fatima",
        json={**product("art_fatima", "coop-taza-zerbia"), "status": "submitted",
              "_rev": docs["p-fatima"]},
        headers=coordinator,
    )  # fmt: skip
    assert submitted.status_code == 201, submitted.get_json()
    decided = client.post(
        "/api/v1/reviews/p-fatima", json={"decision": "approve"}, headers=coordinator
    )
    assert decided.status_code == 200, decided.get_json()
    written = client.get(f"{DB}/review:p-fatima", headers=coordinator).get_json()
    edited = client.put(
        f"{DB}/review:p-fatima", json={**written, "history": []}, headers=coordinator
    )
    assert edited.status_code == 403
    gone = client.delete(f"{DB}/review:p-fatima?rev={written['_rev']}", headers=coordinator)
    assert gone.status_code == 403


def test_local_checkpoints_are_per_user(client, auth):
    put = client.put(f"{DB}/_local/cp", json={"last_seq": 7}, headers=auth.headers("artisan"))
    assert put.status_code == 201
    mine = client.get(f"{DB}/_local/cp", headers=auth.headers("artisan"))
    assert mine.get_json()["last_seq"] == 7
    theirs = client.get(f"{DB}/_local/cp", headers=auth.headers("artisan2"))
    assert theirs.status_code == 404


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", DB),
        ("GET", f"{DB}/_changes"),
        ("POST", f"{DB}/_revs_diff"),
        ("POST", f"{DB}/_bulk_get"),
        ("POST", f"{DB}/_bulk_docs"),
        ("GET", f"{DB}/_all_docs"),
        ("GET", f"{DB}/x"),
        ("PUT", f"{DB}/x"),
        ("GET", f"{DB}/_local/x"),
        ("GET", f"{DB}/x/att"),
    ],
)
def test_every_sync_endpoint_needs_a_token(client, method, path):
    response = client.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert set(response.get_json()) == {"error", "reason"}


def test_unknown_database_and_route_speak_couchdb(client, auth):
    headers = auth.headers("artisan")
    assert client.get("/sync/other", headers=headers).get_json()["error"] == "not_found"
    response = client.open(f"{DB}/_changes", method="PATCH", headers=headers)
    assert response.status_code == 405 and set(response.get_json()) == {"error", "reason"}


def approved_via_sync(client, auth, doc_id="p-pub", **extra) -> dict:
    """A product the artisan submitted through /sync and her coordinator approved."""
    headers = auth.headers("artisan")
    body = product("art_fatima", "coop-taza-zerbia", status="submitted", **extra)
    assert client.put(f"{DB}/{doc_id}", json=body, headers=headers).status_code == 201
    decided = client.post(
        f"/api/v1/reviews/{doc_id}",
        json={"decision": "approve"},
        headers=auth.headers("coordinator"),
    )
    assert decided.status_code == 200, decided.get_json()
    return client.get(f"{DB}/{doc_id}", headers=headers).get_json()


def test_editing_an_approved_listing_through_sync_must_resubmit_it(client, auth):
    doc = approved_via_sync(client, auth, stock={"mode": "in_stock", "quantity": 2})
    headers = auth.headers("artisan")
    for change in ({"title": {"ar": "شيء آخر"}}, {"price_centimes": 1}, {"new_field": 1}):
        edited = client.put(f"{DB}/p-pub", json={**doc, **change}, headers=headers)
        assert edited.status_code == 403, change
        assert "set status to submitted" in edited.get_json()["reason"]
    assert client.get("/api/v1/catalog/p-pub").status_code == 200
    stock = {"mode": "in_stock", "quantity": 1}
    kept = client.put(f"{DB}/p-pub", json={**doc, "stock": stock}, headers=headers)
    assert kept.status_code == 201, kept.get_json()
    doc = {**doc, "stock": stock, "_rev": kept.get_json()["rev"]}
    again = client.put(
        f"{DB}/p-pub",
        json={**doc, "title": {"ar": "شيء آخر"}, "status": "submitted"},
        headers=headers,
    )
    assert again.status_code == 201, again.get_json()
    assert client.get("/api/v1/catalog/p-pub").status_code == 404


def test_listed_by_is_the_writer_and_never_changes(client, auth):
    headers = auth.headers("artisan")
    forged = client.put(
        f"{DB}/p-lb", json=product("art_fatima", "coop-taza-zerbia", listed_by="coo_naima"),
        headers=headers,
    )  # fmt: skip
    assert forged.status_code == 403 and "listed_by" in forged.get_json()["reason"]
    body = product("art_fatima", "coop-taza-zerbia", listed_by="art_fatima")
    rev = client.put(f"{DB}/p-lb", json=body, headers=headers).get_json()["rev"]
    moved = client.put(
        f"{DB}/p-lb", json={**body, "_rev": rev, "listed_by": "coo_naima"}, headers=headers
    )
    assert moved.status_code == 403 and "listed_by" in moved.get_json()["reason"]
    by_coordinator = client.put(
        f"{DB}/p-lb", json={**body, "_rev": rev, "listed_by": "coo_naima"},
        headers=auth.headers("coordinator"),
    )  # fmt: skip
    assert by_coordinator.status_code == 403

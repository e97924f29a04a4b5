"""CouchDB protocol details over the Flask test client: shapes, longpoll, limits."""

from __future__ import annotations

import base64
import json
import threading

import pytest

from api import create_app
from seed import populate
from tests.support.apps import Auth, make_config
from tests.support.documents import directory_read_by

DB = "/sync/hirfa"
PRODUCT = {
    "type": "product",
    "owner": "art_fatima",
    "cooperative": "coop-taza-zerbia",
    "title": {"fr": "Tapis"},
    "category": "carpets",
    "status": "draft",
}


def test_welcome_has_a_stable_uuid(client):
    first = client.get("/sync/").get_json()
    assert first["couchdb"] == "Welcome" and len(first["uuid"]) == 32
    assert client.get("/sync/").get_json()["uuid"] == first["uuid"]


def test_db_info(client, auth):
    info = client.get(DB, headers=auth.headers("artisan")).get_json()
    assert info["db_name"] == "hirfa" and info["instance_start_time"] == "0"
    assert isinstance(info["update_seq"], int)
    assert client.head(DB, headers=auth.headers("artisan")).status_code == 200
    assert client.put(DB, headers=auth.headers("artisan")).status_code == 412


def test_bulk_docs_new_edits_false_answers_errors_only(client, auth):
    headers = auth.headers("artisan")
    ok = {**PRODUCT, "_id": "p1", "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}}
    bad = {**PRODUCT, "_id": "p2", "_rev": "1-b", "owner": "art_khadija"}
    response = client.post(
        f"{DB}/_bulk_docs", json={"docs": [ok, bad], "new_edits": False}, headers=headers
    )
    assert response.status_code == 201
    assert [r["id"] for r in response.get_json()] == ["p2"]
    assert response.get_json()[0]["error"] == "forbidden"


def test_put_get_delete_cycle_with_etag(client, auth):
    headers = auth.headers("artisan")
    created = client.put(f"{DB}/p1", json=PRODUCT, headers=headers)
    rev = created.get_json()["rev"]
    assert created.headers["ETag"] == f'"{rev}"'
    got = client.get(f"{DB}/p1?revs=true&conflicts=true", headers=headers).get_json()
    assert got["_revisions"]["start"] == 1 and got["title"] == {"fr": "Tapis"}
    stale = client.put(f"{DB}/p1", json=PRODUCT, headers=headers)
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    deleted = client.delete(f"{DB}/p1?rev={rev}", headers=headers)
    assert deleted.status_code == 201
    assert client.get(f"{DB}/p1", headers=headers).get_json() == {
        "error": "not_found",
        "reason": "deleted",
    }
    feed = client.get(f"{DB}/_changes", headers=headers).get_json()["results"]
    assert feed[-1]["id"] == "p1" and feed[-1]["deleted"] is True


def test_attachment_put_and_get(client, auth):
    headers = auth.headers("artisan")
    rev = client.put(f"{DB}/p1", json=PRODUCT, headers=headers).get_json()["rev"]
    put = client.put(
        f"{DB}/p1/photo.jpg?rev={rev}",
        data=b"\xff\xd8jpeg",
        content_type="image/jpeg",
        headers=headers,
    )
    assert put.status_code == 201
    got = client.get(f"{DB}/p1/photo.jpg", headers=headers)
    assert got.data == b"\xff\xd8jpeg" and got.mimetype == "image/jpeg"
    doc = client.get(f"{DB}/p1?attachments=true", headers=headers).get_json()
    assert doc["_attachments"]["photo.jpg"]["data"] == "/9hqcGVn"


def test_bulk_get_with_revs_and_latest(client, auth):
    headers = auth.headers("artisan")
    rev1 = client.put(f"{DB}/p1", json=PRODUCT, headers=headers).get_json()["rev"]
    rev2 = client.put(
        f"{DB}/p1", json={**PRODUCT, "_rev": rev1, "status": "submitted"}, headers=headers
    ).get_json()["rev"]
    answer = client.post(
        f"{DB}/_bulk_get?revs=true&latest=true",
        json={"docs": [{"id": "p1", "rev": rev1}, {"id": "nope", "rev": "1-x"}]},
        headers=headers,
    ).get_json()
    first = answer["results"][0]["docs"][0]["ok"]
    assert first["_rev"] == rev2 and first["_revisions"]["ids"][1] == rev1.split("-")[1]
    assert answer["results"][1]["docs"][0]["error"]["error"] == "not_found"


def test_changes_paging_and_since_now(client, auth):
    headers = auth.headers("artisan")
    for n in range(5):
        client.put(f"{DB}/p{n}", json=PRODUCT, headers=headers)
    # her feed: her cooperative's directory (the seed's), then the five
    feed = {f"p{n}" for n in range(5)} | directory_read_by("art_fatima")
    page = client.get(f"{DB}/_changes?limit=2", headers=headers).get_json()
    assert len(page["results"]) == 2 and page["pending"] == len(feed) - 2
    rest = client.get(f"{DB}/_changes?since={page['last_seq']}", headers=headers).get_json()
    assert len(rest["results"]) == len(feed) - 2
    assert sorted(r["id"] for r in page["results"] + rest["results"]) == sorted(feed)
    now = client.get(f"{DB}/_changes?since=now", headers=headers).get_json()
    assert now["results"] == [] and now["last_seq"] == rest["last_seq"]
    bad = client.get(f"{DB}/_changes?since=yesterday", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"


def test_longpoll_returns_a_change_made_while_waiting(app, client, auth):
    headers = auth.headers("artisan")
    since = client.get(f"{DB}/_changes", headers=headers).get_json()["last_seq"]
    answer = {}

    def poll():
        response = app.test_client().get(
            f"{DB}/_changes?feed=longpoll&timeout=20000&since={since}", headers=headers
        )
        answer["body"] = response.get_data(as_text=True)

    waiter = threading.Thread(target=poll)
    waiter.start()
    client.put(f"{DB}/p-live", json=PRODUCT, headers=headers)
    waiter.join(timeout=30)
    assert not waiter.is_alive()
    body = json.loads(answer["body"])
    assert [r["id"] for r in body["results"]] == ["p-live"]


def test_longpoll_times_out_with_heartbeats(client, auth):
    headers = auth.headers("artisan")
    response = client.get(
        f"{DB}/_changes?feed=longpoll&since=now&timeout=60&heartbeat=20", headers=headers
    )
    text = response.get_data(as_text=True)
    # last_seq is the store's, whatever channels its last changes were in
    update_seq = client.get(DB, headers=auth.headers("admin")).get_json()["update_seq"]
    assert json.loads(text) == {"results": [], "last_seq": update_seq, "pending": 0}
    assert text.startswith("\n")


@pytest.fixture
def tight(tmp_path):
    app = create_app(
        make_config(
            tmp_path,
            sync_max_bulk_docs=3,
            max_request_bytes=20_000,
            sync_revs_limit=10,
            sync_max_attachment_bytes=100,
        )
    )
    hirfa = app.extensions["hirfa"]
    populate(hirfa.open_db(), hirfa.hasher)
    client = app.test_client()
    return client, Auth(client).headers("artisan")


def test_limits_answer_in_couchdb_shape(tight):
    client, headers = tight
    docs = [{**PRODUCT, "_id": f"p{n}"} for n in range(4)]
    many = client.post(f"{DB}/_bulk_docs", json={"docs": docs}, headers=headers)
    assert many.status_code == 413 and many.get_json()["error"] == "too_large"
    huge = client.put(f"{DB}/big", json={**PRODUCT, "story": "x" * 30_000}, headers=headers)
    assert huge.status_code == 413 and set(huge.get_json()) == {"error", "reason"}
    deep = {
        **PRODUCT,
        "_id": "deep",
        "_rev": "11-a",
        "_revisions": {"start": 11, "ids": [f"h{n}" for n in range(11)]},
    }
    response = client.post(
        f"{DB}/_bulk_docs", json={"docs": [deep], "new_edits": False}, headers=headers
    )
    assert response.status_code == 413 and "deeper" in response.get_json()["reason"]
    att = client.put(
        f"{DB}/p1",
        headers=headers,
        json={
            **PRODUCT,
            "_attachments": {
                "a": {"content_type": "text/plain", "data": base64.b64encode(b"x" * 150).decode()}
            },
        },
    )
    assert att.status_code == 413
    # none of them was stored: she sees only her cooperative's directory, the seed's
    rows = client.get(f"{DB}/_all_docs", headers=headers).get_json()["rows"]
    assert {r["id"] for r in rows} == directory_read_by("art_fatima")


def test_malformed_requests_are_400(client, auth):
    headers = auth.headers("artisan")
    for path, body in [("_bulk_docs", {"docs": "x"}), ("_bulk_get", {}), ("_revs_diff", [1])]:
        response = client.post(f"{DB}/{path}", json=body, headers=headers)
        assert response.status_code == 400, path
        assert response.get_json()["error"] == "bad_request"
    garbage = client.post(
        f"{DB}/_bulk_docs", data=b"{nope", headers=headers, content_type="application/json"
    )
    assert garbage.status_code == 400
    bad_revs = client.post(
        f"{DB}/_bulk_docs",
        headers=headers,
        json={"new_edits": False, "docs": [{**PRODUCT, "_id": "x", "_rev": "abc"}]},
    ).get_json()
    assert bad_revs[0]["error"] == "bad_request"


def test_cors_preflight_for_webviews(client):
    response = client.options(
        f"{DB}/_changes",
        headers={
            "Origin": "http://localhost",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization",
        },
    )
    assert response.headers.get("Access-Control-Allow-Origin") in ("*", "http://localhost")

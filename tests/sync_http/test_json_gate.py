"""One gate for JSON: half a character (a lone surrogate), NaN and Infinity, a type that is
not a string and ids beyond their length are refused with a 400 and a stable code naming
the field, on every path that reads a body or an id; inside a batch only the bad document
is refused and the rest is stored."""

from __future__ import annotations

import json

import pytest

from tests.support.documents import product_body

DB = "/sync/hirfa"
HALF_EMOJI = "Tapis \ud83d"  # a title cut in the middle of an emoji


def product(doc_id: str, **extra) -> dict:
    return product_body(_id=doc_id, **extra)


# (what is wrong, the document's bad part, the code, the field named)
BAD = [
    ("half a character", {"title": {"fr": HALF_EMOJI}}, "lone_surrogate", "title.fr"),
    ("half a character in a name", {"story": {HALF_EMOJI: "x"}}, "lone_surrogate", "story"),
    ("NaN", {"price_centimes": float("nan")}, "non_finite_number", "price_centimes"),
    ("Infinity", {"price_centimes": float("inf")}, "non_finite_number", "price_centimes"),
    ("a list for a type", {"type": ["product"]}, "not_a_string", "type"),
]


def send(client, method: str, path: str, body, headers: dict):
    """JSON as a phone sends it: Python's encoder writes NaN and escapes lone surrogates
    as \\udXXX, which is what reaches the server from a JavaScript client too."""
    return client.open(
        path,
        method=method,
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.parametrize("new_edits", [True, False])
@pytest.mark.parametrize(("what", "bad", "code", "field"), BAD, ids=[b[0] for b in BAD])
def test_bulk_docs_refuses_the_bad_document_and_stores_the_rest(
    client, auth, new_edits, what, bad, code, field
):
    docs = [product("p-bad", **bad), product("p-good")]
    if not new_edits:
        docs = [{**d, "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}} for d in docs]
    headers = auth.headers("artisan")
    response = send(
        client, "POST", f"{DB}/_bulk_docs", {"docs": docs, "new_edits": new_edits}, headers
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    results = {r["id"]: r for r in response.get_json()}
    assert results["p-bad"]["error"] == code and field in results["p-bad"]["reason"]
    assert new_edits is False or results["p-good"]["ok"] is True
    assert client.get(f"{DB}/p-good", headers=headers).status_code == 200
    assert client.get(f"{DB}/p-bad", headers=headers).status_code == 404


@pytest.mark.parametrize(("what", "bad", "code", "field"), BAD, ids=[b[0] for b in BAD])
def test_compact_sync_answers_invalid_for_the_bad_document_only(
    client, auth, what, bad, code, field
):
    docs = [
        {**product(d_id, **extra), "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}}
        for d_id, extra in (("p-bad", bad), ("p-good", {}))
    ]
    body = {"request_id": "r1", "device": "d1", "since": 0, "docs": docs}
    response = send(client, "POST", f"{DB}/_sync", body, auth.headers("artisan"))
    assert response.status_code == 200, response.get_data(as_text=True)
    results = {r["id"]: r for r in response.get_json()["results"]}
    assert results["p-bad"]["status"] == "invalid" and field in results["p-bad"]["reason"]
    assert results["p-good"]["status"] == "ok"


@pytest.mark.parametrize(("what", "bad", "code", "field"), BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_one_document_written_alone_is_a_400(client, auth, method, what, bad, code, field):
    doc = product("p-one", **bad)
    path = f"{DB}/p-one" if method == "PUT" else DB
    response = send(client, method, path, doc, auth.headers("artisan"))
    assert response.status_code == 400, response.get_data(as_text=True)
    answer = response.get_json()
    assert answer["error"] == code and field in answer["reason"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"last_seq": HALF_EMOJI}, "lone_surrogate"),
        ({"last_seq": float("nan")}, "non_finite_number"),
    ],
)
def test_a_checkpoint_with_a_bad_value_is_a_400(client, auth, body, code):
    response = send(client, "PUT", f"{DB}/_local/ckpt", body, auth.headers("artisan"))
    assert response.status_code == 400 and response.get_json()["error"] == code


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/_bulk_get", {"docs": [{"id": HALF_EMOJI}]}),
        ("POST", "/_all_docs", {"keys": [HALF_EMOJI]}),
        ("POST", "/_changes?filter=_doc_ids", {"doc_ids": [HALF_EMOJI]}),
        ("POST", "/_revs_diff", {HALF_EMOJI: ["1-a"]}),
    ],
)
def test_looking_up_half_a_character_is_a_400(client, auth, method, path, body):
    response = send(client, method, DB + path, body, auth.headers("artisan"))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"] == "lone_surrogate"


def test_ids_in_query_json_are_checked_too(client, auth):
    keys = json.dumps([HALF_EMOJI])
    response = client.get(
        f"{DB}/_all_docs", query_string={"keys": keys}, headers=auth.headers("artisan")
    )
    assert response.status_code == 400 and response.get_json()["error"] == "lone_surrogate"


@pytest.mark.parametrize("path", ["PUT one", "_bulk_docs", "_sync", "_local"])
def test_an_id_past_its_length_is_refused_on_every_path(client, auth, path):
    huge = "p-" + "x" * 1_000_000  # a 1 MB id
    headers = auth.headers("artisan")
    if path == "PUT one":
        response = send(client, "POST", DB, product(huge), headers)
        assert response.status_code == 400 and response.get_json()["error"] == "id_too_long"
    elif path == "_bulk_docs":
        response = send(client, "POST", f"{DB}/_bulk_docs", {"docs": [product(huge)]}, headers)
        assert response.get_json()[0]["error"] == "id_too_long"
    elif path == "_sync":
        doc = {**product(huge), "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}}
        body = {"request_id": "r2", "device": "d1", "since": 0, "docs": [doc]}
        response = send(client, "POST", f"{DB}/_sync", body, headers)
        assert response.get_json()["results"][0]["status"] == "invalid"
    else:
        response = send(client, "PUT", f"{DB}/_local/" + "c" * 300, {"last_seq": 1}, headers)
        assert response.status_code == 400 and response.get_json()["error"] == "id_too_long"
    listed = client.get(f"{DB}/_all_docs", headers=headers).get_json()
    assert all(len(row["id"]) <= 200 for row in listed["rows"])


def test_201_characters_is_one_too_many_and_200_is_fine(client, auth):
    headers = auth.headers("artisan")
    fits = send(client, "POST", DB, product("p" * 200), headers)
    assert fits.status_code == 201, fits.get_json()
    over = send(client, "POST", DB, product("p" * 201), headers)
    assert over.status_code == 400 and over.get_json()["error"] == "id_too_long"


# REST: every body goes through rest.load_body; the gate answers before the schema does.
REST = [
    ("POST", "/api/v1/products", "artisan",
     {"title": {"fr": HALF_EMOJI}, "category": "carpets", "price_centimes": 100}),
    ("POST", "/api/v1/products", "artisan",
     {"title": {"fr": "Tapis"}, "category": "carpets", "price_centimes": float("nan")}),
    ("PATCH", "/api/v1/me", "artisan", {"display_name": HALF_EMOJI}),
    ("POST", "/api/v1/devices", "artisan", {"token": HALF_EMOJI, "platform": "android"}),
    ("POST", "/api/v1/orders", "buyer", {"product_id": HALF_EMOJI, "quantity": 1}),
    ("POST", "/api/v1/buyers", None,
     {"phone": "+33600000099", "password": "long-enough-1", "display_name": HALF_EMOJI}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "who", "body"), REST)
def test_rest_bodies_go_through_the_same_gate(client, auth, method, path, who, body):
    headers = auth.headers(who) if who else {}
    if path.endswith("/orders"):
        headers["Idempotency-Key"] = "order-1"  # orders need one (a retry places no second)
    response = send(client, method, path, body, headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] in ("lone_surrogate", "non_finite_number") and error["details"]["field"]


@pytest.mark.parametrize("where", ["_id", "attachment name", "attachment type"])
@pytest.mark.parametrize("path", ["_bulk_docs", "_sync", "POST"])
def test_half_a_character_in_an_id_or_an_attachment_is_refused_not_echoed(
    client, auth, where, path
):
    """The answer never carries the bad value back (it could not be encoded), and the
    rest of a batch is stored."""
    bad = product("p-att")
    if where == "_id":
        bad["_id"] = HALF_EMOJI
    elif where == "attachment name":
        bad["_attachments"] = {
            f"photo{HALF_EMOJI}.jpg": {"content_type": "image/jpeg", "data": "aGk="}
        }
    else:
        bad["_attachments"] = {"photo.jpg": {"content_type": f"image/{HALF_EMOJI}", "data": "aGk="}}
    good = product("p-fine")
    headers = auth.headers("artisan")
    if path == "POST":
        response = send(client, "POST", DB, bad, headers)
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.get_json()["error"] == "lone_surrogate"
        return
    if path == "_bulk_docs":
        response = send(client, "POST", f"{DB}/_bulk_docs", {"docs": [bad, good]}, headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        results = response.get_json()
    else:
        docs = [{**d, "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}} for d in (bad, good)]
        body = {"request_id": "r-att", "device": "d1", "since": 0, "docs": docs}
        response = send(client, "POST", f"{DB}/_sync", body, headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        results = response.get_json()["results"]
    assert results[0].get("error") == "lone_surrogate" or results[0].get("status") == "invalid"
    assert client.get(f"{DB}/p-fine", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/_revs_diff", {"p1": ["1-\ud83d"]}),
        ("/_bulk_get", {"docs": [{"id": "p1", "rev": "1-\ud83d"}]}),
        ("/_bulk_get", {"docs": [{"id": "p1", "rev": float("nan")}]}),
    ],
)
def test_revisions_asked_for_go_through_the_gate_too(client, auth, path, body):
    response = send(client, "POST", DB + path, body, auth.headers("artisan"))
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["error"] in ("lone_surrogate", "non_finite_number")


def test_an_id_that_is_not_a_string_is_not_echoed_as_nan(client, auth):
    response = send(
        client, "POST", f"{DB}/_bulk_docs", {"docs": [{**product("x"), "_id": float("nan")}]},
        auth.headers("artisan"),
    )  # fmt: skip
    assert response.status_code == 201 and "NaN" not in response.get_data(as_text=True)
    assert response.get_json()[0]["error"] == "invalid_id"

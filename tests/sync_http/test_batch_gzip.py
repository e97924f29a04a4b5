"""gzip on /sync: CouchDB-protocol answers, compact-protocol bodies both ways."""

from __future__ import annotations

import gzip
import json

import pytest

from sync.http.compression import accepts_gzip, gunzip_limited
from sync.store.errors import InvalidInput, TooLarge

DB = "/sync/hirfa"


def _products(client, headers, count):
    docs = [
        {
            "_id": f"product:{i}",
            "type": "product",
            "owner": "art_fatima",
            "cooperative": "coop-taza-zerbia",
            "title": {"fr": f"Tapis {i}"},
            "category": "carpets",
            "status": "draft",
        }
        for i in range(count)
    ]
    assert client.post(f"{DB}/_bulk_docs", json={"docs": docs}, headers=headers).status_code == 201


@pytest.mark.parametrize("path", ["/_changes?include_docs=true", "/_all_docs?include_docs=true"])
def test_couch_protocol_answers_are_gzip_when_accepted(client, auth, path):
    headers = auth.headers("artisan")
    _products(client, headers, 20)
    plain = client.get(DB + path, headers=headers)
    assert "Content-Encoding" not in plain.headers
    packed = client.get(DB + path, headers={**headers, "Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) < len(plain.data) / 2
    assert json.loads(gzip.decompress(packed.data)) == plain.get_json()


def test_gzip_refused_with_q0_and_small_answers_stay_plain(client, auth):
    headers = auth.headers("artisan")
    _products(client, headers, 20)
    refused = client.get(f"{DB}/_changes", headers={**headers, "Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    small = client.get(DB, headers={**headers, "Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in small.headers and small.get_json()["db_name"] == "hirfa"


def test_compact_sync_takes_a_gzip_body(client, auth):
    headers = auth.headers("artisan")
    doc = {
        "_id": "product:1",
        "_rev": "1-a",
        "_revisions": {"start": 1, "ids": ["a"]},
        "type": "product",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "title": {"fr": "Tapis"},
        "category": "carpets",
        "status": "draft",
    }
    body = gzip.compress(json.dumps({"docs": [doc], "device": "d"}).encode())
    response = client.post(
        f"{DB}/_sync",
        data=body,
        headers={**headers, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.data
    assert response.get_json()["results"] == [{"id": "product:1", "status": "ok"}]
    broken = client.post(
        f"{DB}/_sync", data=body[:-8], headers={**headers, "Content-Encoding": "gzip"}
    )
    assert broken.status_code == 400 and broken.get_json()["error"] == "bad_request"
    other = client.post(f"{DB}/_sync", data=body, headers={**headers, "Content-Encoding": "br"})
    assert other.status_code == 400


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("deflate", False),
        ("", False),
        (None, False),
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),
        ("GZIP;Q=0.5", True),
        ("x-gzip", True),
    ],
)
def test_accept_encoding_negotiation(header, expected):
    assert accepts_gzip(header) is expected


def test_a_zip_bomb_is_refused():
    bomb = gzip.compress(b"0" * 100_000)
    assert gunzip_limited(bomb, 100_000) == b"0" * 100_000
    with pytest.raises(TooLarge):
        gunzip_limited(bomb, 99_999)
    with pytest.raises(InvalidInput):
        gunzip_limited(b"not gzip", 10)

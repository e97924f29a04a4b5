"""The PouchDB test clients work, against pouchdb-server as the remote.

These are the baseline the Hirfa sync tests mirror: what an unmodified PouchDB
does with a CouchDB-compatible server (push, pull, conflicts, deletions, live
pull, extra headers).
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest
import requests

from tests.support.pouch_device import PouchDevice, attachment_text, results


def replicate(device: PouchDevice, direction: str, url: str, **extra) -> dict:
    result = device.result({"op": "replicate", "direction": direction, "url": url, **extra})
    assert result["ok"], result
    return result


def get_doc(device: PouchDevice, doc_id: str) -> dict:
    return device.result({"op": "get", "id": doc_id, "conflicts": True})


def test_push_500_docs_with_attachments(pouchdb_db, tmp_path):
    phone = PouchDevice(tmp_path / "phone")
    lines = phone.run(
        [
            {
                "op": "bulk_create",
                "count": 500,
                "prefix": "p",
                "attachment_bytes": 64,
                "fields": {"type": "product"},
            },
            {"op": "replicate", "direction": "push", "url": pouchdb_db, "batch_size": 100},
        ]
    )
    created, pushed = results(lines)
    assert created["created"] == 500
    assert pushed["ok"] and pushed["status"] == "complete"
    assert (pushed["docs_read"], pushed["docs_written"], pushed["doc_write_failures"]) == (
        500,
        500,
        0,
    )
    # One "change" event per written batch. batch_size is an upper bound, not
    # the size: when a batch is done before the next 100 changes are read,
    # PouchDB sends what it has (seen: 100, 145, 200, ...).
    written = [line["docs_written"] for line in lines if line["event"] == "change"]
    batches = [b - a for a, b in zip([0, *written], written, strict=False)]
    assert written[-1] == 500 and len(batches) >= 5
    assert all(0 < size <= 100 for size in batches), batches

    info = requests.get(pouchdb_db, timeout=10).json()
    assert info["doc_count"] == 500
    doc = requests.get(f"{pouchdb_db}/{quote('p:000123', safe='')}", timeout=10).json()
    assert doc["type"] == "product" and doc["n"] == 123
    assert doc["_attachments"]["photo.txt"]["length"] == 64
    body = requests.get(f"{pouchdb_db}/{quote('p:000123', safe='')}/photo.txt", timeout=10)
    assert body.headers["Content-Type"].startswith("text/plain")
    assert body.text == attachment_text("p:000123", 64)


def test_pull_into_empty_device(pouchdb_db, tmp_path):
    docs = [
        {
            "_id": f"order:{i:03d}",
            "total": i * 10,
            "_attachments": {
                "photo.txt": {
                    "content_type": "text/plain",
                    "data": base64.b64encode(f"receipt {i}".encode()).decode(),
                }
            },
        }
        for i in range(150)
    ]
    response = requests.post(f"{pouchdb_db}/_bulk_docs", json={"docs": docs}, timeout=10)
    assert response.status_code == 201
    server_revs = {row["id"]: row["rev"] for row in response.json()}

    phone = PouchDevice(tmp_path / "phone")
    pulled = replicate(phone, "pull", pouchdb_db, batch_size=50)
    assert pulled["docs_written"] == 150

    lines = phone.run(
        [
            {"op": "all_docs"},
            {"op": "get_attachment", "id": "order:042"},
            {"op": "get", "id": "order:042"},
            {"op": "replicate", "direction": "pull", "url": pouchdb_db},
        ]
    )
    all_docs, attachment, doc, again = results(lines)
    assert {row["id"]: row["rev"] for row in all_docs["rows"]} == server_revs
    assert attachment["text"] == "receipt 42"
    assert doc["doc"]["total"] == 420
    # The checkpoint holds: nothing new to write the second time.
    assert again["ok"] and again["docs_written"] == 0


def test_offline_edits_on_two_devices_converge_with_same_conflicts(pouchdb_db, tmp_path):
    ahmed, fatima = PouchDevice(tmp_path / "ahmed"), PouchDevice(tmp_path / "fatima")
    ahmed.run(
        [
            {"op": "put", "doc": {"_id": "rug:1", "color": "white", "knots": 100}},
            {"op": "replicate", "direction": "push", "url": pouchdb_db},
        ]
    )
    replicate(fatima, "pull", pouchdb_db)

    # Both edit the same revision while offline.
    rev_a = ahmed.result({"op": "update", "id": "rug:1", "set": {"color": "red"}})["rev"]
    rev_f = fatima.result({"op": "update", "id": "rug:1", "set": {"color": "blue"}})["rev"]
    assert rev_a != rev_f and rev_a.startswith("2-") and rev_f.startswith("2-")

    # Push both, then pull both. Not one "sync" each: a sync's pull runs
    # while its push writes, and pouchdb-server's _changes can then miss the
    # doc whose seq is moving (seen: since=1 -> {"results":[],"last_seq":1}
    # while a concurrent _bulk_docs moved the doc from seq 2 to 3), leaving
    # the conflict for the next sync. Hirfa's _changes must not do that.
    for device in (ahmed, fatima):
        assert replicate(device, "push", pouchdb_db)["docs_written"] == 1
    for device in (ahmed, fatima):
        assert replicate(device, "pull", pouchdb_db)["docs_written"] == 1
    for device in (ahmed, fatima):
        assert replicate(device, "sync", pouchdb_db)["docs_written"] == 0

    doc_a, doc_f = get_doc(ahmed, "rug:1")["doc"], get_doc(fatima, "rug:1")["doc"]
    server = requests.get(f"{pouchdb_db}/rug:1", params={"conflicts": "true"}, timeout=10).json()
    # Same generation: the lexicographically greater revision wins everywhere.
    winner, loser = max(rev_a, rev_f), min(rev_a, rev_f)
    for doc in (doc_a, doc_f, server):
        assert doc["_rev"] == winner
        assert doc["_conflicts"] == [loser]
        assert doc["color"] == ("red" if winner == rev_a else "blue")
        assert doc["knots"] == 100


def test_deletion_propagates(pouchdb_db, tmp_path):
    ahmed, fatima = PouchDevice(tmp_path / "ahmed"), PouchDevice(tmp_path / "fatima")
    ahmed.run(
        [
            {"op": "bulk_create", "count": 3, "prefix": "draft"},
            {"op": "replicate", "direction": "push", "url": pouchdb_db},
        ]
    )
    replicate(fatima, "pull", pouchdb_db)
    assert get_doc(fatima, "draft:000001")["doc"]["n"] == 1

    removed = ahmed.result({"op": "remove", "id": "draft:000001"})
    assert removed["ok"] and removed["rev"].startswith("2-")
    pushed = replicate(ahmed, "push", pouchdb_db)
    assert pushed["docs_written"] == 1
    pulled = replicate(fatima, "pull", pouchdb_db)
    assert pulled["docs_written"] == 1

    gone = get_doc(fatima, "draft:000001")
    assert gone["missing"] and gone["deleted"]
    rows = fatima.result({"op": "all_docs"})["rows"]
    assert [row["id"] for row in rows] == ["draft:000000", "draft:000002"]
    # pouchdb-server answers reason "missing" where CouchDB says "deleted";
    # the tombstone itself is there at the deleting revision.
    assert requests.get(f"{pouchdb_db}/draft:000001", timeout=10).status_code == 404
    tombstone = requests.get(
        f"{pouchdb_db}/draft:000001", params={"rev": removed["rev"]}, timeout=10
    ).json()
    assert tombstone["_deleted"] is True


def test_live_pull_sees_a_server_write(pouchdb_db, tmp_path):
    phone = PouchDevice(tmp_path / "phone")
    op = {
        "op": "live_pull",
        "url": pouchdb_db,
        "until_id": "order:9",
        "until_field": {"status": "paid"},
        "timeout_ms": 20000,
    }
    with phone.start([op]) as running:
        running.wait_for("live_started")
        first = requests.put(f"{pouchdb_db}/order:9", json={"status": "pending"}, timeout=10)
        assert first.status_code == 201
        second = requests.put(
            f"{pouchdb_db}/order:9",
            json={"status": "paid", "_rev": first.json()["rev"]},
            timeout=10,
        )
        assert second.status_code == 201
        lines = running.wait()
    (result,) = results(lines)
    assert result["ok"], result
    assert result["doc"]["status"] == "paid"
    assert result["doc"]["_rev"] == second.json()["rev"]


class _Unauthorized(BaseHTTPRequestHandler):
    """Answers every request 401 and records its headers."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []

    def _deny(self) -> None:
        self.seen.append(dict(self.headers.items()))
        body = json.dumps({"error": "unauthorized", "reason": "bad token"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PUT = do_POST = do_HEAD = _deny

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def unauthorized_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Unauthorized,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_headers_reach_the_server_and_a_refusal_is_a_result(unauthorized_server, tmp_path):
    url, seen = unauthorized_server
    phone = PouchDevice(tmp_path / "phone")
    lines = phone.run(
        [
            {
                "op": "replicate",
                "direction": "pull",
                "url": f"{url}/hirfa",
                "headers": {"Authorization": "Bearer not-a-token"},
            },
            {"op": "put", "doc": {"_id": "after"}},
        ]
    )
    refused, put = results(lines)
    assert refused["ok"] is False and refused["error"]["status"] == 401
    assert put["ok"], "the device stays usable after a failed replication"
    assert seen and all(h.get("Authorization") == "Bearer not-a-token" for h in seen)

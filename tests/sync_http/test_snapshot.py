"""The first-sync snapshot (GET /sync/hirfa/_snapshot): complete, consistent, resumable."""

from __future__ import annotations

import gzip
import json
import random

import pytest
import requests

from sync.http.compression import gzip_stream
from tests.support.compact import client_for, product, store_of
from tests.support.documents import directory_of, directory_read_by
from tests.support.link_proxy import LinkProxy


def seed(store, count: int) -> None:
    rnd = random.Random(8)
    words = ["laine", "henné", "indigo", "nœud", "ⵜⴰⵣⵔⴱⵉⵜ", "زربية", "garance", "frange"]
    for i in range(count):
        story = " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 120)))
        store.put(product(f"{i:04d}", story={"fr": story}))
    store.put(product("zahra", owner="art_zahra", coop="coop-essaouira-argan"))


def test_the_snapshot_is_the_users_channels_at_one_sequence(server):
    store = store_of(server)
    seed(store, 30)
    gone = store.get_doc("product:0003")
    store.put({**gone, "_deleted": True})
    coordinator = client_for(server, "coordinator", "c")
    response = coordinator.session.get(f"{server.sync_url()}/_snapshot")
    assert response.headers["Content-Encoding"] == "gzip"
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert lines[0] == {"seq": store.update_seq(), "docs": 32}
    assert lines[-1] == {"done": True, "seq": store.update_seq(), "docs": 32}
    ids = [line["_id"] for line in lines[1:-1]]
    assert ids == sorted(ids) and len(ids) == 32  # and the directory's 3
    assert "product:0003" not in ids and "product:zahra" not in ids
    assert lines[1]["_rev"] == store.row(ids[0]).winner


def test_the_snapshot_marks_conflicts(server):
    # A raw-material movement recorded differently on two phones: no server rule
    # settles it (products' conflicts are settled), so the conflict stands.
    movement = {
        "_id": "movement:1",
        "type": "material_movement",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "material": "wool",
        "unit": "kg",
    }
    store = store_of(server)
    store.bulk_docs(
        [
            {**movement, "_rev": "1-a", "quantity": 1.0},
            {**movement, "_rev": "1-b", "quantity": 2.0},
        ],
        new_edits=False,
    )
    device = client_for(server, "artisan", "a")
    device.first_sync()
    assert device.docs["movement:1"]["_rev"] == "1-b"
    assert device.docs["movement:1"]["_conflicts"] == ["1-a"]


def test_plain_ndjson_without_accept_encoding(server):
    store = store_of(server)
    seed(store, 3)
    device = client_for(server, "artisan", "a")
    raw = requests.get(
        f"{server.sync_url()}/_snapshot",
        headers={**device.session.headers, "Accept-Encoding": "identity"},
    )
    assert "Content-Encoding" not in raw.headers
    assert raw.headers["Content-Type"].startswith("application/x-ndjson")
    # a line per document (her three and her cooperative's directory) between the two
    lines = [json.loads(line) for line in raw.text.splitlines()]
    ids = [line["_id"] for line in lines[1:-1]]
    assert sorted(ids) == sorted(
        {f"product:{i:04d}" for i in range(3)} | directory_read_by("art_fatima")
    )
    assert lines[-1] == {"done": True, "seq": store.update_seq(), "docs": len(ids)}


def _state(device) -> dict:
    return {doc_id: (doc["_rev"], doc.get("story")) for doc_id, doc in device.docs.items()}


@pytest.mark.parametrize("write_in_between", [False, True])
def test_an_interrupted_snapshot_resumes_to_the_same_set(server, write_in_between):
    store = store_of(server)
    seed(store, 400)
    whole = client_for(server, "coordinator", "whole")
    whole.first_sync()
    products = set(whole.docs) - directory_of("coop-taza-zerbia")
    assert products == {f"product:{i:04d}" for i in range(400)}
    with LinkProxy("127.0.0.1", server.port) as link:
        url = f"http://127.0.0.1:{link.port}/sync/hirfa"
        measure = client_for(server, "coordinator", "measure", url=url)
        before = link.bytes["down"]
        measure.first_sync()
        full = link.bytes["down"] - before
        device = client_for(server, "coordinator", "cut", url=url, timeout_s=2)
        device.docs = received = CountingDict()
        first_part = device._snapshot_part
        parts: list[tuple | None] = []

        def part(after):
            result = None
            try:
                result = first_part(after)
            finally:
                parts.append(result)
                if write_in_between and len(parts) == 1:
                    # Changes land after the first part was cut, before the device resumes:
                    # one before the cut (0001), one after it (0399), one new document.
                    store.put({**store.get_doc("product:0001"), "story": {"fr": "changée"}})
                    store.put({**store.get_doc("product:0399"), "story": {"fr": "changée aussi"}})
                    store.put(product("new"))
            return result

        device._snapshot_part = part
        link.cut_after(full // 2, direction="down")
        before = link.bytes["down"]
        moved = device.first_sync()
        resumed = link.bytes["down"] - before
    assert moved["snapshot_requests"] >= 2
    assert parts[0] is None or parts[0][2] is False  # the first part was cut
    # resumed after the last complete line, not restarted from the first
    assert resumed < full * 1.35
    fresh = client_for(server, "coordinator", "fresh")
    fresh.first_sync()
    assert _state(device) == _state(fresh)
    # every document came once from the snapshot's parts; the sync after it brought only
    # what changed after the first part's sequence, once each
    from_snapshot = received.counts_before(moved)
    if not write_in_between:
        assert _state(device) == _state(whole)
        assert from_snapshot == {doc_id: 1 for doc_id in whole.docs}
        assert moved["pulled"] == 0
    else:
        assert device.docs["product:0001"]["story"] == {"fr": "changée"}
        assert device.docs["product:0399"]["story"] == {"fr": "changée aussi"}
        assert "product:new" in device.docs
        assert set(from_snapshot.values()) == {1}
        assert set(from_snapshot) | {"product:new"} == set(fresh.docs)
        assert moved["pulled"] == 3  # 0001, 0399 and new, each once


class CountingDict(dict):
    """The device's documents, counting how often each was received."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[str] = []

    def __setitem__(self, key, value) -> None:
        self.log.append(key)
        super().__setitem__(key, value)

    def counts_before(self, moved: dict) -> dict[str, int]:
        """Counts of what the snapshot delivered: all but the last ``pulled`` arrivals."""
        counts: dict[str, int] = {}
        for key in self.log[: len(self.log) - moved["pulled"]]:
            counts[key] = counts.get(key, 0) + 1
        return counts


def test_gzip_stream_is_decodable_up_to_each_flush():
    lines = [json.dumps({"n": i}).encode() + b"\n" for i in range(3000)]
    chunks = list(gzip_stream(iter(lines), 6, flush_bytes=4096))
    cut = b"".join(chunks[: len(chunks) // 2])
    partial = gzip.GzipFile(fileobj=__import__("io").BytesIO(cut))
    text = b""
    with pytest.raises(EOFError):
        while block := partial.read1(65536):
            text += block
    got = text.split(b"\n")
    assert got[: len(got) - 1] == [line.rstrip(b"\n") for line in lines[: len(got) - 1]]
    assert len(got) > 100
    assert gzip.decompress(b"".join(chunks)) == b"".join(lines)

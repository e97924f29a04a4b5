"""The replicator against a real pouchdb-server: push, pull, both ways, attachments,
deletions, checkpoints, the push filter, and the open_revs fallback.

The helpers (stores, documents, revision-tree snapshots) are in tests/support/replication.py.
"""

from __future__ import annotations

import pytest
import requests

from sync.replication.couch import CouchClient, HubRefused
from sync.replication.replicator import Replicator
from sync.store.documents import DocumentStore
from tests.support.replication import (
    ARTISAN,
    COOP,
    attachment,
    local_trees,
    new_store,
    product,
    remote_trees,
)


@pytest.fixture
def store(tmp_path) -> DocumentStore:
    return new_store(tmp_path / "store.sqlite3")


def test_push_only(store, hub):
    for i in range(25):
        store.put(product(i))
    stats = Replicator(store, CouchClient(hub), batch_size=10).push()
    assert (stats.docs_written, stats.doc_write_failures, stats.batches) == (25, 0, 3)
    assert remote_trees(hub) == local_trees(store)
    doc = requests.get(f"{hub}/product:7", timeout=10).json()
    assert doc["title"] == {"fr": "Zerbia 7"}


def test_pull_only(tmp_path, store, hub):
    seed = new_store(tmp_path / "seed.sqlite3")
    for i in range(12):
        seed.put(product(i))
    Replicator(seed, CouchClient(hub)).push()
    stats = Replicator(store, CouchClient(hub), batch_size=5).pull()
    assert stats.docs_written == 12
    assert local_trees(store) == remote_trees(hub) == local_trees(seed)
    # applied once each: one sequence number per document, no more
    assert store.update_seq() == 12


def test_both_ways_with_edits_attachments_and_deletions(tmp_path, store, hub):
    other = new_store(tmp_path / "other.sqlite3")
    rev = store.put(product("a", _attachments={"note.txt": attachment("hello")}))
    store.put(product("b"))
    other.put(product("c"))
    mine, theirs = Replicator(store, CouchClient(hub)), Replicator(other, CouchClient(hub))
    mine.sync()
    theirs.sync()
    # edit a (keeping its attachment as a stub), delete b on the other side
    doc = store.get_doc("product:a")
    store.put({**doc, "status": "submitted", "_rev": rev})
    b = other.get_doc("product:b")
    other.put({"_id": "product:b", "_rev": b["_rev"], "_deleted": True})
    mine.sync()
    theirs.sync()
    mine.sync()
    assert local_trees(store) == local_trees(other) == remote_trees(hub)
    stub, data = other.get_attachment("product:a", "note.txt")
    assert (
        data == b"hello"
        and stub["digest"] == store.get_doc("product:a")["_attachments"]["note.txt"]["digest"]
    )
    assert other.get_doc("product:a")["status"] == "submitted"
    assert store.winner_body("product:b") is None  # deleted everywhere
    assert requests.get(f"{hub}/product:b", timeout=10).status_code == 404


def test_second_replication_sends_nothing(store, hub):
    for i in range(8):
        store.put(product(i))
    client = CouchClient(hub)
    replicator = Replicator(store, client, batch_size=5)
    replicator.sync()
    sent, bulk_gets = client.docs_sent, client.requests["POST _bulk_get"]
    again_push, again_pull = replicator.sync()
    assert client.docs_sent == sent == 8
    assert client.requests["POST _bulk_get"] == bulk_gets  # the pull fetched nothing either
    # the pull sees its own push come back once (checked, none missing), then nothing
    assert (again_push.missing_checked, again_pull.missing_found) == (0, 0)
    third_push, third_pull = replicator.sync()
    assert (third_push.missing_checked, third_pull.missing_checked) == (0, 0)
    # a fresh client (a restarted server) resumes from the checkpoints on both sides too
    restarted = Replicator(store, CouchClient(hub))
    pushed, pulled = restarted.sync()
    assert (pushed.missing_checked, restarted.client.docs_sent) == (0, 0)
    assert pushed.start_last_seq == store.update_seq()


def test_checkpoint_lost_on_one_side_falls_back_to_history(store, hub):
    for i in range(6):
        store.put(product(i))
    replicator = Replicator(store, CouchClient(hub))
    replicator.push()
    store.put(product(6))
    replicator.push()
    # the hub is restored from an older backup of its checkpoint: sessions differ now
    log = replicator.remote.get_checkpoint(replicator.push_id)
    older = {**log, "session_id": "restored", "history": log["history"][1:]}
    replicator.remote.put_checkpoint(replicator.push_id, older)
    stats = replicator.push()
    assert stats.start_last_seq == 6  # the first session's recorded_seq, not 0
    assert stats.missing_checked == 1 and stats.docs_written == 0


def test_local_types_stay_local(store, hub):
    store.put(product(1))
    store.put(
        {
            "_id": "movement:1",
            "type": "material_movement",
            "owner": ARTISAN,
            "cooperative": COOP,
            "material": "wool",
            "quantity": 2.5,
            "unit": "kg",
        }
    )
    stats = Replicator(store, CouchClient(hub), local_types=["material_movement"]).push()
    assert stats.docs_written == 1
    assert set(remote_trees(hub)) == {"product:1"}


def test_open_revs_fallback_when_the_hub_has_no_bulk_get(tmp_path, store, hub):
    seed = new_store(tmp_path / "seed.sqlite3")
    seed.put(product(1, _attachments={"a.txt": attachment("x" * 100)}))
    seed.put(product(2))
    Replicator(seed, CouchClient(hub)).push()
    client = CouchClient(hub)
    client.has_bulk_get = False  # as after a 404/405 from a CouchDB 1.x hub
    Replicator(store, client).pull()
    assert client.requests["GET open_revs"] == 2 and client.requests["POST _bulk_get"] == 0
    assert local_trees(store) == local_trees(seed)
    assert store.get_attachment("product:1", "a.txt")[1] == b"x" * 100


def test_missing_hub_database_is_reported_not_created(store, pouchdb_server):
    url = f"{pouchdb_server.url}/no-such-hub-db"
    with pytest.raises(HubRefused) as raised:
        Replicator(store, CouchClient(url)).sync()
    assert raised.value.status == 404
    assert requests.get(url, timeout=10).status_code == 404

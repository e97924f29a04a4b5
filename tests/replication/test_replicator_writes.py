"""What the target refuses and what the source does not return: permanent refusals are
counted and gone past, everything else stops the checkpoint; and each request on the
wire is counted. Answers pouchdb-server never gives come from tests/support/fake_couch.py."""

from __future__ import annotations

import base64

import pytest

from api import migrations
from sync.replication.couch import CouchClient, HubIncomplete, HubUnreachable
from sync.replication.replicator import (
    LocalSide,
    RemoteSide,
    Replicator,
    WriteNotApplied,
    replicate,
)
from sync.replication.worker import ReplicationWorker, read_status
from sync.replication.write_attempts import MAX_WRITE_ATTEMPTS
from sync.rules.access import channels_for
from sync.store import revtree
from sync.store.database import connect
from sync.store.documents import DocumentStore
from tests.support.fake_couch import DROP, FakeCouch
from tests.support.replication import attachment, new_store, product


@pytest.fixture
def fake():
    with FakeCouch() as couch:
        yield couch


def answer(status, body):
    return lambda _body, _query: (status, body)


def push(store, url, batch_size=100):
    replicator = Replicator(store, CouchClient(url), batch_size=batch_size, resolve=False)
    return replicator, replicator.push()


def small_store(path, max_bytes: int) -> DocumentStore:
    db = connect(path)
    migrations.migrate(db)
    return DocumentStore(db, channels_for, max_attachment_bytes=max_bytes)


# 1. refused writes


def test_a_document_the_store_refuses_for_good_is_counted_shown_and_gone_past(tmp_path, hub):
    """The reviewer's case: a target store whose attachment limit a document exceeds."""
    seed = new_store(tmp_path / "seed.sqlite3")
    seed.put(product(1))
    seed.put(product("big", _attachments={"p.txt": attachment("x" * 500)}))
    seed.put(product(3))
    Replicator(seed, CouchClient(hub)).push()
    path = tmp_path / "small.sqlite3"
    small_store(path, 100).db.close()
    worker = ReplicationWorker(lambda: small_store(path, 100), hub, timeout_s=5)
    assert worker.step() is None  # too_large is permanent: the session completes
    store = worker.store
    assert store.winner_body("product:1") and store.winner_body("product:3")
    assert store.row("product:big") is None
    status = read_status(store, hub)
    assert status["state"] == "idle" and status["doc_write_failures"] == 1
    [failed] = status["write_failures"]
    assert (failed["id"], failed["error"], failed["direction"]) == (
        "product:big",
        "too_large",
        "pull",
    )
    assert "larger than 100 bytes" in failed["reason"]
    # gone past, as CouchDB does: the next session does not count it again
    assert worker.step() is None
    assert read_status(store, hub)["doc_write_failures"] == 1
    worker.stop()


def test_a_refusal_that_may_pass_is_not_checkpointed_past(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    store.put(product(1))
    store.put(product(2))
    fake.on(
        "POST _bulk_docs",
        answer(201, [{"id": "product:2", "error": "unknown_error", "reason": "node down"}]),
        answer(201, []),
    )
    replicator = Replicator(store, CouchClient(fake.url), resolve=False)
    with pytest.raises(WriteNotApplied, match="product:2: unknown_error"):
        replicator.push()
    assert (
        fake.sent("PUT _local") == []
        and replicator.local.get_checkpoint(replicator.push_id) is None
    )
    stats = replicator.push()  # the same batch again, and this time it goes
    assert (stats.docs_written, stats.doc_write_failures) == (2, 0)
    assert [len(b["docs"]) for b in fake.sent("POST _bulk_docs")] == [2, 2]
    assert len(fake.sent("PUT _local")) == 1


def test_a_document_the_hub_forbids_is_counted_and_gone_past(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    store.put(product(1))
    store.put(product(2))
    forbidden = {"id": "product:1", "error": "forbidden", "reason": "only admins"}
    fake.on("POST _bulk_docs", answer(201, [forbidden]))
    replicator, stats = push(store, fake.url)
    assert (stats.docs_written, stats.doc_write_failures) == (1, 1)
    assert stats.errors == [{k: forbidden[k] for k in ("id", "error", "reason")}]
    assert len(fake.sent("PUT _local")) == 1  # checkpointed past it


def test_a_batch_too_large_for_the_hub_is_halved_down_to_the_one_refused(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    for i in range(5):
        store.put(product(i))

    def too_large(body, _query):
        if any(d["_id"] == "product:3" for d in body["docs"]):
            return 413, {"error": "too_large", "reason": "the request entity is too large"}
        return 201, []

    fake.on("POST _bulk_docs", too_large)
    _, stats = push(store, fake.url)
    assert (stats.docs_written, stats.doc_write_failures) == (4, 1)
    assert stats.errors[0]["id"] == "product:3" and stats.errors[0]["error"] == "too_large"


# 2. revisions the hub lists but does not return


@pytest.mark.parametrize("bulk_get", [True, False])
def test_a_revision_the_hub_does_not_return_stops_the_checkpoint(tmp_path, fake, bulk_get):
    for i in (1, 2):
        rev = revtree.new_rev_id(None, product(i), False)
        fake.serve({**product(i), "_rev": rev, "_revisions": {"start": 1, "ids": [rev[2:]]}})
    lost = fake.changes[1]["changes"][0]["rev"]
    del fake.docs[("product:2", lost)]  # listed in _changes, then not given ({} or absent)
    store = new_store(tmp_path / "s.sqlite3")
    client = CouchClient(fake.url)
    client.has_bulk_get = bulk_get
    replicator = Replicator(store, client, resolve=False)
    with pytest.raises(HubIncomplete, match=f"product:2 {lost}"):
        replicator.pull()
    assert replicator.local.get_checkpoint(replicator.pull_id) is None
    assert fake.sent("PUT _local") == []


# 3. CouchDB's request-level 412 missing_stub


def test_a_whole_request_refused_with_missing_stub_goes_again_with_the_attachments(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    first = store.put(product(1, _attachments={"p.txt": attachment("photo bytes")}))
    doc = store.get_doc("product:1")
    second = store.put({**doc, "status": "submitted", "_rev": first})
    # the hub claims the first revision (so its attachment goes as a stub), then has lost
    # the attachment's content: Apache CouchDB answers the whole _bulk_docs with 412
    fake.on(
        "POST _revs_diff",
        answer(200, {"product:1": {"missing": [second], "possible_ancestors": [first]}}),
    )
    fake.on(
        "POST _bulk_docs",
        answer(412, {"error": "missing_stub", "reason": "Invalid attachment stub for p.txt"}),
        answer(201, []),
    )
    stats = replicate(LocalSide(store), RemoteSide(CouchClient(fake.url)), "rep")
    assert (stats.docs_written, stats.doc_write_failures) == (1, 0)
    stubbed, inline = (b["docs"][0]["_attachments"]["p.txt"] for b in fake.sent("POST _bulk_docs"))
    assert stubbed.get("stub") is True and "data" not in stubbed
    assert base64.b64decode(inline["data"]) == b"photo bytes"
    assert len(fake.sent("PUT _local")) == 1


def test_remote_write_turns_a_request_level_missing_stub_into_one_per_document(fake):
    fake.on("POST _bulk_docs", answer(412, {"error": "missing_stub", "reason": "stub"}))
    errors = RemoteSide(CouchClient(fake.url)).write([{"_id": "a"}, {"_id": "b"}])
    assert [(e["id"], e["error"]) for e in errors] == [("a", "missing_stub"), ("b", "missing_stub")]


# 6. sends counted per attempt


def test_each_bulk_docs_on_the_wire_is_counted_once(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    for i in range(3):
        store.put(product(i))
    fake.on("POST _bulk_docs", answer(DROP, None))  # the link dies before every answer
    client = CouchClient(fake.url)
    with pytest.raises(HubUnreachable):
        Replicator(store, client, resolve=False).push()
    on_the_wire = len(fake.sent("POST _bulk_docs"))
    # our one retry, and none inside python-couchdb (it used to make 4 POSTs of this)
    assert on_the_wire == client.requests["POST _bulk_docs"] == 2
    assert client.docs_sent == sum(len(b["docs"]) for b in fake.sent("POST _bulk_docs")) == 6


# 8. a feed that does not move


def test_a_full_page_that_does_not_move_the_sequence_ends_the_session(tmp_path, fake):
    rev = revtree.new_rev_id(None, product(1), False)
    fake.serve({**product(1), "_rev": rev, "_revisions": {"start": 1, "ids": [rev[2:]]}})
    pages = []

    def stuck(_body, query):
        pages.append(query.get("since"))
        if len(pages) > 5:
            return 500, {"error": "test", "reason": "the replicator kept asking"}
        return 200, {"results": fake.changes}  # a full page, and no last_seq

    fake.on("GET _changes", stuck)
    store = new_store(tmp_path / "s.sqlite3")
    replicator = Replicator(store, CouchClient(fake.url), batch_size=1, resolve=False)
    stats = replicator.pull()
    assert len(pages) == 1 and stats.docs_written == 1
    # what the page carried is applied: checkpointed at its last row's own sequence, on
    # both sides, so the next session asks for what follows, not for this page again
    [log] = fake.sent("PUT _local")
    assert log["source_last_seq"] == 1 == stats.recorded_seq
    assert replicator.local.get_checkpoint(replicator.pull_id)["source_last_seq"] == 1
    replicator.pull()
    assert pages[1] == "1"


# 9. a refusal that may pass, but never does


def test_a_document_the_hub_always_refuses_is_given_up_after_five_sessions(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    store.put(product(1))

    def refuse_one(body, _query):
        return 201, [
            {
                "id": d["_id"],
                "rev": d["_rev"],
                "error": "conflict",
                "reason": "Document update conflict",
            }
            for d in body["docs"]
            if d["_id"] == "product:1"
        ]

    fake.on("POST _bulk_docs", refuse_one)
    path = tmp_path / "s.sqlite3"
    worker = ReplicationWorker(lambda: new_store(path), fake.url, timeout_s=5)
    for _ in range(MAX_WRITE_ATTEMPTS - 1):
        assert worker.step() is not None  # backing off: the batch may still go through
        assert fake.sent("PUT _local") == []
    store.put(product(2))  # written meanwhile: held back behind product:1 until now
    assert worker.step() is None
    status = read_status(worker.store, fake.url)
    assert status["state"] == "idle" and status["doc_write_failures"] == 1
    [failed] = status["write_failures"]
    assert (failed["id"], failed["error"], failed["direction"]) == ("product:1", "conflict", "push")
    assert f"after {MAX_WRITE_ATTEMPTS} attempts" in failed["reason"]
    assert fake.sent("PUT _local")  # the checkpoint moved on
    assert status["pending_push"] == 0
    assert worker.step() is None  # and the next session starts past it
    assert [d["_id"] for d in fake.sent("POST _bulk_docs")[-1]["docs"]] == [
        "product:1",
        "product:2",
    ]
    worker.stop()


def test_attempts_count_per_revision_and_a_write_that_passes_clears_them(tmp_path, fake):
    store = new_store(tmp_path / "s.sqlite3")
    first = store.put(product(1))
    fake.on(
        "POST _bulk_docs",
        answer(201, [{"id": "product:1", "error": "unknown_error", "reason": "boom"}]),
    )
    replicator = Replicator(store, CouchClient(fake.url), resolve=False)
    for _ in range(MAX_WRITE_ATTEMPTS - 1):
        with pytest.raises(WriteNotApplied):
            replicator.push()
    # a new revision is a new document to try: its count starts again
    store.put({**store.get_doc("product:1"), "status": "submitted", "_rev": first})
    with pytest.raises(WriteNotApplied):
        replicator.push()
    fake.on("POST _bulk_docs", answer(201, []))
    assert replicator.push().docs_written == 1
    assert store.local_get("_replication_attempts", replicator.push_id)["attempts"] == {}

"""The document store on a real temp SQLite file: writes, reads, feed, local docs, maintenance."""

from __future__ import annotations

import base64

import pytest

from sync.store import migrations, schema_steps
from sync.store.database import connect, write_transaction
from sync.store.documents import ChangeNotifier, DocumentStore
from sync.store.errors import (
    DocumentNotFound,
    InvalidInput,
    MissingStub,
    RevisionConflict,
    TooLarge,
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_put_get_and_stale_revision_is_409(store):
    rev1 = store.put({"_id": "a", "owner": "x", "v": 1})
    rev2 = store.put({"_id": "a", "_rev": rev1, "owner": "x", "v": 2})
    assert rev1.startswith("1-") and rev2.startswith("2-")
    assert store.get_doc("a")["v"] == 2
    with pytest.raises(RevisionConflict):
        store.put({"_id": "a", "_rev": rev1, "owner": "x", "v": 3})
    with pytest.raises(RevisionConflict):
        store.put({"_id": "a", "owner": "x"})  # exists: must send _rev
    with pytest.raises(RevisionConflict):
        store.put({"_id": "new", "_rev": "1-abc"})
    assert store.get_doc("a")["v"] == 2  # nothing changed by the refused writes


def test_same_edit_gives_the_same_revision(store, tmp_path):
    other_db = connect(tmp_path / "other.sqlite3")
    migrations.migrate(other_db, schema_steps.MIGRATIONS)
    other = DocumentStore(other_db, store.channels_fn)
    doc = {"_id": "a", "owner": "x", "title": {"ar": "زربية"}}
    assert store.put(dict(doc)) == other.put(dict(doc))


def test_delete_then_recreate_extends_the_tombstone(store):
    rev1 = store.put({"_id": "a", "owner": "x"})
    rev2 = store.put({"_id": "a", "_rev": rev1, "_deleted": True})
    with pytest.raises(DocumentNotFound, match="deleted"):
        store.get_doc("a")
    assert store.get_doc("a", rev=rev2)["_deleted"] is True
    rev3 = store.put({"_id": "a", "owner": "x", "back": True})
    assert rev3.startswith("3-")
    assert store.get_doc("a", revs=True)["_revisions"]["start"] == 3


def test_bulk_docs_reports_per_document_and_keeps_the_good_ones(store):
    results = store.bulk_docs(
        [{"_id": "ok", "owner": "x"}, {"_id": "_bad"}, "not a doc", {"_id": "ok2", "owner": "y"}]
    )
    assert [r.get("ok", r.get("error")) for r in results] == [
        True,
        "bad_request",
        "bad_request",
        True,
    ]
    assert {r["id"] for r in store.all_docs()["rows"]} == {"ok", "ok2"}


def test_replicated_writes_graft_branches_and_are_idempotent(store):
    doc = {"_id": "a", "owner": "x", "_rev": "2-b", "_revisions": {"start": 2, "ids": ["b", "a"]}}
    other = {"_id": "a", "owner": "x", "_rev": "2-c", "_revisions": {"start": 2, "ids": ["c", "a"]}}
    store.bulk_docs([doc, other], new_edits=False)
    seq = store.update_seq()
    store.bulk_docs([doc, other], new_edits=False)
    assert store.update_seq() == seq  # nothing written twice
    got = store.get_doc("a", conflicts=True)
    assert got["_rev"] == "2-c" and got["_conflicts"] == ["2-b"]
    assert {o["ok"]["_rev"] for o in store.open_revs("a", "all")} == {"2-b", "2-c"}
    assert store.open_revs("a", ["1-a"]) == [{"missing": "1-a"}]  # no body for the ancestor


def test_revs_diff(store):
    store.bulk_docs(
        [{"_id": "a", "_rev": "2-b", "_revisions": {"start": 2, "ids": ["b", "a"]}}],
        new_edits=False,
    )
    assert store.revs_diff({"a": ["2-b", "3-c"], "z": ["1-q"]}) == {
        "a": {"missing": ["3-c"], "possible_ancestors": ["2-b"]},
        "z": {"missing": ["1-q"]},
    }
    with pytest.raises(InvalidInput):
        store.revs_diff({"a": ["nonsense"]})


def test_attachments_stored_once_with_stubs_and_atts_since(store):
    data = b"photo bytes" * 10
    att = {"content_type": "image/jpeg", "data": b64(data)}
    rev1 = store.put({"_id": "a", "owner": "x", "_attachments": {"p.jpg": att}})
    store.put({"_id": "b", "owner": "x", "_attachments": {"same.jpg": att}})
    assert store.db.execute("SELECT count(*) FROM attachments").fetchone()[0] == 1
    rev2 = store.put(
        {"_id": "a", "_rev": rev1, "owner": "x", "v": 2, "_attachments": {"p.jpg": {"stub": True}}}
    )
    stub = store.get_doc("a")["_attachments"]["p.jpg"]
    assert stub == {
        "content_type": "image/jpeg",
        "digest": stub["digest"],
        "length": 110,
        "revpos": 1,
        "stub": True,
    }
    full = store.get_doc("a", attachments_data=True)["_attachments"]["p.jpg"]
    assert base64.b64decode(full["data"]) == data
    since = store.get_doc("a", rev=rev2, attachments_data=True, atts_since=[rev1])
    assert since["_attachments"]["p.jpg"].get("stub") is True  # the phone already has it
    meta, body = store.get_attachment("a", "p.jpg")
    assert body == data and meta["content_type"] == "image/jpeg"


def test_attachment_errors(store):
    with pytest.raises(MissingStub):
        store.put(
            {"_id": "a", "owner": "x", "_attachments": {"f": {"stub": True, "digest": "md5-nope"}}}
        )
    with pytest.raises(TooLarge):
        store.put(
            {
                "_id": "a",
                "owner": "x",
                "_attachments": {"f": {"content_type": "text/plain", "data": b64(b"x" * 1001)}},
            }
        )
    with pytest.raises(InvalidInput):
        store.put(
            {
                "_id": "a",
                "owner": "x",
                "_attachments": {"f": {"content_type": "text/plain", "data": "!!not base64"}},
            }
        )
    with pytest.raises(DocumentNotFound):
        store.get_doc("a")


def test_changes_list_each_document_once_at_its_latest_change(store):
    rev = store.put({"_id": "a", "owner": "x"})
    store.put({"_id": "b", "owner": "x"})
    store.put({"_id": "a", "_rev": rev, "owner": "x", "v": 2})
    feed = store.changes(0)
    assert [(r["id"], r["seq"]) for r in feed["results"]] == [("b", 2), ("a", 3)]
    assert feed["last_seq"] == 3
    assert store.changes(3)["results"] == []
    page = store.changes(0, limit=1)
    assert len(page["results"]) == 1 and page["last_seq"] == 2 and page["pending"] == 1


def test_changes_by_channel_and_removal_notice(store):
    rev = store.put({"_id": "a", "owner": "x"})
    store.put({"_id": "b", "owner": "y"})
    assert [r["id"] for r in store.changes(0, visible={"owner:x"})["results"]] == ["a"]
    store.put({"_id": "a", "_rev": rev, "owner": "y"})  # moves out of x's channel
    feed = store.changes(1, visible={"owner:x"})["results"]
    assert feed == [
        {"seq": 3, "id": "a", "removed": ["owner:x"], "changes": [{"rev": store.row("a").winner}]}
    ]
    assert store.removal_stub("a", {"owner:x"})["_removed"] is True
    assert store.removal_stub("b", {"owner:x"}) is None  # never visible: not revealed
    with pytest.raises(DocumentNotFound):
        store.get_doc("a", visible={"owner:x"})


def test_changes_all_leaves_and_doc_ids(store):
    store.bulk_docs(
        [{"_id": "a", "_rev": "1-b"}, {"_id": "a", "_rev": "1-c"}, {"_id": "z", "_rev": "1-z"}],
        new_edits=False,
    )
    feed = store.changes(0, all_leaves=True, doc_ids=["a"])["results"]
    assert len(feed) == 1 and {c["rev"] for c in feed[0]["changes"]} == {"1-b", "1-c"}


def test_local_documents_are_per_scope_and_never_in_the_feed(store):
    rev = store.local_put("u1", "checkpoint", {"last_seq": 5})
    assert store.local_get("u1", "checkpoint")["last_seq"] == 5
    with pytest.raises(DocumentNotFound):
        store.local_get("u2", "checkpoint")
    with pytest.raises(RevisionConflict):
        store.local_put("u1", "checkpoint", {"_rev": "0-99", "last_seq": 6})
    assert store.local_put("u1", "checkpoint", {"_rev": rev, "last_seq": 6}) == "0-2"
    assert store.changes(0)["results"] == []
    store.local_delete("u1", "checkpoint", "0-2")
    with pytest.raises(DocumentNotFound):
        store.local_get("u1", "checkpoint")


def test_stemming_to_revs_limit_drops_old_bodies(store):
    rev = store.put({"_id": "a", "owner": "x", "n": 0})
    for n in range(1, 9):
        rev = store.put({"_id": "a", "_rev": rev, "owner": "x", "n": n})
    row = store.row("a")
    assert len(row.tree) == 5
    assert store.db.execute("SELECT count(*) FROM revs WHERE doc_id = 'a'").fetchone()[0] == 5
    assert store.get_doc("a", revs=True)["_revisions"]["start"] == 9


def test_compaction_keeps_leaves_and_drops_unreferenced_bytes(store):
    att = {"content_type": "text/plain", "data": b64(b"old")}
    rev = store.put({"_id": "a", "owner": "x", "_attachments": {"f": att}})
    store.put(
        {
            "_id": "a",
            "_rev": rev,
            "owner": "x",
            "_attachments": {"f": {"content_type": "text/plain", "data": b64(b"new")}},
        }
    )
    result = store.compact()
    assert result == {"bodies": 1, "attachments": 1}
    assert (
        base64.b64decode(store.get_doc("a", attachments_data=True)["_attachments"]["f"]["data"])
        == b"new"
    )


def test_purge_forgets_a_leaf(store):
    store.bulk_docs([{"_id": "a", "_rev": "1-b"}, {"_id": "a", "_rev": "1-c"}], new_edits=False)
    assert store.purge("a", ["1-c", "9-unknown"]) == ["1-c"]
    assert store.row("a").winner == "1-b"
    store.purge("a", ["1-b"])
    assert store.row("a") is None
    assert store.revs_diff({"a": ["1-b"]}) == {"a": {"missing": ["1-b"]}}


def test_sequence_only_grows_and_notifier_wakes(store):
    notifier = ChangeNotifier()
    store.notifier = notifier
    store.put({"_id": "a", "owner": "x"})
    assert notifier.wait_past(0, timeout=0)
    store.purge("a", [store.row("a").winner])
    before = store.update_seq()
    store.put({"_id": "b", "owner": "x"})
    assert store.update_seq() == before + 1


def test_a_failed_transaction_leaves_nothing(store):
    store.put({"_id": "a", "owner": "x"})
    seq = store.update_seq()

    def refuse(doc_id, old, new):
        raise RevisionConflict("no")

    results = store.bulk_docs([{"_id": "b", "owner": "x"}], check=refuse)
    assert results[0]["error"] == "conflict"
    assert store.update_seq() == seq and store.row("b") is None


def test_longpolls_are_woken_only_after_the_outermost_commit(store):
    notifier = ChangeNotifier()
    store.notifier = notifier
    with pytest.raises(RuntimeError), write_transaction(store.db):
        store.put({"_id": "rolled-back", "owner": "x"})
        raise RuntimeError("the caller's transaction fails after the store's write")
    assert notifier.seq == 0 and store.row("rolled-back") is None
    with write_transaction(store.db):
        store.put({"_id": "kept", "owner": "x"})
        assert notifier.seq == 0  # written, not yet committed: nobody may read it yet
    assert notifier.seq == store.update_seq() > 0


def test_latest_follows_couchdbs_leaf_order_and_answers_each_leaf_once(store):
    # 1-a has two descendants: 2-b (live) and 3-d (deleted, on the longer branch)
    store.bulk_docs(
        [
            {
                "_id": "a",
                "owner": "x",
                "_rev": "2-b",
                "_revisions": {"start": 2, "ids": ["b", "a"]},
            },
            {
                "_id": "a",
                "_rev": "3-d",
                "_deleted": True,
                "_revisions": {"start": 3, "ids": ["d", "c", "a"]},
            },
        ],
        new_edits=False,
    )
    # The live leaf wins over the deleted one, as it wins the document.
    assert store.get_doc("a", rev="1-a", latest=True)["_rev"] == "2-b"
    assert store.get_doc("a", rev="2-c", latest=True)["_rev"] == "3-d"
    answers = store.open_revs("a", ["1-a", "2-c", "3-d"], latest=True)
    assert sorted(a["ok"]["_rev"] for a in answers) == ["2-b", "3-d"]


def test_a_revision_is_read_only_by_who_sees_its_own_channels(store):
    rev1 = store.put(
        {"_id": "a", "owner": "x", "_attachments": {"f": {"content_type": "t", "data": b64(b"x")}}}
    )
    rev2 = store.put({"_id": "a", "_rev": rev1, "owner": "y"})
    y = {"owner:y"}
    assert store.get_doc("a", y)["_rev"] == rev2
    with pytest.raises(DocumentNotFound):
        store.get_doc("a", y, rev=rev1)
    with pytest.raises(DocumentNotFound):
        store.get_attachment("a", "f", y, rev=rev1)
    assert store.open_revs("a", [rev1], y) == [{"missing": rev1}]
    assert store.get_doc("a", rev=rev1)["owner"] == "x"  # everything, for who sees all
    rev3 = store.put({"_id": "a", "_rev": rev2, "_deleted": True})
    assert store.get_doc("a", y, rev=rev3)["_deleted"] is True  # a bare tombstone: the doc's

"""Property: one ``_bulk_docs`` batch leaves the store exactly as the same writes made one
at a time. The batch keeps its documents' rows in memory and writes them once at the end
(``sync/store/writes.py``); this is the test that such bookkeeping changes nothing a client sees:
revision trees, winners, channels, removal rows and sequences.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sync.store import migrations, schema_steps
from sync.store.database import connect
from sync.store.documents import DocumentStore

IDS = ("a", "b")
OWNERS = ("x", "y", None)


def channels(doc_id, body):
    return {f"owner:{body['owner']}"} if body and body.get("owner") else set()


@st.composite
def replicated_doc(draw):
    """A revision with its ancestry, drawn so that batches branch, extend and delete."""
    depth = draw(st.integers(1, 4))
    ids = draw(st.lists(st.sampled_from("pqr"), min_size=depth, max_size=depth))
    doc = {"_id": draw(st.sampled_from(IDS)), "_revisions": {"start": depth, "ids": ids}}
    owner = draw(st.sampled_from(OWNERS))
    if owner:
        doc["owner"] = owner
    if draw(st.booleans()) and draw(st.booleans()):
        doc["_deleted"] = True
    return doc


def fresh_store(folder: Path, name: str) -> DocumentStore:
    db = connect(folder / name)
    migrations.migrate(db, schema_steps.MIGRATIONS)
    return DocumentStore(db, channels, revs_limit=3)


def state(store: DocumentStore) -> tuple:
    db = store.db
    return (
        store.update_seq(),
        db.execute("SELECT * FROM docs ORDER BY id").fetchall(),
        db.execute("SELECT * FROM doc_channels ORDER BY channel, doc_id").fetchall(),
        db.execute("SELECT doc_id, rev, body, deleted FROM revs ORDER BY doc_id, rev").fetchall(),
        [store.changes(0, visible={f"owner:{o}"}) for o in OWNERS if o],
    )


# Each example opens two SQLite files with synchronous=FULL: disk time, not a deadline.
@settings(deadline=None)
@given(
    st.lists(replicated_doc(), min_size=1, max_size=3),
    st.lists(replicated_doc(), min_size=1, max_size=8),
)
def test_a_batch_equals_its_writes_one_at_a_time(before, batch):
    with tempfile.TemporaryDirectory() as folder:
        together = fresh_store(Path(folder), "together.sqlite3")
        singly = fresh_store(Path(folder), "singly.sqlite3")
        for store in (together, singly):
            store.bulk_docs(before, new_edits=False)
        together.bulk_docs(batch, new_edits=False)
        # A batch is written in replication order (by id, then by position): do the same.
        for doc in sorted(batch, key=lambda d: (d["_id"], d["_revisions"]["start"])):
            singly.bulk_docs([doc], new_edits=False)
        try:
            assert state(together) == state(singly)
        finally:
            together.db.close()
            singly.db.close()


def test_new_edits_in_one_batch_chain_on_each_other(tmp_path):
    """Two new edits of one document in one batch: the second sees the first's revision."""
    store = fresh_store(tmp_path, "store.sqlite3")
    rev1 = store.put({"_id": "a", "owner": "x"})
    [first, stale] = store.bulk_docs(
        [{"_id": "a", "_rev": rev1, "owner": "y"}, {"_id": "a", "_rev": rev1, "owner": "x"}]
    )
    assert first["ok"] and stale["error"] == "conflict"
    row = store.row("a")
    assert row.winner == first["rev"] and row.channels == {"owner:y"}
    removed = store.changes(0, visible={"owner:x"})["results"]
    assert removed[0]["removed"] == ["owner:x"]
    store.db.close()

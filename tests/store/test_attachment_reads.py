"""Reading one attachment answers exactly as reading its document would.

``DocumentStore.get_attachment`` reads the revision's row, body and bytes without
building the document (PouchDB fetches every attachment by its own request); these
tests hold it to the answers of the whole-document path, ``get_doc`` and its access
check, over visible and hidden documents, deleted and compacted revisions, losing
branches, other owners' revisions and unusual attachment names.
"""

from __future__ import annotations

import base64
import itertools

from sync.store import attachments
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

NAMES = ["p.jpg", "photo one.txt", "dir/inner.txt", 'q"uote.txt', "زربية.txt", "$.x[0]", "absent"]


def inline(*names: str, salt: str = "") -> dict:
    return {
        name: {
            "content_type": "text/plain",
            "data": base64.b64encode(f"{salt}{name}".encode()).decode(),
        }
        for name in names
    }


def by_document(store: DocumentStore, doc_id: str, name: str, visible, rev):
    """The answer of the whole-document path: get_doc, its stub, the bytes of its digest."""
    try:
        doc = store.get_doc(doc_id, visible, rev=rev)
    except DocumentNotFound as exc:
        return ("not found", str(exc))
    stub = (doc.get("_attachments") or {}).get(name)
    if stub is None:
        return ("not found", "Document is missing attachment")
    data = attachments.load_bytes(store.db, stub["digest"])
    if data is None:
        return ("not found", "attachment content is missing")
    return (stub, data)


def by_attachment(store: DocumentStore, doc_id: str, name: str, visible, rev):
    try:
        return store.get_attachment(doc_id, name, visible, rev=rev)
    except DocumentNotFound as exc:
        return ("not found", str(exc))


def test_one_attachment_is_answered_as_its_document_would_be(store):
    revs: dict[str, list[str]] = {}
    named = NAMES[:-1]
    # Moved to another owner: her old revision is hers, the new one is not.
    first = store.put({"_id": "moved", "owner": "x", "_attachments": inline(*named)})
    second = store.put(
        {"_id": "moved", "_rev": first, "owner": "y", "_attachments": inline("p.jpg", salt="2")}
    )
    revs["moved"] = [first, second]
    # Deleted: the tombstone keeps no attachment; the live revision before it had one.
    live = store.put({"_id": "gone", "owner": "x", "_attachments": inline("p.jpg")})
    tombstone = store.put({"_id": "gone", "_rev": live, "_deleted": True})
    revs["gone"] = [live, tombstone]
    # A tombstone that kept its fields and an attachment.
    kept = store.put({"_id": "kept", "owner": "x", "_attachments": inline("p.jpg", salt="k")})
    kept_tomb = store.put(
        {
            "_id": "kept",
            "_rev": kept,
            "_deleted": True,
            "owner": "x",
            "_attachments": {"p.jpg": {"stub": True}},
        }
    )
    revs["kept"] = [kept, kept_tomb]
    # A losing branch of another owner, grafted by replication.
    store.bulk_docs(
        [
            {"_id": "branch", "_rev": "1-a", "owner": "x", "_attachments": inline("p.jpg")},
            {
                "_id": "branch",
                "_rev": "1-0",
                "owner": "z",
                "_attachments": inline("p.jpg", salt="z"),
            },
        ],
        new_edits=False,
    )
    revs["branch"] = ["1-a", "1-0"]
    # Bytes lost (a restore without them).
    lost = store.put({"_id": "lost", "owner": "x", "_attachments": inline("p.jpg", salt="lost")})
    digest = store.get_doc("lost")["_attachments"]["p.jpg"]["digest"]
    store.db.execute("DELETE FROM attachments WHERE digest = ?", [digest])
    revs["lost"] = [lost]
    # A compacted ancestor: its body is gone.
    old = store.put({"_id": "compacted", "owner": "x", "_attachments": inline("p.jpg", salt="c")})
    new = store.put(
        {"_id": "compacted", "_rev": old, "owner": "x", "v": 2, "_attachments": inline("p.jpg")}
    )
    store.compact()
    revs["compacted"] = [old, new]

    visibles = [None, {"owner:x"}, {"owner:y"}, {"owner:z"}, set()]
    ids = [*revs, "nowhere"]
    asked = 0
    for doc_id, name, visible in itertools.product(ids, NAMES, visibles):
        for rev in [None, "9-zzz", *revs.get(doc_id, [])]:
            expected = by_document(store, doc_id, name, visible, rev)
            assert by_attachment(store, doc_id, name, visible, rev) == expected, (
                doc_id,
                name,
                visible,
                rev,
            )
            asked += 1
    assert asked > 500


def test_each_name_reads_its_own_bytes(store):
    store.put({"_id": "a", "owner": "x", "_attachments": inline(*NAMES[:-1], salt="a:")})
    for name in NAMES[:-1]:
        stub, data = store.get_attachment("a", name, {"owner:x"})
        assert data == f"a:{name}".encode() and stub["length"] == len(data)

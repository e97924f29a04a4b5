"""Reads inside ``prefetched`` (rows and bodies read up front, as ``_bulk_get`` does) answer
exactly as the same reads one by one."""

from __future__ import annotations


def test_bulk_reads_with_bodies_read_up_front_answer_as_one_by_one(store):
    first = store.put({"_id": "a", "owner": "x", "v": 1})
    second = store.put({"_id": "a", "_rev": first, "owner": "x", "v": 2})
    store.bulk_docs(
        [{"_id": "a", "_rev": "2-0", "owner": "y", "_revisions": {"start": 2, "ids": ["0", "q"]}}],
        new_edits=False,
    )
    gone = store.put({"_id": "b", "owner": "x"})
    tombstone = store.put({"_id": "b", "_rev": gone, "_deleted": True})
    store.compact()  # the first revision of "a" loses its body
    asked = [
        ("a", first),
        ("a", second),
        ("a", "2-0"),
        ("a", "9-nope"),
        ("b", gone),
        ("b", tombstone),
        ("nowhere", "1-x"),
        ("a", second),  # asked twice
    ]
    ids = [doc_id for doc_id, _ in asked]

    def answers():
        out = []
        for (doc_id, rev), visible, latest in (
            (pair, visible, latest)
            for pair in asked
            for visible in (None, {"owner:x"}, {"owner:y"})
            for latest in (False, True)
        ):
            out.append(store.open_revs(doc_id, [rev], visible, latest=latest, revs=True))
            out.append(store.body(doc_id, rev))
        return out

    one_by_one = answers()
    with store.prefetched(ids, asked):
        up_front = answers()
        # Bodies are parsed afresh each time: a caller editing one spoils no other read.
        store.body("a", second)["v"] = "edited"
        assert store.body("a", second)["v"] == 2
    assert up_front == one_by_one
    assert any(item for item in one_by_one)

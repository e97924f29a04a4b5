"""``revs: true`` in the compact protocol and ``?revs=true`` on the snapshot: each change
with the winner's ancestry and every other leaf, so that a device storing them with
``new_edits: false`` holds the server's revision tree (what the PouchDB plugin in
clients/js needs to match CouchDB's replication)."""

from __future__ import annotations

import json

import sqlite_utils

from api import migrations
from api.stores import document_store
from sync.store import revtree
from tests.support.compact import client_for, store_of

MOVEMENT = {
    "_id": "movement:revs",
    "type": "material_movement",
    "owner": "art_fatima",
    "cooperative": "coop-taza-zerbia",
    "material": "wool",
    "unit": "kg",
}


def branched(store) -> None:
    """A document with history, a live conflict and a deleted branch, written as
    replication writes (no rule settles a movement's conflict, so it stands)."""
    store.bulk_docs(
        [
            {
                **MOVEMENT,
                "_rev": "2-b",
                "quantity": 1.0,
                "_revisions": {"start": 2, "ids": ["b", "a"]},
            },
            {
                **MOVEMENT,
                "_rev": "2-c",
                "quantity": 2.0,
                "_revisions": {"start": 2, "ids": ["c", "a"]},
            },
            {
                "_id": MOVEMENT["_id"],
                "_rev": "3-d",
                "_deleted": True,
                "_revisions": {"start": 3, "ids": ["d", "c", "a"]},
            },
            {
                **MOVEMENT,
                "_rev": "2-e",
                "quantity": 3.0,
                "_revisions": {"start": 2, "ids": ["e", "a"]},
            },
        ],  # fmt: skip
        new_edits=False,
    )


def replayed_tree(tmp_path, docs: list[dict]) -> dict:
    """The revision tree a fresh store builds from ``docs`` (a change and its leaves)."""
    db = sqlite_utils.Database(tmp_path / "device.sqlite")
    migrations.migrate(db)
    device = document_store(db)
    for doc in docs:
        leaves = doc.pop("_leaves", [])
        doc.pop("_conflicts", None)
        device.bulk_docs([doc, *leaves], new_edits=False)
    return revtree.tree_to_json(device.row(MOVEMENT["_id"]).tree)


def test_a_change_carries_its_history_and_every_other_leaf(server, tmp_path):
    store = store_of(server)
    branched(store)
    row = store.row(MOVEMENT["_id"])
    phone = client_for(server, "artisan", "revs-phone")
    answer = phone.post({"device": "revs-phone", "since": 0, "revs": True})
    [change] = [c for c in answer["changes"] if c["_id"] == MOVEMENT["_id"]]
    assert change["_rev"] == row.winner
    assert change["_revisions"]["start"] == int(row.winner.split("-")[0])
    leaves = {leaf["_rev"]: leaf for leaf in change["_leaves"]}
    assert set(leaves) == set(revtree.leaves(row.tree)) - {row.winner}
    assert leaves["3-d"]["_deleted"] is True
    assert leaves["3-d"]["_revisions"] == {"start": 3, "ids": ["d", "c", "a"]}
    # Stored as PouchDB stores a replicated revision, they rebuild the server's tree.
    assert replayed_tree(tmp_path, [change]) == revtree.tree_to_json(row.tree)

    # Without `revs`, the answer is as before: no history, no leaves.
    plain = client_for(server, "artisan", "plain-phone").post({"device": "plain-phone"})
    [bare] = [c for c in plain["changes"] if c["_id"] == MOVEMENT["_id"]]
    assert "_revisions" not in bare and "_leaves" not in bare


def test_a_deletion_comes_with_its_history(server):
    store = store_of(server)
    store.put({**{k: v for k, v in MOVEMENT.items()}, "quantity": 1.0})
    phone = client_for(server, "artisan", "del-phone")
    first = phone.post({"device": "del-phone", "since": 0, "revs": True})
    current = store.get_doc(MOVEMENT["_id"])
    store.put({**current, "_deleted": True})
    later = phone.post({"device": "del-phone", "since": first["cursor"], "revs": True})
    [gone] = [c for c in later["changes"] if c["_id"] == MOVEMENT["_id"]]
    assert gone["_deleted"] is True
    assert gone["_revisions"]["ids"][1] == current["_rev"].split("-")[1]


def test_the_snapshot_with_revs_gives_the_same_history(server, tmp_path):
    store = store_of(server)
    branched(store)
    phone = client_for(server, "artisan", "snap-phone")
    response = phone.session.get(f"{server.sync_url()}/_snapshot", params={"revs": "true"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    [doc] = [line for line in lines if line.get("_id") == MOVEMENT["_id"]]
    row = store.row(MOVEMENT["_id"])
    assert replayed_tree(tmp_path, [doc]) == revtree.tree_to_json(row.tree)
    plain = phone.session.get(f"{server.sync_url()}/_snapshot").text
    assert "_revisions" not in plain

"""The hirfa-sync plugin against PouchDB's own replicator: the same server workload
(documents created, edited, deleted, in conflicts the server resolves, with a deleted
branch, with an attachment) pulled into device A by ``PouchDB.replicate`` over the
CouchDB protocol and into device B by the plugin over the compact one leaves the same
documents and the same revision trees on both."""

from __future__ import annotations

import base64

import requests

from api.services import order_feed
from tests.support.compact import product
from tests.support.ledger import movement
from tests.support.plugin_device import server_rev_trees

PHOTO = "the bytes of a photo; " * 40


def revisions(*chain: str) -> dict:
    return {"start": len(chain), "ids": list(reversed(chain))}


def settle(store) -> None:
    """What the server does after every request that is not a GET (api/app.py
    ``_settle_writes``): a product's conflict resolved by its rule, a tombstone on the
    losing branch. The rounds write straight to the store, which skips that; left
    pending, it runs on the next POST, which is device A's own ``_bulk_get`` in the middle
    of its pull, so A would read the tree before it and the plugin the tree after."""
    order_feed.process(store)


def first_round(store, url, headers) -> None:
    for i in range(10):
        store.put(product(i))
    for i in (1, 2, 3):
        current = requests.get(f"{url}/product:{i}", headers=headers, timeout=10).json()
        done = requests.put(
            f"{url}/product:{i}", json={**current, "price_centimes": i}, headers=headers, timeout=10
        )
        assert done.status_code == 201, done.text
    rev4 = store.row("product:4").winner
    assert requests.delete(f"{url}/product:4", params={"rev": rev4}, headers=headers, timeout=10).ok
    # two phones' edits of one listing (a conflict) and a third branch deleted
    store.bulk_docs(
        [
            {**product("c"), "_rev": "1-a", "_revisions": revisions("a")},
            {**product("c"), "_rev": "2-b", "v": 1, "_revisions": revisions("a", "b")},
            {**product("c"), "_rev": "2-c", "v": 2, "_revisions": revisions("a", "c")},
            {
                "_id": "product:c",
                "_rev": "3-e",
                "_deleted": True,
                "_revisions": revisions("a", "d", "e"),
            },
        ],
        new_edits=False,
    )
    # a conflict no rule settles (one movement recorded differently on two phones): both
    # devices must hold it live, with its deleted third branch, as the server does
    wool = movement("movement:twice", owner="art_fatima", kind="use", quantity=500,
                    **{"from": "artisan:art_fatima"})  # fmt: skip
    store.bulk_docs(
        [
            {**wool, "_rev": "1-a", "_revisions": revisions("a")},
            {**wool, "_rev": "2-b", "_revisions": revisions("a", "b")},
            {**wool, "quantity": 700, "_rev": "2-c", "_revisions": revisions("a", "c")},
            {
                "_id": wool["_id"],
                "_rev": "3-e",
                "_deleted": True,
                "_revisions": revisions("a", "d", "e"),
            },
        ],  # fmt: skip
        new_edits=False,
    )
    data = base64.b64encode(PHOTO.encode()).decode()
    store.put(
        {
            **product("photo"),
            "_attachments": {"photo.txt": {"content_type": "text/plain", "data": data}},
        }
    )
    settle(store)


def second_round(store, url, headers) -> None:
    # the server resolved the conflict by deleting the losing branch; an edit, a deletion,
    # a new one
    resolved = requests.get(
        f"{url}/product:c", params={"conflicts": "true"}, headers=headers, timeout=10
    ).json()
    assert resolved["_rev"] == "2-c" and "_conflicts" not in resolved, resolved
    current = store.get_doc("product:5")
    store.put({**current, "price_centimes": 55})
    store.put({**store.get_doc("product:6"), "_deleted": True})
    store.put(product("late"))
    # a new conflict: an edit here, and another phone's edit of the same revision
    base = store.row("product:7").winner
    store.put({**store.get_doc("product:7"), "price_centimes": 70})
    store.bulk_docs(
        [
            {
                **product(7),
                "v": 9,
                "_rev": "2-zz",
                "_revisions": {"start": 2, "ids": ["zz", base[2:]]},
            }
        ],
        new_edits=False,
    )
    settle(store)


def compare(a, b, store) -> None:
    trees_a, trees_b = a.rev_trees(), b.rev_trees()
    assert trees_b == server_rev_trees(store, set(trees_b) | set(trees_a))
    assert trees_a == trees_b
    docs_a, docs_b = a.docs(), b.docs()
    assert docs_b.keys() == docs_a.keys()
    for doc_id, doc in docs_a.items():
        # PouchDB's _attachments stubs carry the same digest on both sides
        assert docs_b[doc_id] == doc, doc_id
    for device in (a, b):
        got = device.result({"op": "get_attachment", "id": "product:photo"})
        assert got.get("text") == PHOTO, got


def test_the_plugin_and_pouchdbs_replicator_build_the_same_trees(server, store, token, device):
    url = server.sync_url()
    headers = {"Authorization": f"Bearer {token()}"}
    replicator, plugin = device("replicator"), device("plugin")

    def pull_both():
        pulled = replicator.result(
            {"op": "pouch_replicate", "direction": "pull", "url": url, "headers": headers}
        )
        assert pulled["ok"], pulled
        plugin.synced(url, token())

    # both start from a first sync (the plugin's snapshot carries no deletions, which a
    # device with nothing does not need), then follow the same changes
    pull_both()
    first_round(store, url, headers)
    pull_both()
    compare(replicator, plugin, store)
    # the unsettled conflict is held live on both, with its deleted branch
    leaves = plugin.rev_trees()["movement:twice"]
    assert sorted((leaf["rev"], leaf["deleted"]) for leaf in leaves) == [
        ("2-b", False),
        ("2-c", False),
        ("3-e", True),
    ]
    second_round(store, url, headers)
    pull_both()
    compare(replicator, plugin, store)

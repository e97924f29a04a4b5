"""The hirfa-sync PouchDB plugin (clients/js) against a live Hirfa: a first sync from the
snapshot, pushes and pulls with a conflict, deletions and removals, a restored server and
a second device (docs/sync-protocols.md, "The compact protocol")."""

from __future__ import annotations

import json
import sqlite3

import requests

from tests.support.compact import product
from tests.support.documents import directory_read_by, product_body
from tests.support.plugin_device import server_rev_trees

HER_DIRECTORY = directory_read_by("art_fatima")


def winners(store, doc_ids) -> dict[str, str]:
    """Live documents among ``doc_ids`` on the server: id -> winning revision."""
    out = {}
    for doc_id in doc_ids:
        row = store.row(doc_id)
        if row is not None and not row.deleted:
            out[doc_id] = row.winner
    return out


def server_doc(server, who_headers, doc_id: str, **params) -> requests.Response:
    return requests.get(
        f"{server.sync_url()}/{doc_id}", params=params, headers=who_headers, timeout=10
    )


def seed_her_work(store) -> set[str]:
    """A few dozen documents of the artisan (some edited, one in conflict) and a few of
    another artisan of her cooperative, which she must not get."""
    ids = set()
    for i in range(30):
        doc = product(i)
        rev = store.put(doc)
        if i % 5 == 0:  # some history
            store.put({**doc, "_rev": rev, "price_centimes": 100 * i})
        ids.add(doc["_id"])
    # a conflict, with a deleted branch beside it
    store.bulk_docs(
        [
            {**product("c"), "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}},
            {**product("c"), "_rev": "2-b", "v": 1, "_revisions": {"start": 2, "ids": ["b", "a"]}},
            {**product("c"), "_rev": "2-c", "v": 2, "_revisions": {"start": 2, "ids": ["c", "a"]}},
            {
                "_id": "product:c",
                "_rev": "3-d",
                "_deleted": True,
                "_revisions": {"start": 3, "ids": ["d", "c", "a"]},
            },
            {**product("c"), "_rev": "2-e", "v": 3, "_revisions": {"start": 2, "ids": ["e", "a"]}},
        ],
        new_edits=False,
    )
    ids.add("product:c")
    for i in range(5):
        store.put(product(f"k{i}", owner="art_khadija"))
    return ids


def test_a_first_sync_loads_the_snapshot_and_a_second_moves_nothing(server, store, token, device):
    hers = seed_her_work(store)
    phone = device("phone-a")
    first = phone.synced(server.sync_url(), token())
    assert first["snapshot"] is not None, first
    assert first["snapshot"]["docs"] == len(hers | HER_DIRECTORY)
    assert first["pushed"] == 0
    # exactly her channels' documents, at the server's revisions, with the server's trees
    assert phone.revs() == winners(store, hers | HER_DIRECTORY)
    assert phone.rev_trees() == server_rev_trees(store, hers | HER_DIRECTORY)
    again = phone.synced(server.sync_url(), token())
    assert (again["pushed"], again["pulled"], again["snapshot"]) == (0, 0, None)
    assert again["requests"] == 1


def test_an_offline_edit_and_a_server_edit_end_in_the_servers_conflict(
    server, store, token, device
):
    for i in range(3):
        store.put(product(i))
    phone = device("phone-a")
    url, fatima = server.sync_url(), token()
    phone.synced(url, fatima)
    headers = {"Authorization": f"Bearer {token()}"}
    # offline on the phone: an edit of product:1 and a new listing
    phone.run_ops(
        [
            {"op": "update", "id": "product:1", "set": {"price_centimes": 900}},
            {"op": "put", "doc": product("offline")},
        ]
    )
    # meanwhile over HTTP (her other phone, without the plugin): an edit of product:1 and
    # a new listing
    current = server_doc(server, headers, "product:1").json()
    edited = requests.put(
        f"{url}/product:1", json={**current, "price_centimes": 700}, headers=headers, timeout=10
    )
    assert edited.status_code == 201, edited.text
    created = requests.put(f"{url}/product:web", json=product("web"), headers=headers, timeout=10)
    assert created.status_code == 201, created.text

    summary = phone.synced(url, fatima)
    assert summary["pushed"] == 2
    assert store.row("product:offline").winner == phone.revs()["product:offline"]
    assert phone.revs()["product:web"] == created.json()["rev"]
    # Hirfa resolves a product's conflict itself (sync/rules/resolution.py): the device
    # gets the resolution by the next sync and ends where the server is
    assert [(c["id"], c["winner"]) for c in summary["conflicts"]] == [
        ("product:1", store.row("product:1").winner)
    ] or store.row("product:1").winner != summary["conflicts"][0]["winner"]
    phone.synced(url, fatima)
    expected = server_doc(server, headers, "product:1", conflicts="true").json()
    local = phone.get("product:1", conflicts=True)["doc"]
    assert (local["_rev"], local.get("_conflicts")) == (
        expected["_rev"],
        expected.get("_conflicts"),
    ), json.dumps([store.open_revs("product:1", "all"), summary])[:2000]
    assert local["price_centimes"] == expected["price_centimes"]
    assert phone.rev_trees() == server_rev_trees(store, set(phone.revs()))
    again = phone.synced(url, fatima)
    assert (again["pushed"], again["pulled"]) == (0, 0)


def test_deletions_on_each_side_and_a_removal_that_is_not_pushed_back(server, store, token, device):
    for i in range(4):
        store.put(product(i))
    phone = device("phone-a")
    url, fatima = server.sync_url(), token()
    phone.synced(url, fatima)
    headers = {"Authorization": f"Bearer {token()}"}
    phone.run_ops([{"op": "remove", "id": "product:1"}])
    rev2 = store.row("product:2").winner
    gone = requests.delete(f"{url}/product:2", params={"rev": rev2}, headers=headers, timeout=10)
    assert gone.ok, gone.text
    # an admin's correction: the listing was another artisan's; it leaves her channels
    moved_rev = store.put({**store.get_doc("product:3"), "owner": "art_khadija"})

    summary = phone.synced(url, fatima)
    assert summary["forbidden"] == [] and summary["rejected"] == [], summary
    # her deletion reached the server, at the device's revision
    local_tomb = phone.result({"op": "get_leaves", "id": "product:1"})["leaves"]
    assert [leaf["_deleted"] for leaf in local_tomb] == [True]
    assert store.row("product:1").deleted and store.row("product:1").winner == local_tomb[0]["_rev"]
    # the server's deletion reached her
    theirs = phone.get("product:2")
    assert (theirs.get("missing"), theirs.get("deleted")) == (True, True), theirs
    # the removed listing is gone from the phone, and the server's copy is untouched
    assert phone.get("product:3")["missing"] is True
    assert set(phone.revs()) == {"product:0"} | HER_DIRECTORY
    row = store.row("product:3")
    assert (row.winner, row.deleted) == (moved_rev, False)
    assert [leaf["ok"]["_rev"] for leaf in store.open_revs("product:3", "all")] == [moved_rev]
    again = phone.synced(url, fatima)
    assert (again["pushed"], again["pulled"], again["forbidden"]) == (0, 0, [])
    assert [leaf["ok"]["_rev"] for leaf in store.open_revs("product:3", "all")] == [moved_rev]


def test_a_restored_server_gets_back_what_the_device_pushed_since_the_backup(
    server, store, token, device
):
    store.put(product(1))
    phone = device("phone-a")
    url, fatima = server.sync_url(), token()
    phone.synced(url, fatima)
    backup = sqlite3.connect(":memory:")
    store.db.conn.backup(backup)
    # after the backup: an edit and a new listing pushed from the phone
    phone.run_ops(
        [
            {"op": "update", "id": "product:1", "set": {"price_centimes": 500}},
            {"op": "put", "doc": product(2)},
        ]
    )
    assert phone.synced(url, fatima)["pushed"] == 2
    assert store.row("product:2") is not None
    # the operator restores the backup, which lost both; the store gets a new uuid
    backup.backup(store.db.conn)
    with store.db.conn:
        store.db.execute("UPDATE server_info SET value = 'restored-uuid' WHERE key = 'uuid'")
    assert store.row("product:2") is None
    store.put(product("server-side"))

    summary = phone.synced(url, fatima)
    assert summary["resets"] == 1 and summary["server"] == "restored-uuid", summary
    local = phone.revs()
    assert store.row("product:2").winner == local["product:2"]
    assert store.row("product:1").winner == local["product:1"]
    assert store.winner_body("product:1")["price_centimes"] == 500
    assert len(store.open_revs("product:1", "all")) == 1  # grafted on, not a conflict
    assert set(local) == {"product:1", "product:2", "product:server-side"} | HER_DIRECTORY
    again = phone.synced(url, fatima)
    assert (again["pushed"], again["pulled"], again["resets"]) == (0, 0, 0)


def test_what_one_device_pushes_reaches_a_second_one(server, store, token, device):
    url = server.sync_url()
    one, two = device("phone-a"), device("phone-b")
    one.synced(url, token())
    one.run_ops(
        [
            {"op": "bulk_create", "count": 12, "prefix": "product", "fields": product_body()},
            {"op": "update", "id": "product:000003", "set": {"price_centimes": 300}},
        ]
    )
    assert one.synced(url, token())["pushed"] == 12
    assert two.synced(url, token())["pushed"] == 0
    assert two.revs() == one.revs()
    assert two.docs()["product:000003"]["price_centimes"] == 300
    # an edit and a deletion on the first phone, after the second one has the listings
    one.run_ops(
        [
            {"op": "update", "id": "product:000005", "set": {"price_centimes": 500}},
            {"op": "remove", "id": "product:000004"},
        ]
    )
    assert one.synced(url, token())["pushed"] == 2
    assert two.synced(url, token())["pulled"] == 2
    assert two.revs() == one.revs()
    assert two.get("product:000004")["deleted"] is True
    # the same histories: what a later conflict between the two phones is resolved on
    assert two.rev_trees() == one.rev_trees()
    # and the first phone does not get its own pushes back
    assert one.synced(url, token())["pulled"] == 0

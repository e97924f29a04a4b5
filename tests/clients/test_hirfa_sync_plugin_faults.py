"""The hirfa-sync plugin on a link that dies: cut at several points of a push, a pull and
a snapshot (tests/support/link_proxy.py), then healed. Nothing is lost, nothing is
written twice: the retried requests carry the same request_id and body
(docs/sync-protocols.md, "The compact protocol")."""

from __future__ import annotations

import json

import pytest

from tests.support.compact import product
from tests.support.documents import directory_read_by, product_body
from tests.support.link_proxy import LinkProxy
from tests.support.plugin_device import server_rev_trees

HER_DIRECTORY = directory_read_by("art_fatima")
COUNT = 40


@pytest.fixture
def link(server):
    with LinkProxy("127.0.0.1", server.port) as proxy:
        yield proxy


def assert_same_everywhere(phone, store, ids) -> None:
    """The device and the server hold the same documents, each with one leaf: no
    duplicate revision from a retry, no conflict, nothing missing."""
    local = phone.revs()
    assert set(local) == ids | HER_DIRECTORY
    trees = phone.rev_trees()
    assert trees == server_rev_trees(store, set(trees))
    assert all(len(leaves) == 1 for leaves in trees.values()), trees
    assert store.doc_count() == len(ids) + store_extra(store)


def store_extra(store) -> int:
    """Documents on the server outside the artisan's listings (the seeded demo data)."""
    return store.db.execute(
        "SELECT count(*) FROM docs WHERE deleted = 0 AND id NOT LIKE 'product:%'"
    ).fetchone()[0]


# Points in the exchange: in the first request's headers, in its body, in the first
# answer, and a few requests in (batchSize 10: four push requests).
CUTS = [150, 1500, 6000, 20000]


@pytest.mark.parametrize("partition", [False, True], ids=["retried", "down"])
@pytest.mark.parametrize("cut", CUTS)
def test_a_push_cut_anywhere_loses_and_duplicates_nothing(
    server, store, token, device, link, cut, partition
):
    phone = device("phone-a")
    fatima = token()
    url = f"http://127.0.0.1:{link.port}/sync/hirfa"
    phone.synced(url, fatima)
    phone.run_ops(
        [{"op": "bulk_create", "count": COUNT, "prefix": "product", "fields": product_body()}]
    )
    before = store.doc_count()
    link.cut_after(cut, partition=partition)
    first = phone.sync(url, fatima, batchSize=10, retries=1 if partition else 3)
    if partition:
        # the link stayed down: the sync fails, having written at most whole batches
        link.heal()
        assert store.doc_count() - before in range(0, COUNT + 1, 10)
        if store.doc_count() - before < COUNT:
            assert not first["ok"] or not first["summary"]["ok"], first
    else:
        assert first["ok"] and first["summary"]["ok"], json.dumps(first)[:1500]
    phone.synced(url, fatima, batchSize=10)
    ids = set(phone.revs()) - HER_DIRECTORY
    assert len(ids) == COUNT
    assert_same_everywhere(phone, store, ids)
    again = phone.synced(url, fatima)
    assert (again["pushed"], again["pulled"]) == (0, 0)


@pytest.mark.parametrize("snapshot", [True, False], ids=["snapshot", "pages"])
@pytest.mark.parametrize("cut", CUTS)
def test_a_pull_cut_anywhere_loses_and_duplicates_nothing(
    server, store, token, device, link, cut, snapshot
):
    ids = set()
    for i in range(COUNT):
        ids.add(product(i)["_id"])
        store.put(product(i, notes="x" * 200))
    phone = device("phone-a")
    fatima = token()
    url = f"http://127.0.0.1:{link.port}/sync/hirfa"
    link.cut_after(cut, partition=True)
    options = {"snapshot": snapshot, "maxBytes": 3000}
    first = phone.sync(url, fatima, retries=1, **options)
    link.heal()
    held = phone.revs()
    # what it holds is the server's (nothing half-stored)
    assert all(store.row(i).winner == rev for i, rev in held.items()), held
    summary = phone.synced(url, fatima, **options)
    assert summary["pushed"] == 0, summary  # nothing pulled is pushed back
    if not first["ok"] or not first["summary"]["ok"]:
        assert summary["pulled"] + len(held) >= len(ids | HER_DIRECTORY)
    assert_same_everywhere(phone, store, ids)
    again = phone.synced(url, fatima)
    assert (again["pushed"], again["pulled"]) == (0, 0)

"""Both sides edited while partitioned: the same trees everywhere afterwards, the per-type
rule's revision replicated, and what no rule settles listed for the coordinators."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.replication.couch import CouchClient
from sync.replication.replicator import Replicator
from sync.rules.orders import ORDER_ENDED, ORDER_PROGRESS, order_state
from sync.rules.resolution import open_conflicts, resolve
from sync.store import revtree
from tests.support.replication import (
    COOP,
    local_trees,
    local_winners,
    new_store,
    product,
    remote_trees,
    winners,
)

# 60 examples, or the profile named by HYPOTHESIS_PROFILE (`make fuzz`: 1000).
PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
PROPERTY = settings(
    settings.get_profile(PROFILE) if PROFILE else settings(max_examples=60), deadline=None
)


@pytest.fixture
def spokes(tmp_path, hub):
    """Two Hirfa stores and their replicators to the same hub."""
    stores = [new_store(tmp_path / f"spoke{n}.sqlite3") for n in (1, 2)]
    return [(s, Replicator(s, CouchClient(hub))) for s in stores]


def settle(spokes, rounds=3):
    for _ in range(rounds):
        for _, replicator in spokes:
            replicator.sync()


def order(status: str, updated_at: str, **fields) -> dict:
    return {
        "_id": "order:1",
        "type": "order",
        "buyer": "buy_1",
        "artisan": "art_fatima",
        "cooperative": COOP,
        "product_id": "product:1",
        "quantity": 1,
        "status": status,
        "updated_at": updated_at,
        **fields,
    }


def edit_apart(spokes, make, first: dict, second: dict) -> None:
    """Write ``make`` on one side, share it, then edit it on both sides while apart."""
    (a, ra), (b, rb) = spokes
    rev = a.put(make)
    settle(spokes, 1)
    a.put({**make, **first, "_rev": rev})
    b.put({**make, **second, "_rev": rev})


def test_product_edited_on_both_sides_keeps_both_edits(spokes, hub):
    """Different fields changed on two servers: each change is kept (a three-way merge
    against the revision both came from), on both servers and at the hub."""
    (a, _), (b, _) = spokes
    edit_apart(
        spokes,
        product(1),
        {"status": "submitted", "updated_at": "2026-11-23T10:00:00Z"},
        {"price_centimes": 9900, "updated_at": "2026-11-23T09:00:00Z"},
    )
    settle(spokes)
    assert local_trees(a) == local_trees(b) == remote_trees(hub)
    assert local_winners(a) == local_winners(b) == winners(hub)
    rev, conflicts = winners(hub)["product:1"]
    assert conflicts == []  # resolved, and the resolution is at the hub
    body = a.winner_body("product:1")
    assert body["status"] == "submitted" and body["price_centimes"] == 9900
    assert body["updated_at"] == "2026-11-23T10:00:00Z"  # changed on both: the later edit
    assert b.winner_body("product:1") == body
    tree = a.row("product:1").tree
    # the losing edit is still in the history, closed by a tombstone: nothing was dropped
    assert len(revtree.leaves(tree)) == 2 and len(revtree.deleted_conflicts(tree)) == 1
    assert open_conflicts(a.db) == []


def test_order_states_merge_forward(spokes, hub):
    (a, _), (b, _) = spokes
    edit_apart(
        spokes,
        order("placed", "2026-11-23T08:00:00Z"),
        {"status": "accepted", "updated_at": "2026-11-23T11:00:00Z"},
        {"status": "in_production", "updated_at": "2026-11-23T10:00:00Z"},
    )
    settle(spokes)
    assert local_trees(a) == local_trees(b) == remote_trees(hub)
    assert a.winner_body("order:1")["status"] == "in_production"
    assert winners(hub)["order:1"][1] == []


def test_unresolvable_conflict_is_kept_and_listed_for_coordinators(spokes, hub):
    (a, _), (b, _) = spokes
    edit_apart(
        spokes,
        order("accepted", "2026-11-23T08:00:00Z"),
        {"status": "shipped", "updated_at": "2026-11-23T11:00:00Z"},
        {"status": "cancelled", "updated_at": "2026-11-23T12:00:00Z"},
    )
    settle(spokes)
    assert local_trees(a) == local_trees(b) == remote_trees(hub)
    assert local_winners(a) == local_winners(b) == winners(hub)
    assert len(winners(hub)["order:1"][1]) == 1  # the conflict is kept, as CouchDB keeps it
    for store in (a, b):
        [listed] = open_conflicts(store.db, [COOP])
        assert listed["doc_id"] == "order:1" and "cannot both be true" in listed["reason"]
        assert sorted(listed["revs"]) == sorted(revtree.leaves(store.row("order:1").tree))
    assert open_conflicts(a.db, ["coop-other"]) == []
    # a coordinator settles it by deleting the branch she rejects; the listing closes
    loser = winners(hub)["order:1"][1][0]
    a.put({"_id": "order:1", "_rev": loser, "_deleted": True})
    settle(spokes)
    assert open_conflicts(a.db) == [] and open_conflicts(b.db) == []
    assert local_trees(a) == local_trees(b) == remote_trees(hub)


def test_two_servers_resolving_the_same_conflict_write_the_same_revisions(tmp_path):
    """Resolution ids are content hashes: servers that resolve independently agree."""
    stores = [new_store(tmp_path / f"s{n}.sqlite3") for n in range(2)]
    base = product(1)
    for store in stores:
        rev = store.put(base)
        for n, when in enumerate(("2026-11-23T09:00:00Z", "2026-11-23T10:00:00Z")):
            fork = {**base, "_rev": rev, "price_centimes": n, "updated_at": when}
            store.bulk_docs(
                [
                    {
                        **fork,
                        "_rev": revtree.new_rev_id(rev, fork, False),
                        "_revisions": {
                            "start": 2,
                            "ids": [
                                revtree.new_rev_id(rev, fork, False).split("-")[1],
                                rev.split("-")[1],
                            ],
                        },
                    }
                ],
                new_edits=False,
            )
        settled = resolve(store, ["product:1"])
        assert settled.resolved == ["product:1"]
    assert local_trees(stores[0]) == local_trees(stores[1])
    assert stores[0].winner_body("product:1")["price_centimes"] == 1


statuses = st.sampled_from(ORDER_PROGRESS + ORDER_ENDED)


@PROPERTY
@given(st.lists(st.tuples(statuses, st.integers(0, 99)), min_size=2, max_size=5))
def test_property_order_merge_is_order_independent_and_never_goes_back(leaves):
    bodies = [
        (f"1-{n}", order(s, f"2026-11-23T{t % 24:02d}:00:00Z")) for n, (s, t) in enumerate(leaves)
    ]
    try:
        merged = order_state(bodies)
    except Exception as exc:
        ended = {s for s, _ in leaves} & set(ORDER_ENDED)
        assert ended, exc  # only a decline or cancellation can make a merge impossible
        with pytest.raises(type(exc)):
            order_state(list(reversed(bodies)))
        return
    assert merged["status"] in {s for s, _ in leaves}
    progress = [ORDER_PROGRESS.index(s) for s, _ in leaves if s in ORDER_PROGRESS]
    if merged["status"] in ORDER_PROGRESS:
        assert ORDER_PROGRESS.index(merged["status"]) == max(progress)
    assert order_state(list(reversed(bodies)))["status"] == merged["status"]

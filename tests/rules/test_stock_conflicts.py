"""A reservation and the artisan's offline stock edit both count: the product rule merges
``stock.quantity`` three-way against the revision both branches came from
(docs/features.md, "Orders"), so neither side's change undoes the other's and no piece
is sold twice."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sync.rules import resolution
from sync.store import revtree
from tests.support.orders import approved_product, move, place, push_branch, rows

DB = "/sync/hirfa"
PID = "product:zerbia"
PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
PROPERTY = settings(
    settings.get_profile(PROFILE) if PROFILE else settings(max_examples=60), deadline=None
)


def _stamp(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sync_doc(client, auth, doc_id=PID, who="artisan") -> dict:
    response = client.get(f"{DB}/{doc_id}?conflicts=true", headers=auth.headers(who))
    assert response.status_code == 200
    return response.get_json()


def _offline_count(doc: dict, quantity: int, at: str) -> dict:
    """What her phone writes offline on its copy ``doc``: a new count of pieces."""
    edited = {k: v for k, v in doc.items() if not k.startswith("_")}
    return {**edited, "stock": {**doc["stock"], "quantity": quantity}, "updated_at": at}


def _live_leaves(app, doc_id=PID) -> list[str]:
    with app.app_context():
        row = app.extensions["hirfa"].store().row(doc_id)
    return [rev for rev in revtree.leaves(row.tree) if not row.tree[rev].deleted]


def _rest_quantity(client, auth) -> int:
    response = client.get(f"/api/v1/products/{PID}", headers=auth.headers("artisan"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["stock"]["quantity"]


def _in_catalogue(client) -> bool:
    response = client.get("/api/v1/catalog?available=true")
    assert response.status_code == 200, response.get_json()
    return PID in [item["id"] for item in response.get_json()["items"]]


def _accept(client, auth, order_id: str) -> None:
    accepted = move(client, auth, "artisan", order_id, "accepted")
    assert accepted.status_code == 200, accepted.get_json()


# Her phone's clock may be ahead of the server's (its edit then wins the other fields) or
# behind; the count is merged either way.
@pytest.mark.parametrize("phone_minutes", [5, -60 * 24 * 30])
def test_a_reservation_and_an_offline_count_both_count(app, client, auth, phone_minutes):
    approved_product(app, stock={"mode": "in_stock", "quantity": 5})
    before = _sync_doc(client, auth)  # her phone's copy, then she goes offline
    order = place(client, auth).get_json()
    _accept(client, auth, order["id"])  # the server reserves 1: 4 left
    assert _rest_quantity(client, auth) == 4

    # Offline she made two more pieces (5 -> 7) on the revision before the reservation.
    push_branch(client, auth, before, _offline_count(before, 7, _stamp(phone_minutes)))

    # The feed follower ran after the push: one live leaf, 5 - 1 + 2.
    assert len(_live_leaves(app)) == 1
    synced = _sync_doc(client, auth)
    assert "_conflicts" not in synced and synced["stock"]["quantity"] == 6
    assert _rest_quantity(client, auth) == 6
    assert _in_catalogue(client)
    assert rows(app, "SELECT order_id, quantity FROM stock_reservations") == [(order["id"], 1)]


def test_the_last_piece_reserved_stays_sold_out_after_an_offline_edit(app, client, auth):
    approved_product(app, stock={"mode": "in_stock", "quantity": 1})
    before = _sync_doc(client, auth)
    order = place(client, auth).get_json()
    _accept(client, auth, order["id"])
    assert not _in_catalogue(client)
    # Offline she only saved the listing again (her count unchanged, a newer time): under
    # "latest edit wins" that brought the sold piece back into the catalogue.
    push_branch(client, auth, before, _offline_count(before, 1, _stamp(5)))
    assert _sync_doc(client, auth)["stock"]["quantity"] == 0
    assert not _in_catalogue(client)


def test_the_offline_count_arriving_before_the_accept(app, client, auth):
    approved_product(app, stock={"mode": "in_stock", "quantity": 5})
    before = _sync_doc(client, auth)
    order = place(client, auth).get_json()
    # Her edit arrives first: it is a child of the current revision, not a conflict.
    push_branch(client, auth, before, _offline_count(before, 7, _stamp(1)))
    assert len(_live_leaves(app)) == 1 and _rest_quantity(client, auth) == 7
    # The REST accept works on the winner, her 7: it reserves 1 of those.
    _accept(client, auth, order["id"])
    assert len(_live_leaves(app)) == 1
    assert _sync_doc(client, auth)["stock"]["quantity"] == 6
    assert _rest_quantity(client, auth) == 6 and _in_catalogue(client)
    assert rows(app, "SELECT order_id, quantity FROM stock_reservations") == [(order["id"], 1)]


# Store level: the conflict written directly, resolved by resolve() (sync/rules/resolution.py's
# rules, which the replication worker is built with too).


@pytest.fixture
def store(app):
    approved_product(app, stock={"mode": "in_stock", "quantity": 5})
    with app.app_context():
        yield app.extensions["hirfa"].store()


def _edit(store, parent: str, quantity: int, at: str) -> str:
    """A child of ``parent`` with ``quantity`` pieces, as a replica would bring it."""
    body = {k: v for k, v in store.body(PID, parent).items() if not k.startswith("_")}
    body = {**body, "stock": {"mode": "in_stock", "quantity": quantity}, "updated_at": at}
    rev = revtree.new_rev_id(parent, body, False)
    ids = [revtree.parse_rev(r)[1] for r in [rev, *revtree.ancestry(store.row(PID).tree, parent)]]
    doc = {
        **body,
        "_id": PID,
        "_rev": rev,
        "_revisions": {"start": revtree.parse_rev(rev)[0], "ids": ids},
    }
    [result] = store.bulk_docs([doc], new_edits=False, check=None)
    assert "error" not in result, result
    return rev


def _quantity_after_resolve(store) -> int:
    outcome = resolution.resolve(store, [PID])
    assert outcome.resolved == [PID]
    row = store.row(PID)
    assert revtree.conflicts(row.tree) == []
    return store.winner_body(PID)["stock"]["quantity"]


def test_resolve_merges_against_the_common_ancestor(store):
    base = store.row(PID).winner
    _edit(store, base, 4, "2026-11-21T10:00:00Z")  # the server's reservation
    _edit(store, base, 7, "2026-11-21T09:00:00Z")  # her offline count
    assert _quantity_after_resolve(store) == 6
    seq = store.update_seq()
    assert resolution.resolve(store, [PID]).resolved == []  # settled: nothing more written
    assert store.update_seq() == seq


def test_without_the_ancestor_body_the_fewest_pieces_stand(store):
    base = store.row(PID).winner
    _edit(store, base, 4, "2026-11-21T10:00:00Z")
    _edit(store, base, 7, "2026-11-21T11:00:00Z")
    store.compact()  # the common ancestor's body goes: 5 is no longer known
    assert store.body(PID, base) is None
    assert _quantity_after_resolve(store) == 4


def test_branches_that_part_below_the_common_ancestor_count_their_shared_edit_once(store):
    base = store.row(PID).winner
    _edit(store, base, 4, "2026-11-21T10:00:00Z")  # -1 (a reservation)
    made = _edit(store, base, 7, "2026-11-21T09:00:00Z")  # +2, then on two devices:
    _edit(store, made, 6, "2026-11-21T09:30:00Z")  # -1
    _edit(store, made, 9, "2026-11-21T09:40:00Z")  # +2
    assert len(revtree.conflicts(store.row(PID).tree)) == 2
    assert _quantity_after_resolve(store) == 5 - 1 + 2 - 1 + 2


def test_made_to_order_products_are_left_to_the_latest_edit():
    base = {"type": "product", "stock": {"mode": "made_to_order", "production_days": 21}}
    older = {**base, "title": {"fr": "A"}, "updated_at": "2026-11-21T09:00:00Z"}
    newer = {**base, "title": {"fr": "B"}, "updated_at": "2026-11-21T10:00:00Z"}
    leaves = [("2-a", older), ("2-b", newer)]
    assert resolution.RULES["product"](leaves, base) == newer


# The merge as an algebra.

counts = st.integers(min_value=0, max_value=10_000)


@PROPERTY
@given(counts, st.lists(counts, min_size=1, max_size=6), st.randoms())
def test_the_merge_ignores_the_order_of_the_leaves(ancestor, quantities, rnd):
    shuffled = list(quantities)
    rnd.shuffle(shuffled)
    assert resolution.merge_quantity(ancestor, shuffled) == resolution.merge_quantity(
        ancestor, quantities
    )
    assert resolution.merge_quantity(None, shuffled) == resolution.merge_quantity(None, quantities)


@PROPERTY
@given(counts, st.lists(counts, min_size=1, max_size=6))
def test_the_merge_is_idempotent(ancestor, quantities):
    merged = resolution.merge_quantity(ancestor, quantities)
    assert resolution.merge_quantity(ancestor, [merged]) == merged
    # A leaf that changed nothing adds nothing.
    assert resolution.merge_quantity(ancestor, [*quantities, ancestor]) == merged


@PROPERTY
@given(counts, st.lists(counts, min_size=1, max_size=6))
def test_the_merge_applies_every_leafs_change_in_turn(ancestor, quantities):
    applied = functools.reduce(lambda q, leaf: q + (leaf - ancestor), quantities, ancestor)
    assert resolution.merge_quantity(ancestor, quantities) == max(0, applied)


@PROPERTY
@given(counts, st.lists(counts, min_size=1, max_size=4), st.lists(counts, min_size=1, max_size=4))
def test_merging_groups_first_gives_the_same_count(ancestor, some, others):
    # What resolve() does for branches that part at different revisions.
    merge = resolution.merge_quantity
    whole = ancestor + sum(q - ancestor for q in [*some, *others])
    assume(min(whole, merge(ancestor, some), merge(ancestor, others)) > 0)  # no clamping
    grouped = merge(ancestor, [merge(ancestor, some), merge(ancestor, others)])
    assert grouped == merge(ancestor, [*some, *others])


@PROPERTY
@given(
    counts,
    st.lists(counts, min_size=2, max_size=5),
    st.randoms(),
)
def test_the_product_rule_is_a_function_of_the_set_of_leaves(ancestor, quantities, rnd):
    body = {"type": "product", "title": {"fr": "Zerbia"}, "stock": {"mode": "in_stock"}}
    leaves = [
        (
            f"2-{i:032x}",
            {
                **body,
                "stock": {"mode": "in_stock", "quantity": q},
                "updated_at": f"2026-11-{i + 1:02d}",
            },
        )
        for i, q in enumerate(quantities)
    ]
    base = {**body, "stock": {"mode": "in_stock", "quantity": ancestor}}
    shuffled = list(leaves)
    rnd.shuffle(shuffled)
    rule = resolution.RULES["product"]
    merged = rule(leaves, base)
    assert rule(shuffled, base) == merged
    assert merged["stock"]["quantity"] == resolution.merge_quantity(ancestor, quantities)
    assert merged["updated_at"] == max(b["updated_at"] for _, b in leaves)
    # Without the ancestor: never more than any leaf has.
    assert rule(shuffled, None)["stock"]["quantity"] == min(quantities)

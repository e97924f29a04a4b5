"""Movements recorded on phones and servers, delivered to two servers in any order, in
any batches, with reversals and with conflicting copies of a movement: both servers end
with the same balances, and those are the ledger's definition (``balances`` in
sync/rules/ledger.py) over the winning revisions (issue 14, "Done when")."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from api.migrations import migrate
from api.services.ledger import projection
from api.stores import document_store
from sync.rules import ledger
from sync.store.database import connect

PROFILE = os.environ.get("HYPOTHESIS_PROFILE")
PROPERTY = settings(
    settings.get_profile(PROFILE) if PROFILE else settings(max_examples=40), deadline=None
)
COOP = "coop-taza-zerbia"
MATERIALS = [f"material:{COOP}:wool", f"material:{COOP}:henna"]
PLACES = ["store", "artisan:art_fatima", "artisan:art_khadija"]

quantity = st.integers(min_value=1, max_value=50_000)
material = st.sampled_from(MATERIALS)
place = st.sampled_from(PLACES)


@st.composite
def movement(draw) -> dict:
    kind = draw(st.sampled_from(["receive", "transfer", "use", "waste", "count", "batch"]))
    body = {"type": "material_movement", "owner": "coo_naima", "cooperative": COOP, "kind": kind}
    if kind == "batch":
        body.update(
            at=draw(place),
            inputs=[{"material": MATERIALS[0], "quantity": draw(quantity)}],
            outputs=[{"material": MATERIALS[1], "quantity": draw(quantity)}],
            lot="LOT-1",
        )
    elif kind == "count":
        body.update(
            material=draw(material),
            at=draw(place),
            counted=draw(st.integers(0, 50_000)),
            expected=draw(st.integers(-50_000, 50_000)),
        )
    else:
        body.update(material=draw(material), quantity=draw(quantity))
        if kind in ("receive", "transfer"):
            body["to"] = draw(place)
        if kind != "receive":
            body["from"] = draw(place.filter(lambda p: p != body.get("to")))
        if kind == "receive":
            body["cost_centimes"] = draw(st.integers(0, 10**6))
    return body


def replicated(doc_id: str, body: dict) -> dict:
    """The revision as replication carries it: its id is its content's, so two origins
    writing the same body write the same revision, and different bodies conflict."""
    rev_hash = hashlib.md5(json.dumps(body, sort_keys=True).encode()).hexdigest()  # noqa: S324
    return {
        "_id": doc_id,
        "_rev": f"1-{rev_hash}",
        "_revisions": {"start": 1, "ids": [rev_hash]},
        **body,
    }


@st.composite
def ledgers(draw) -> list[dict]:
    """Revisions recorded somewhere: movements, some reversed (sometimes by two people
    at once, with different notes), and some movement ids written twice with different
    bodies (a conflict the hub brings)."""
    bodies = draw(st.lists(movement(), min_size=1, max_size=14))
    revisions = [replicated(f"mv{i}", body) for i, body in enumerate(bodies)]
    for i in draw(st.sets(st.integers(0, len(bodies) - 1), max_size=4)):
        for note in draw(st.sets(st.sampled_from(["oops", "erreur"]), min_size=1)):
            reversal = {
                "type": "material_movement",
                "owner": "coo_naima",
                "cooperative": COOP,
                "kind": "reversal",
                "reverses": f"mv{i}",
                "note": note,
            }
            revisions.append(replicated(f"reversal:mv{i}", reversal))
    for i in draw(st.sets(st.integers(0, len(bodies) - 1), max_size=2)):
        revisions.append(replicated(f"mv{i}", draw(movement())))
    return revisions


def _server(root: Path, name: str):
    db = connect(root / f"{name}.db")
    migrate(db)
    return document_store(db)


def _table(store) -> dict[tuple[str, str], int]:
    return {
        (m, p): q
        for m, p, q in store.db.execute(
            "SELECT material, place, quantity FROM material_balances WHERE quantity != 0"
        )
    }


def _winners(store) -> dict[str, dict]:
    found = {}
    for (doc_id,) in store.db.execute("SELECT id FROM docs WHERE deleted = 0"):
        body = store.winner_body(doc_id)
        if body and body.get("type") == "material_movement":
            found[doc_id] = body
    return found


@PROPERTY
@given(
    revisions=ledgers(),
    data=st.data(),
)
def test_two_servers_reach_the_same_balances_whatever_the_order(revisions, data):
    with tempfile.TemporaryDirectory() as tmp:
        servers = [_server(Path(tmp), "a"), _server(Path(tmp), "b")]
        for store in servers:
            order = data.draw(st.permutations(revisions))
            cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(order) - 1)), max_size=4)))
            for start, end in zip([0, *cuts], [*cuts, len(order)], strict=True):
                results = store.bulk_docs(order[start:end], new_edits=False)
                assert all("error" not in r for r in results), results
        a, b = servers
        assert _winners(a) == _winners(b)
        expected = ledger.balances(_winners(a))
        assert _table(a) == expected
        assert _table(b) == expected
        # Rebuilt from the documents alone, the tables say the same.
        projection.rebuild(a.db)
        assert _table(a) == expected
        for store in servers:
            store.db.close()


def test_a_movement_no_check_saw_with_a_list_for_a_kind_counts_for_nothing(tmp_path):
    """From the hub (no user check): a forged list-valued kind must not fail the write."""
    store = _server(tmp_path, "hub-fed")
    forged = replicated(
        "mv-odd", {"type": "material_movement", "cooperative": COOP, "kind": ["use"]}
    )
    [result] = store.bulk_docs([forged], new_edits=False)
    assert result.get("ok"), result
    assert _table(store) == {}
    store.db.close()

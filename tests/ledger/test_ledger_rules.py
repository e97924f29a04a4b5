"""Who writes and who sees materials and movements, and what a bad movement is told; a
refused movement leaves the balances as they were (issue 14, "Bad input")."""

from __future__ import annotations

import pytest

from api import state
from sync.rules.access import channels_for, user_channels
from tests.support.apps import make_app
from tests.support.checked_store import checked_store, user
from tests.support.ledger import COOP, WOOL, movement, wool

NAIMA = user("coo_naima", "coordinator", COOP)
FATIMA = user("art_fatima", "artisan", COOP)
ZAHRA = user("art_zahra", "artisan", "coop-essaouira-argan")


@pytest.fixture
def store(tmp_path):
    app = make_app(tmp_path)
    with checked_store(state.of(app)) as found:
        found.put(wool(), check=found.check_as(NAIMA))
        found.put(
            movement("mv-in", kind="receive", quantity=12_000, to="store"),
            check=found.check_as(NAIMA),
        )
        yield found


def _balances(store) -> dict:
    return {
        (m, p): q
        for m, p, q in store.db.execute("SELECT material, place, quantity FROM material_balances")
    }


def refused(store, who, doc: dict) -> str:
    before = _balances(store)
    [result] = store.bulk_docs([doc], check=store.check_as(who))
    assert result.get("error") in ("forbidden", "bad_request"), result
    assert _balances(store) == before, "a refused movement changed a balance"
    return result["reason"]


def test_an_artisan_records_her_own_materials_and_not_the_stores(store):
    [ok] = store.bulk_docs(
        [
            movement(
                "mv-used",
                owner="art_fatima",
                kind="use",
                quantity=500,
                **{"from": "artisan:art_fatima"},
            )
        ],
        check=store.check_as(FATIMA),
    )
    assert ok.get("ok"), ok
    assert _balances(store)[(WOOL, "artisan:art_fatima")] == -500  # flagged, not refused
    reason = refused(
        store,
        FATIMA,
        movement("mv-x", owner="art_fatima", kind="use", quantity=1, **{"from": "store"}),
    )
    assert "your own materials" in reason


@pytest.mark.parametrize(
    ("who", "doc", "says"),
    [
        (
            NAIMA,
            movement(
                "mv-1", kind="transfer", quantity=5, to="artisan:art_zahra", **{"from": "store"}
            ),
            "not an artisan of coop-taza-zerbia",
        ),
        (
            NAIMA,
            movement(
                "mv-2",
                kind="use",
                material="material:coop-essaouira-argan:kernels",
                quantity=5,
                **{"from": "store"},
            ),
            "not a material of cooperative",
        ),
        (
            NAIMA,
            movement("mv-3", kind="use", quantity=2.5, **{"from": "store"}),
            "Not a valid integer",
        ),
        (
            NAIMA,
            movement("mv-4", kind="receive", quantity=10**9 + 1, to="store"),
            "less than or equal to 1000000000",
        ),
        (
            NAIMA,
            movement("mv-5", kind="receive", quantity=0, to="store"),
            "greater than or equal to 1",
        ),
        (NAIMA, movement("mv-6", kind="teleport", quantity=5, to="store"), "Must be one of"),
        (
            NAIMA,
            movement("mv-7", kind="transfer", quantity=5, to="store", **{"from": "store"}),
            "another place",
        ),
        (NAIMA, movement("mv-8", kind="count", at="store", counted=3), "needs expected"),
        (
            NAIMA,
            movement("reversal:mv-in", kind="use", quantity=1, **{"from": "store"}),
            "are for reversals",
        ),
        (
            NAIMA,
            movement("mv-9", kind="reversal", reverses="mv-in"),
            "reversal:<the movement's id>",
        ),
        (
            NAIMA,
            movement("mv-10", owner="art_fatima", kind="receive", quantity=5, to="store"),
            "owner must be your own",
        ),
        (
            ZAHRA,
            movement(
                "mv-11", owner="art_zahra", kind="receive", quantity=5, to="artisan:art_zahra"
            ),
            "your own cooperatives",
        ),
    ],
)
def test_bad_movements_are_refused_with_a_reason(store, who, doc, says):
    assert says in refused(store, who, doc)


def test_a_movement_is_never_edited_nor_deleted(store):
    rev = store.row("mv-in").winner
    edited = movement("mv-in", kind="receive", quantity=1, to="store")
    assert "never edited" in refused(store, NAIMA, {**edited, "_rev": rev})
    assert "never edited" in refused(store, NAIMA, {"_id": "mv-in", "_rev": rev, "_deleted": True})


def test_a_reversal_cancels_and_is_written_once(store):
    reversal = movement("reversal:mv-in", kind="reversal", reverses="mv-in")
    store.put(reversal, check=store.check_as(NAIMA))
    assert _balances(store)[(WOOL, "store")] == 0
    # Undone once: writing it again is a conflict, over every path.
    [again] = store.bulk_docs([reversal], check=store.check_as(NAIMA))
    assert again["error"] == "conflict"
    assert _balances(store)[(WOOL, "store")] == 0
    assert "is not reversed" in refused(
        store,
        NAIMA,
        movement("reversal:reversal:mv-in", kind="reversal", reverses="reversal:mv-in"),
    )


def test_materials_are_the_coordinators_and_every_member_reads_them(store):
    assert "coordinators" in refused(store, FATIMA, {**wool(), "_id": f"material:{COOP}:indigo"})
    other = user("coo_other", "coordinator", "coop-essaouira-argan")
    assert "coordinators" in refused(store, other, {**wool(), "_id": f"material:{COOP}:indigo"})
    assert "material:<cooperative>:<code>" in refused(
        store, NAIMA, {**wool(), "_id": "material:coop-x:wool"}
    )
    rev = store.row(WOOL).winner
    assert "archived" in refused(store, NAIMA, {"_id": WOOL, "_rev": rev, "_deleted": True})
    channels = channels_for(WOOL, wool())
    assert f"members:{COOP}" in channels and "public" not in channels
    assert f"members:{COOP}" in user_channels(FATIMA)


def test_a_movement_reaches_the_artisans_whose_materials_it_moves(store):
    doc = movement(
        "mv-t", kind="transfer", quantity=5, to="artisan:art_fatima", **{"from": "store"}
    )
    channels = channels_for("mv-t", doc)
    assert {f"coop:{COOP}", "artisan:art_fatima"} <= channels
    assert "artisan:art_khadija" not in channels and "public" not in channels


def test_even_an_admin_reverses_once_at_the_reversals_id(store):
    admin = user("adm_demo", "admin")
    reason = refused(
        store, admin, movement("undo-1", owner="adm_demo", kind="reversal", reverses="mv-in")
    )
    assert "reversal:<the movement's id>" in reason
    reason = refused(
        store, admin, movement("reversal:mv-x", owner="adm_demo", kind="reversal", reverses=7)
    )
    assert "reverses" in reason  # the schema's, not a crash


def _low_stock_pushes(store) -> list[tuple[str, str]]:
    return store.db.execute(
        "SELECT user_id, json_extract(data, '$.left') FROM outbox "
        "WHERE kind = 'low_stock' ORDER BY id"
    ).fetchall()


def test_one_push_per_fall_below_the_threshold(store):
    check = store.check_as(NAIMA)
    store.put(movement("mv-a", kind="use", quantity=7_500, **{"from": "store"}), check=check)
    assert _low_stock_pushes(store) == [("coo_naima", "4.5 kg")]  # 12 kg - 7.5 kg < 5 kg
    store.put(movement("mv-b", kind="use", quantity=500, **{"from": "store"}), check=check)
    assert len(_low_stock_pushes(store)) == 1  # still low: not told again
    store.put(movement("mv-c", kind="receive", quantity=6_000, to="store"), check=check)
    store.put(movement("mv-d", kind="use", quantity=6_000, **{"from": "store"}), check=check)
    assert _low_stock_pushes(store)[1:] == [("coo_naima", "4 kg")]  # back above, then below
    # Reversing the use that made it fall lifts it above, so no push until it falls again.
    store.put(movement("reversal:mv-d", kind="reversal", reverses="mv-d"), check=check)
    assert len(_low_stock_pushes(store)) == 2
    assert store.db.execute(
        "SELECT below FROM material_balances WHERE material = ? AND place = 'store'", [WOOL]
    ).fetchone() == (0,)

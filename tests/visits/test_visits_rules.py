"""Who writes workshops and bookings, on every path: a coordinator her cooperative's
workshops; bookings only the home server, so one pushed through /sync is refused."""

from __future__ import annotations

import pytest

from sync.rules.access import channels_for
from sync.store.errors import WriteForbidden
from tests.support.checked_store import checked_store, user

from .conftest import TAZA, WORKSHOP, at, workshop_doc

NAIMA = user("coo_naima", "coordinator", TAZA)
OTHER = user("coo_itto", "coordinator", "coop-oulouz-tamount")
FATIMA = user("art_fatima", "artisan", TAZA)
CLAIRE = user("buy_claire", "buyer")


def booking(**fields) -> dict:
    return {
        "_id": "booking:forged",
        "type": "booking",
        "buyer": "buy_claire",
        "cooperative": TAZA,
        "workshop": WORKSHOP,
        "session": "soon",
        "starts_at": at(7),
        "places": 2,
        "status": "confirmed",
        **fields,
    }


def test_a_coordinator_writes_her_cooperatives_workshops_only(hirfa):
    with checked_store(hirfa) as store:
        rev = store.put(workshop_doc(), check=store.check_as(NAIMA))
        for who in (OTHER, FATIMA, CLAIRE):
            with pytest.raises(WriteForbidden):
                store.put({**workshop_doc(), "_rev": rev, "capacity": 9}, check=store.check_as(who))
        with pytest.raises(WriteForbidden, match="kept for its bookings"):
            store.put({"_id": WORKSHOP, "_rev": rev, "_deleted": True}, check=store.check_as(NAIMA))


def test_a_workshop_id_names_its_cooperative(hirfa):
    with checked_store(hirfa) as store:
        doc = {**workshop_doc(), "_id": "workshop:coop-essaouira-argan:weaving"}
        with pytest.raises(WriteForbidden, match="workshop:<its cooperative>"):
            store.put(doc, check=store.check_as(NAIMA))


def test_invalid_workshops_are_refused(hirfa):
    with checked_store(hirfa) as store:
        for bad in (
            {"sessions": [{"id": "a", "starts_at": "2030-01-01T10:00:00"}]},  # no offset
            {"sessions": [{"id": "a", "starts_at": at(1)}, {"id": "a", "starts_at": at(2)}]},
            {"price_centimes": 12.5},
            {"languages": ["klingon"]},
            {"status": "open"},
        ):
            with pytest.raises(WriteForbidden, match="invalid workshop"):
                store.put(workshop_doc(**bad), check=store.check_as(NAIMA))


@pytest.mark.parametrize("who", [CLAIRE, NAIMA, FATIMA])
def test_a_booking_pushed_through_sync_is_refused(hirfa, who):
    with checked_store(hirfa) as store:
        with pytest.raises(WriteForbidden, match="booked on the cooperative's home server"):
            store.put(booking(), check=store.check_as(who))
        assert store.row("booking:forged") is None


def test_a_forged_booking_over_the_couchdb_endpoint_is_refused(client, auth):
    response = client.post(
        "/sync/hirfa/_bulk_docs", json={"docs": [booking()]}, headers=auth.headers("buyer")
    )
    assert response.status_code == 201, response.get_json()
    [result] = response.get_json()
    assert result["error"] == "forbidden"
    assert "booked on the cooperative's home server" in result["reason"]


def test_channels():
    assert channels_for(WORKSHOP, workshop_doc()) == {
        "public",
        f"coop:{TAZA}",
        f"members:{TAZA}",
    }
    assert "public" not in channels_for(WORKSHOP, workshop_doc(status="draft"))
    assert channels_for("booking:x", booking()) == {f"coop:{TAZA}", "buyer:buy_claire"}


def test_visiting_hours_and_home_server_are_checked(hirfa):
    with checked_store(hirfa) as store:
        doc_id = f"cooperative:{TAZA}"
        current = store.get_doc(doc_id)
        good = {
            **current,
            "visiting_hours": [{"days": ["mon", "sat"], "opens": "09:00", "closes": "16:00"}],
            "home_server": "https://taza.hirfa.example",
        }
        good["_rev"] = store.put(good, check=store.check_as(NAIMA))
        for bad in (
            {"visiting_hours": [{"days": ["mon"], "opens": "16:00", "closes": "09:00"}]},
            {"visiting_hours": [{"days": ["lundi"], "opens": "09:00", "closes": "16:00"}]},
            {"visiting_hours": [{"days": ["mon"], "opens": "9h", "closes": "16:00"}]},
            {"home_server": "ftp://taza"},
        ):
            with pytest.raises(WriteForbidden, match="invalid cooperative"):
                store.put({**good, **bad}, check=store.check_as(NAIMA))

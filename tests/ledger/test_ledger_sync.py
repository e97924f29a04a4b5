"""A movement recorded offline on a phone changes the balance the coordinator reads,
whichever way it arrives: an unmodified PouchDB over /sync, the compact protocol's
reference client, or the hub on a second server (issue 14, "Done when")."""

from __future__ import annotations

import requests

from api import create_app, state
from api.services.ledger import reads
from api.workers import make_worker
from tests.support.apps import make_app, make_config
from tests.support.checked_store import checked_store, user
from tests.support.compact import client_for
from tests.support.ledger import COOP, WOOL, movement, wool
from tests.support.pouch_device import PouchDevice

NAIMA = user("coo_naima", "coordinator", COOP)
FATIMA = "art_fatima"
HERS = f"artisan:{FATIMA}"


def stocked(app) -> None:
    """Wool in the catalogue, 12 kg bought and 8 kg handed to Fatima."""
    with checked_store(state.of(app)) as store:
        check = store.check_as(NAIMA)
        store.put(wool(), check=check)
        store.put(movement("mv-in", kind="receive", quantity=12_000, to="store"), check=check)
        store.put(
            movement("mv-give", kind="transfer", quantity=8_000, to=HERS, **{"from": "store"}),
            check=check,
        )


def balance(app, place: str, material: str = WOOL) -> int:
    db = state.of(app).open_db()
    try:
        return reads.balance(db, material, place)
    finally:
        db.close()


def her_use(doc_id: str, quantity: int) -> dict:
    return movement(doc_id, owner=FATIMA, kind="use", quantity=quantity, **{"from": HERS})


def test_a_use_recorded_offline_in_pouchdb_changes_the_balance(live_server, tmp_path):
    server = live_server
    stocked(server.app)
    phone = PouchDevice(tmp_path / "phone")
    headers = server.headers("artisan")
    pulled = phone.result(
        {"op": "replicate", "direction": "pull", "url": server.sync_url(), "headers": headers}
    )
    assert pulled["ok"], pulled
    # Her phone has the material (members:<coop>) and the transfer to her.
    held = {row["id"] for row in phone.result({"op": "all_docs"})["rows"]}
    assert {WOOL, "mv-give"} <= held and "mv-in" not in held

    use = her_use("mv-used-offline", 2_500)
    assert phone.result({"op": "put", "doc": use})["ok"]
    pushed = phone.result(
        {"op": "replicate", "direction": "push", "url": server.sync_url(), "headers": headers}
    )
    assert pushed["ok"] and pushed["docs_written"] == 1, pushed
    assert balance(server.app, HERS) == 8_000 - 2_500
    # What the coordinator reads over REST.
    answer = requests.get(
        f"{server.url}/api/v1/balances",
        params={"place": HERS, "material": WOOL},
        headers=server.headers("coordinator"),
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    [row] = answer.json()["items"]
    assert (row["quantity"], row["shown"]) == (5_500, "5.5 kg")

    # An edit of the stored movement is refused; the balance stays.
    assert phone.result({"op": "update", "id": use["_id"], "set": {"quantity": 1}})["ok"]
    pushed = phone.result(
        {"op": "replicate", "direction": "push", "url": server.sync_url(), "headers": headers}
    )
    assert pushed["doc_write_failures"] == 1, pushed
    assert balance(server.app, HERS) == 8_000 - 2_500


def test_movements_pushed_by_the_compact_client_change_the_balance(live_server):
    server = live_server
    stocked(server.app)
    client = client_for(server, "artisan", "phone-1")
    try:
        client.put(her_use("mv-c1", 1_000))
        client.put(movement("mv-c2", owner=FATIMA, kind="waste", quantity=200, **{"from": HERS}))
        client.put(
            movement(
                "mv-c3", owner=FATIMA, kind="transfer", quantity=300, to="store", **{"from": HERS}
            )
        )
        client.sync()
    finally:
        client.close()
    assert balance(server.app, HERS) == 8_000 - 1_000 - 200 - 300
    assert balance(server.app, "store") == 4_000 + 300


def test_a_second_server_fed_by_the_hub_has_the_same_balances(tmp_path, hub):
    a = make_app(tmp_path / "a", couchdb_url=hub)
    b = create_app(make_config(tmp_path / "b", couchdb_url=hub))  # no seed: only the hub
    stocked(a)
    with checked_store(state.of(a)) as store:
        store.put(her_use("mv-on-a", 700), check=store.check_as(user(FATIMA, "artisan", COOP)))
    for app in (a, b):
        worker = make_worker(state.of(app))
        try:
            assert worker.step() is None, worker.status.get("last_error")
        finally:
            worker.stop()
    for place in ("store", HERS):
        assert balance(b, place) == balance(a, place)
    assert balance(b, HERS) == 8_000 - 700

"""Two Hirfa servers and one hub (pouchdb-server): the public directory reaches a server
fed only by the hub, and concurrent edits to different fields of a product both survive
everywhere, the same field taking the later edit (issue 13, item 3)."""

from __future__ import annotations

import requests

from api import create_app, state
from api.workers import make_worker
from schemas.directory import CooperativeProfileBodySchema
from tests.support.apps import Auth, make_app, make_config
from tests.support.replication import product

COOP = "coop-taza-zerbia"
EDITABLE = set(CooperativeProfileBodySchema().fields)


def replicate(*apps) -> None:
    """One round of each server's replication worker with the hub, in the order given."""
    for app in apps:
        worker = make_worker(state.of(app))
        try:
            assert worker.step() is None, worker.status.get("last_error")
        finally:
            worker.stop()


def winner(app, doc_id: str) -> tuple[str, dict]:
    store = state.of(app).store(state.of(app).open_db())
    try:
        row = store.row(doc_id)
        return row.winner, store.body(doc_id, row.winner)
    finally:
        store.db.close()


def hub_winner(hub: str, doc_id: str) -> dict:
    return requests.get(f"{hub}/{doc_id}", params={"conflicts": "true"}, timeout=10).json()


def write(app, doc: dict) -> str:
    """A write on one server as its phones' pushes land: the store, with the rules' checks
    left to the endpoints (tested apart)."""
    store = state.of(app).store(state.of(app).open_db())
    try:
        [result] = store.bulk_docs([doc])
        assert result.get("ok"), result
        return result["rev"]
    finally:
        store.db.close()


def test_a_cooperative_renamed_on_one_server_shows_on_a_server_fed_only_by_the_hub(tmp_path, hub):
    a = make_app(tmp_path / "a", couchdb_url=hub)
    b = create_app(make_config(tmp_path / "b", couchdb_url=hub))  # no seed: only the hub
    write(a, product("zerbia-1", status="approved", price_centimes=450_000))
    client = a.test_client()
    coordinator = Auth(client).headers("coordinator")
    current = client.get(f"/api/v1/directory/cooperatives/{COOP}", headers=coordinator)
    assert current.status_code == 200, current.get_json()
    body = {k: v for k, v in current.get_json().items() if k in EDITABLE}
    body["name"] = {**body["name"], "fr": "Coopérative Zerbia de Taza"}
    body["story"] = {"fr": "Vingt tisserandes des montagnes."}
    renamed = client.put(
        f"/api/v1/directory/cooperatives/{COOP}",
        json=body,
        headers={**coordinator, "If-Match": current.headers["ETag"]},
    )
    assert renamed.status_code == 200, renamed.get_json()

    replicate(a, b)
    page = b.test_client().get(f"/c/{COOP}?lang=fr")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Coopérative Zerbia de Taza" in html and "Vingt tisserandes" in html
    catalogue = b.test_client().get("/api/v1/catalog").get_json()
    [item] = [i for i in catalogue["items"] if i["id"] == "product:zerbia-1"]
    assert item["cooperative"]["name_fr"] == "Coopérative Zerbia de Taza"
    assert item["artisan"]["display_name"]  # the artisan's name, from her document


def test_edits_to_different_fields_on_two_servers_both_survive_everywhere(tmp_path, hub):
    a = make_app(tmp_path / "a", couchdb_url=hub)
    b = make_app(tmp_path / "b", couchdb_url=hub)
    doc = product("zerbia-2", description={"fr": "Laine"})
    rev = write(a, doc)
    replicate(a, b)
    # A coordinator's server renames it; the artisan's phone, syncing with B, describes it.
    write(
        a,
        {
            **doc,
            "_rev": rev,
            "title": {"fr": "Zerbia berbère"},
            "updated_at": "2026-12-01T10:00:00Z",
        },
    )
    write(
        b,
        {
            **doc,
            "_rev": rev,
            "description": {"fr": "Laine de mouton"},
            "updated_at": "2026-12-01T09:00:00Z",
        },
    )
    replicate(a, b, a)
    (rev_a, body_a), (rev_b, body_b) = winner(a, "product:zerbia-2"), winner(b, "product:zerbia-2")
    assert rev_a == rev_b and body_a == body_b
    assert body_a["title"] == {"fr": "Zerbia berbère"}
    assert body_a["description"] == {"fr": "Laine de mouton"}
    at_hub = hub_winner(hub, "product:zerbia-2")
    assert at_hub["_rev"] == rev_a and "_conflicts" not in at_hub
    assert at_hub["title"] == body_a["title"] and at_hub["description"] == body_a["description"]


def test_the_same_field_changed_on_both_ends_takes_the_later_edit_everywhere(tmp_path, hub):
    a = make_app(tmp_path / "a", couchdb_url=hub)
    b = make_app(tmp_path / "b", couchdb_url=hub)
    doc = product("zerbia-3")
    rev = write(a, doc)
    replicate(a, b)
    write(
        a, {**doc, "_rev": rev, "title": {"fr": "Plus tard"}, "updated_at": "2026-12-01T11:00:00Z"}
    )
    write(
        b, {**doc, "_rev": rev, "title": {"fr": "Plus tôt"}, "updated_at": "2026-12-01T10:00:00Z"}
    )
    replicate(b, a, b)
    for app in (a, b):
        assert winner(app, "product:zerbia-3")[1]["title"] == {"fr": "Plus tard"}
    assert hub_winner(hub, "product:zerbia-3")["title"] == {"fr": "Plus tard"}

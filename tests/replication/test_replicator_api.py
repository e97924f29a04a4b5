"""What the operator sees: `flask replicate` (--once, --status), the admin status
endpoint, the worker started by the app, and the conflicts listed for coordinators."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import requests

from sync.replication.couch import redact
from sync.rules.resolution import resolve
from sync.store import revtree
from tests.support.apps import Auth, make_app
from tests.support.documents import directory_of
from tests.support.replication import ARTISAN, COOP, remote_trees


def movement(quantity: float) -> dict:
    return {
        "_id": "movement:1",
        "type": "material_movement",
        "owner": ARTISAN,
        "cooperative": COOP,
        "material": "wool",
        "quantity": quantity,
        "unit": "kg",
    }


def test_status_when_replication_is_off(client, auth):
    response = client.get("/api/v1/replication", headers=auth.headers("admin"))
    assert response.status_code == 200
    assert response.get_json()["configured"] is False


def test_cli_and_endpoint_while_the_hub_is_away_and_after(tmp_path, hub, link):
    url = f"http://127.0.0.1:{link.port}{urlsplit(hub).path}"
    app = make_app(tmp_path, couchdb_url=url, replication_timeout_seconds=5)
    store = _store(app.extensions["hirfa"])
    store.put(movement(2.0))
    runner = app.test_cli_runner()
    link.partition()
    failed = runner.invoke(args=["replicate", "--once"])
    assert failed.exit_code == 1 and "replication failed" in failed.output
    status = runner.invoke(args=["replicate", "--status"])
    assert status.exit_code == 0
    assert "state:            backing_off" in status.output
    # the movement, and the seed's directory documents (which travel through the hub)
    pending = 1 + len(directory_of())
    assert f"pending to push:  {pending} changes" in status.output
    assert "HubUnreachable" in status.output
    client = app.test_client()
    headers = Auth(client).headers("admin")
    body = client.get("/api/v1/replication", headers=headers).get_json()
    assert (body["state"], body["failures"], body["pending_push"]) == ("backing_off", 1, pending)
    assert body["running"] is False and body["remote"] == url
    link.heal()
    done = runner.invoke(args=["replicate", "--once"])
    assert done.exit_code == 0, done.output
    body = client.get("/api/v1/replication", headers=headers).get_json()
    assert (body["state"], body["failures"], body["pending_push"]) == ("idle", 0, 0)
    assert body["last_success_at"] and body["docs_pushed"] == pending
    assert "movement:1" in remote_trees(hub)


def test_credentials_never_leave_the_url():
    assert redact("https://hirfa:s3cret@hub.example.org:6984/hirfa/") == (
        "https://hub.example.org:6984/hirfa"
    )


def test_cli_needs_a_hub(tmp_path):
    result = make_app(tmp_path).test_cli_runner().invoke(args=["replicate", "--status"])
    assert result.exit_code == 1 and "HIRFA_COUCHDB_URL" in result.output


def test_app_starts_the_worker_on_first_request_when_asked(tmp_path, hub):
    app = make_app(tmp_path, couchdb_url=hub, replication_worker="on")
    hirfa = app.extensions["hirfa"]
    _store(hirfa).put(movement(1.0))
    assert getattr(hirfa, "replication_worker", None) is None  # not at build time
    app.test_client().get("/healthz")
    worker = hirfa.replication_worker
    try:
        pushed = 1 + len(directory_of())  # the movement and the seed's directory
        assert worker.wait_for(lambda s: s["state"] == "idle" and s["docs_pushed"] == pushed, 30)
        app.test_client().get("/healthz")
        assert hirfa.replication_worker is worker  # one worker per process
    finally:
        worker.stop()
    assert "movement:1" in remote_trees(hub)


def test_testing_env_does_not_start_the_worker_unless_asked(tmp_path, hub):
    app = make_app(tmp_path, couchdb_url=hub)
    app.test_client().get("/healthz")
    assert getattr(app.extensions["hirfa"], "replication_worker", None) is None


def test_unresolved_conflicts_are_listed_for_their_coordinators(app, client, auth):
    store = _store(app.extensions["hirfa"])
    rev = store.put(movement(1.0))
    for quantity in (3.0, 4.0):  # the same movement changed on two servers
        body = {**movement(quantity), "_rev": rev}
        new = revtree.new_rev_id(rev, movement(quantity), False)
        revisions = {"start": 2, "ids": [new.split("-")[1], rev.split("-")[1]]}
        store.bulk_docs([{**body, "_rev": new, "_revisions": revisions}], new_edits=False)
    assert resolve(store, ["movement:1"]).unresolved == ["movement:1"]
    mine = client.get("/api/v1/replication/conflicts", headers=auth.headers("coordinator"))
    [listed] = mine.get_json()
    assert listed["doc_id"] == "movement:1" and listed["cooperative"] == COOP
    assert len(listed["revs"]) == 2 and "stock movement" in listed["reason"]
    other = client.get("/api/v1/replication/conflicts", headers=auth.headers("coordinator2"))
    assert other.status_code == 200 and other.get_json() == []
    admin = client.get("/api/v1/replication/conflicts", headers=auth.headers("admin"))
    assert [c["doc_id"] for c in admin.get_json()] == ["movement:1"]


def test_documents_refused_for_good_show_in_the_cli_and_the_endpoint(tmp_path, hub):
    big = {"content_type": "text/plain", "data": base64.b64encode(b"x" * 500).decode()}
    photo = {**movement(1.0), "_id": "movement:big", "_attachments": {"note.txt": big}}
    assert requests.put(f"{hub}/movement:big", json=photo, timeout=10).status_code == 201
    app = make_app(tmp_path, couchdb_url=hub, sync_max_attachment_bytes=100)
    runner = app.test_cli_runner()
    done = runner.invoke(args=["replicate", "--once"])
    assert done.exit_code == 0, done.output
    assert "write failures:   1 documents refused for good" in done.output
    assert "pull movement:big: too_large" in done.output
    assert "movement:big: too_large" in runner.invoke(args=["replicate", "--status"]).output
    client = app.test_client()
    body = client.get("/api/v1/replication", headers=Auth(client).headers("admin")).get_json()
    assert body["doc_write_failures"] == 1
    [failed] = body["write_failures"]
    assert (failed["id"], failed["error"], failed["direction"]) == (
        "movement:big",
        "too_large",
        "pull",
    )


def _store(hirfa):
    """A store on a connection of its own, as replication sees it."""
    return hirfa.store(hirfa.open_db())

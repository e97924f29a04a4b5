"""The hirfa-sync plugin's options beyond a one-shot sync: live mode, a token refreshed
after a 401, push batches, gzip request bodies (clients/js/README.md, "Options")."""

from __future__ import annotations

from tests.support.compact import product
from tests.support.documents import product_body
from tests.support.pouchdb_server import free_port


def test_live_mode_pushes_a_local_edit_without_another_call_and_cancel_resolves(
    server, store, token, device
):
    store.put(product(1))
    phone = device("phone-a")
    url = server.sync_url()
    op = phone.sync_op(url, token(), live=True, interval=60000)
    result = phone.result({**op, "live_put": product("live")})
    assert result["ok"], result
    summary = result["summary"]
    assert summary["ok"] and summary["pushed"] == 1, summary
    assert store.row("product:live").winner == phone.revs()["product:live"]
    names = [event["name"] for event in result["events"]]
    # the first sync, the one the local edit started, then the end
    assert names.count("active") >= 2 and names[-1] == "complete", names
    assert "error" not in names, result["events"]


def test_a_401_asks_for_a_fresh_token_once_and_resends(server, store, token, device):
    phone = device("phone-a")
    phone.run_ops([{"op": "put", "doc": product("offline")}])
    op = phone.sync_op(server.sync_url(), "unused")
    result = phone.result({**op, "tokens": ["expired-or-forged", token()]})
    assert result["ok"] and result["summary"]["ok"], result
    assert result["token_calls"][:2] == [{"refresh": False}, {"refresh": True}]
    assert store.row("product:offline").winner == phone.revs()["product:offline"]


def test_a_401_with_a_token_that_stays_bad_fails_with_the_status(server, device):
    phone = device("phone-a")
    op = phone.sync_op(server.sync_url(), "unused")
    result = phone.result({**op, "tokens": ["bad", "still-bad"]})
    assert not result["ok"], result
    assert result["error"].get("status") == 401, result
    assert result["token_calls"] == [{"refresh": False}, {"refresh": True}]


def test_batch_size_splits_a_push_into_several_requests(server, store, token, device):
    phone = device("phone-a")
    url, fatima = server.sync_url(), token()
    phone.synced(url, fatima)
    phone.run_ops(
        [{"op": "bulk_create", "count": 25, "prefix": "product", "fields": product_body()}]
    )
    result = phone.sync(url, fatima, batchSize=10)
    assert result["ok"] and result["summary"]["pushed"] == 25, result
    pushes = [e["data"] for e in result["events"] if e["name"] == "change"]
    pushes = [e for e in pushes if e["direction"] == "push"]
    assert [e["pushed"] for e in pushes] == [10, 10, 5], pushes
    assert all(store.row(i) is not None for i in phone.revs() if i.startswith("product:0"))


def test_a_big_push_goes_gzipped(server, store, token, device):
    # One phone, two pushes of alike documents: the server does not send a device's own
    # pushes back, so nothing big is pulled (device.js's result line stays small).
    phone = device("phone-a")
    url = server.sync_url()
    phone.synced(url, token())
    fields = product_body(notes="a listing's description, " * 20)
    sent = {}
    for gzip in (False, True):
        prefix = f"product:{'gzip' if gzip else 'plain'}"
        phone.run_ops([{"op": "bulk_create", "count": 100, "prefix": prefix, "fields": fields}])
        summary = phone.synced(url, token(), gzip=gzip)
        assert summary["pushed"] == 100, summary
        sent[gzip] = summary["bytesSent"]
    # the plain body is the JSON itself (100 documents of ~700 bytes)
    assert sent[False] > 100 * 500, sent
    assert sent[True] < sent[False] / 4, sent
    assert store.row("product:gzip:000099").winner == phone.revs()["product:gzip:000099"]


def test_pages_pulled_between_push_batches_are_not_pushed_back(server, store, token, device):
    phone = device("phone-a")
    url, fatima = server.sync_url(), token()
    phone.synced(url, fatima)
    phone.run_ops(
        [{"op": "bulk_create", "count": 25, "prefix": "product", "fields": product_body()}]
    )
    for i in range(20):
        store.put(product(f"web{i}", notes="x" * 200))
    summary = phone.synced(url, fatima, batchSize=10, maxBytes=3000)
    assert (summary["pushed"], summary["pulled"]) == (25, 20), summary
    again = phone.synced(url, fatima)
    assert (again["pushed"], again["pulled"]) == (0, 0), again


def test_a_first_sync_that_cannot_reach_the_server_gives_up_after_its_retries(device):
    # Nothing listens on this port: an app offline on its first sync. Each attempt asks
    # for the token first, so the calls count the attempts: `retries` resends, no more
    # (the snapshot once took a refused connection for a cut and tried 20 parts of 3).
    phone = device("phone-offline")
    url = f"http://127.0.0.1:{free_port()}/sync/hirfa"
    op = phone.sync_op(url, "any", snapshot=True, retries=2, backoff={"initial": 1, "max": 2})
    result = phone.result(op)
    assert not result["ok"], result
    assert len(result["token_calls"]) == 3, result["token_calls"]

"""The compact protocol (POST /sync/hirfa/_sync) with the reference client over real HTTP."""

from __future__ import annotations

import json

import pytest
import requests

from bench.link_emulator import ShapedLink
from sync.compact.client import CompactClient, SyncFailed
from sync.store import revtree
from tests.support.compact import client_for, product, store_of
from tests.support.documents import directory_of, directory_read_by
from tests.support.link_proxy import LinkProxy


def test_push_reports_ok_and_forbidden_per_document(server):
    device = client_for(server, "artisan", "a1")
    device.put(product(1))
    device.put(product(2, owner="art_khadija"))  # not hers
    device.put({"_id": "product:3", "type": "product"})  # fails the product schema
    moved = device.sync()
    assert moved["requests"] == 1
    assert set(device.rejected) == {"product:2", "product:3"}
    assert device.rejected["product:2"]["status"] == "forbidden"
    assert "owner" in device.rejected["product:2"]["reason"]
    store = store_of(server)
    assert store.winner_body("product:1")["title"] == {"fr": "Tapis 1"}
    assert store.row("product:2") is None and store.row("product:3") is None
    assert not device.pending


def movement(i: int | str, **extra) -> dict:
    """A raw-material movement: a type whose conflicts no server rule settles (two
    versions of one movement need a person). Nobody edits a movement but an admin, who
    passes no check, so two admin devices make the conflict."""
    return {
        "_id": f"movement:{i}",
        "type": "material_movement",
        "owner": "adm_demo",
        "cooperative": "coop-taza-zerbia",
        "kind": "receive",
        "material": "material:coop-taza-zerbia:wool",
        "quantity": 2500,
        "to": "store",
        **extra,
    }


def test_conflict_is_reported_kept_and_the_winner_sent(server):
    a = client_for(server, "admin", "a")
    b = client_for(server, "admin", "b")
    a.put(movement(1))
    a.sync()
    b.sync()
    rev_a = a.put(movement(1, quantity=3000))
    rev_b = b.put(movement(1, quantity=4000))
    a.sync()
    b.sync()
    assert "movement:1" not in a.conflicts
    outcome = b.conflicts["movement:1"]
    assert outcome["status"] == "conflict"
    store = store_of(server)
    row = store.row("movement:1")
    assert outcome["winner"] == row.winner
    assert {outcome["winner"], *outcome["conflicts"]} == {rev_a, rev_b}
    live = store.open_revs("movement:1", "all")
    assert len(live) == 2  # both edits kept, none dropped
    # b holds the winner now; a learns of the conflict on its next sync
    assert b.docs["movement:1"]["_rev"] == row.winner
    a.sync()
    assert a.docs["movement:1"]["_rev"] == row.winner
    assert a.docs["movement:1"]["_conflicts"] == outcome["conflicts"]


def test_a_product_conflict_is_settled_and_both_devices_get_the_result(server):
    """Products have a server rule (sync/rules/resolution.py): the push is told of the conflict,
    both edits are kept until the rule writes its revision, and that reaches both."""
    a = client_for(server, "artisan", "a")
    b = client_for(server, "artisan", "b")
    a.put(product(1, updated_at="2026-11-30T08:00:00Z"))
    a.sync()
    b.sync()
    a.put({**product(1), "price_centimes": 100, "updated_at": "2026-11-30T09:00:00Z"})
    b.put({**product(1), "price_centimes": 200, "updated_at": "2026-11-30T10:00:00Z"})
    a.sync()
    b.sync()
    assert b.conflicts["product:1"]["status"] == "conflict"
    a.sync()
    b.sync()
    store = store_of(server)
    row = store.row("product:1")
    live = [r for r in revtree.leaves(row.tree) if not row.tree[r].deleted]
    assert live == [row.winner]
    assert store.winner_body("product:1")["price_centimes"] == 200  # the latest edit
    for device in (a, b):
        assert device.docs["product:1"]["_rev"] == row.winner
        assert "_conflicts" not in device.docs["product:1"]


def test_a_retry_with_the_same_request_id_gets_the_same_outcome(server):
    device = client_for(server, "artisan", "a")
    device.put(product(1))
    device.put(product(2, owner="art_khadija"))
    body = {"request_id": "a:1", "device": "a", "since": 0, "docs": device.outgoing()}
    store = store_of(server)
    first = device.post(body)
    seq = store.update_seq()
    again = device.post(body)
    assert again["results"] == first["results"]
    assert [r["status"] for r in first["results"]] == ["ok", "forbidden"]
    assert store.update_seq() == seq  # nothing written twice
    count = store.db.execute("SELECT count(*) FROM compact_sync_requests").fetchone()[0]
    assert count == 1
    with pytest.raises(SyncFailed, match="409"):
        device.post({**body, "docs": body["docs"][:1]})  # same id, other body


def test_an_answer_lost_on_the_link_is_retried_without_a_second_write(server):
    store = store_of(server)
    with LinkProxy("127.0.0.1", server.port) as link:
        # The proxy's RST does not reach a client blocked reading (its pump thread holds the
        # socket open until it returns), so the phone's read timeout notices the dead link.
        url = f"http://127.0.0.1:{link.port}/sync/hirfa"
        device = client_for(server, "artisan", "a", url=url, timeout_s=2)
        device.sync()
        for i in range(5):
            device.put(product(i))
        before = store.update_seq()
        link.cut_after(40, direction="down")  # the server commits; its answer never arrives
        moved = device.sync()
        assert link.connections_accepted >= 2  # a new connection carried the retry
    assert moved["requests"] == 1 and device.requests >= 3
    assert store.update_seq() == before + 5
    assert not device.pending and not device.rejected


def _pages(device: CompactClient, since: int = 0) -> list[dict]:
    pages = []
    while True:
        answer = device.post({"since": since, "device": device.device, "max_bytes": 4096})
        pages.append(answer)
        since = answer["cursor"]
        if not answer["more"]:
            return pages


def test_byte_limited_pages_together_return_everything_once(server):
    store = store_of(server)
    expected = set()
    for i in range(60):
        # sizes from 200 bytes to ~3 KB, so pages hold different numbers of documents
        store.put(product(i, story={"fr": "x" * (40 * (i % 70))}))
        expected.add(f"product:{i}")
    store.put(product("other", owner="art_zahra", coop="coop-essaouira-argan"))
    expected |= directory_of("coop-taza-zerbia")  # her cooperative's directory too
    coordinator = client_for(server, "coordinator", "c")
    pages = _pages(coordinator)
    seen = [doc["_id"] for page in pages for doc in page["changes"]]
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert len(pages) > 5
    for page in pages:
        size = sum(
            len(json.dumps(c, ensure_ascii=False, separators=(",", ":"))) + 1
            for c in page["changes"]
        )
        assert size <= 4096 or len(page["changes"]) == 1
    assert pages[-1]["cursor"] == store.update_seq() and not pages[-1]["more"]
    # a page never straddles a document: a resumed cursor starts after the last one sent
    assert _pages(coordinator, pages[-1]["cursor"])[0]["changes"] == []


def test_what_the_device_pushed_is_not_sent_back_across_pages(server):
    store = store_of(server)
    for i in range(40):
        store.put(product(f"server-{i}", story={"fr": "y" * 300}))
    coordinator = client_for(server, "coordinator", "c", max_bytes=2048)
    for i in range(10):
        coordinator.put(product(f"phone-{i}"))  # a coordinator lists for her artisan
    moved = coordinator.sync()
    assert moved["requests"] > 3 and moved["pushed"] == 10
    directory = len(directory_of("coop-taza-zerbia"))
    assert moved["pulled"] == 40 + directory  # the server's, and none of its own ten
    other = client_for(server, "coordinator", "other")
    assert other.sync()["pulled"] == 50 + directory  # another device gets them all


def test_deletions_and_removals_reach_the_device(server):
    store = store_of(server)
    artisan = client_for(server, "artisan", "a")
    artisan.put(product(1))
    artisan.put(product(2))
    artisan.sync()
    coordinator = client_for(server, "coordinator", "c")
    coordinator.sync()
    directory = directory_of("coop-taza-zerbia")
    assert set(coordinator.docs) == {"product:1", "product:2"} | directory
    artisan.delete("product:1")
    artisan.sync()
    # moved to another cooperative (an admin's correction): it leaves coop-taza-zerbia
    current = store.get_doc("product:2")
    store.put({**current, "cooperative": "coop-essaouira-argan"})
    pages = _pages(coordinator, coordinator.cursor)
    changes = {c["_id"]: c for page in pages for c in page["changes"]}
    assert changes["product:1"]["_deleted"] is True
    assert changes["product:2"]["_removed"] is True
    assert "title" not in changes["product:2"]  # a removal carries no content
    coordinator.sync()
    assert set(coordinator.docs) == directory


def test_a_sync_with_nothing_to_do_is_one_small_request(server):
    # The benchmark's link counts bytes as they enter it, so when the client has the
    # answer, its bytes are counted (LinkProxy counts after forwarding).
    with ShapedLink("127.0.0.1", server.port) as link:
        device = client_for(server, "artisan", "a", url=f"http://127.0.0.1:{link.port}/sync/hirfa")
        device.put(product(1))
        device.sync()
        up, down = link.bytes["up"], link.bytes["down"]
        moved = device.sync()
        assert moved == {"pushed": 0, "pulled": 0, "requests": 1}
        assert (link.bytes["up"] - up) + (link.bytes["down"] - down) < 1024


def test_the_rest_alias_answers_the_same(server):
    device = client_for(server, "artisan", "a", url=f"{server.url}/api/v1/sync/hirfa")
    device.put(product(1))
    # pulled: her cooperative's directory, nothing of her own back
    pulled = len(directory_read_by("art_fatima"))
    assert device.sync() == {"pushed": 1, "pulled": pulled, "requests": 1}
    assert set(device.docs) == {"product:1"} | directory_read_by("art_fatima")
    assert device.session.post(f"{server.url}/api/v1/sync/nope/_sync", json={}).status_code == 404
    bad = device.session.post(f"{server.url}/api/v1/sync/hirfa/_sync", json={"since": -1})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "JSON"),
        (b"[1]", "object"),
        (b'{"since": "x"}', "since"),
        (b'{"surprise": 1}', "surprise"),
        # `pull` is a boolean: "no" and 0 were taken for true and false (schemathesis)
        (b'{"pull": "no"}', "pull"),
        (b'{"pull": 0}', "pull"),
    ],
)
def test_malformed_requests_get_couchdb_errors(server, body, reason):
    device = client_for(server, "artisan", "a")
    response = device.session.post(f"{server.sync_url()}/_sync", data=body)
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request" and reason in response.json()["reason"]


def test_unauthenticated_sync_is_refused(server):
    response = requests.post(f"{server.sync_url()}/_sync", json={})
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"

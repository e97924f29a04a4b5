"""An unmodified PouchDB replicates with Hirfa's /sync/hirfa as it does with CouchDB.

The same scenarios as tests/sync_http/test_js_clients.py (the pouchdb-server baseline), against a
real Hirfa server on a loopback port, plus what only Hirfa has: access rules on writes
and channels on reads (a device only ever holds what its user may see).
"""

from __future__ import annotations

import base64
import sqlite3
from urllib.parse import quote

import requests

from tests.support.documents import directory_of, directory_read_by
from tests.support.pouch_device import PouchDevice, attachment_text, results

FATIMA, KHADIJA = "art_fatima", "art_khadija"
TAZA, ESSAOUIRA = "coop-taza-zerbia", "coop-essaouira-argan"
# Her cooperative's directory documents (the seed's), in her feed besides her own work.
HER_DIRECTORY = directory_read_by(FATIMA)


def product(owner: str = FATIMA, coop: str = TAZA, **extra) -> dict:
    """The fields of a product document that passes Hirfa's access rules."""
    return {
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "title": {"ar": "زربية"},
        "category": "carpets",
        "status": "draft",
        **extra,
    }


def doc_url(server, doc_id: str, *rest: str) -> str:
    return "/".join([server.sync_url(), quote(doc_id, safe=""), *rest])


def server_all_docs(server, headers: dict) -> dict[str, str]:
    """{id: winning rev} of every document the caller sees, from Hirfa's _all_docs."""
    response = requests.get(f"{server.sync_url()}/_all_docs", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return {row["id"]: row["value"]["rev"] for row in response.json()["rows"]}


def server_own_docs(server, headers: dict, artisan: str) -> dict[str, str]:
    """:func:`server_all_docs` of an artisan, without her cooperative's directory: what a
    push test compares with what her phone pushed. The directory must be there, whole."""
    docs = server_all_docs(server, headers)
    directory = directory_read_by(artisan)
    assert directory <= set(docs), directory - set(docs)
    return {doc_id: rev for doc_id, rev in docs.items() if doc_id not in directory}


def server_doc(server, headers: dict, doc_id: str, **params) -> requests.Response:
    return requests.get(doc_url(server, doc_id), headers=headers, params=params, timeout=10)


def replicate(device: PouchDevice, direction: str, server, headers: dict, **extra) -> dict:
    result = device.result(
        {
            "op": "replicate",
            "direction": direction,
            "url": server.sync_url(),
            "headers": headers,
            **extra,
        }
    )
    assert result["ok"], result
    return result


def device_ids(device: PouchDevice) -> set[str]:
    return {row["id"] for row in device.result({"op": "all_docs"})["rows"]}


def get_doc(device: PouchDevice, doc_id: str) -> dict:
    return device.result({"op": "get", "id": doc_id, "conflicts": True})


def seeded_device(tmp_path, name: str, count: int, prefix: str, **bulk) -> PouchDevice:
    device = PouchDevice(tmp_path / name)
    created = device.result(
        {"op": "bulk_create", "count": count, "prefix": prefix, "fields": product(), **bulk}
    )
    assert created["created"] == count, created
    return device


def test_push_500_products_with_attachments(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = seeded_device(tmp_path, "phone", 500, "prod-fatima", attachment_bytes=64)
    lines = phone.run(
        [
            {
                "op": "replicate",
                "direction": "push",
                "url": live_server.sync_url(),
                "headers": fatima,
                "batch_size": 100,
            },
            {"op": "all_docs"},
            {
                "op": "replicate",
                "direction": "push",
                "url": live_server.sync_url(),
                "headers": fatima,
            },
        ]
    )
    pushed, local, again = results(lines)
    assert pushed["ok"] and pushed["status"] == "complete", pushed
    assert (pushed["docs_read"], pushed["docs_written"], pushed["doc_write_failures"]) == (
        500,
        500,
        0,
    )
    changes = [line for line in lines if line["event"] == "change"]
    # batch_size is an upper bound: PouchDB sends a short batch when the next 100 changes
    # are not read yet, so only the steps' size and the total are fixed.
    written = [c["docs_written"] for c in changes]
    steps = [b - a for a, b in zip([0, *written], written, strict=False)]
    assert written[-1] == 500 and all(0 < step <= 100 for step in steps)

    on_server = server_own_docs(live_server, fatima, FATIMA)
    assert on_server == {row["id"]: row["rev"] for row in local["rows"]}
    assert len(on_server) == 500

    doc = server_doc(live_server, fatima, "prod-fatima:000123").json()
    assert doc["owner"] == FATIMA and doc["n"] == 123
    stub = doc["_attachments"]["photo.txt"]
    assert stub["stub"] is True and stub["length"] == 64
    assert stub["content_type"] == "text/plain"
    for doc_id in ("prod-fatima:000000", "prod-fatima:000123", "prod-fatima:000499"):
        body = requests.get(doc_url(live_server, doc_id, "photo.txt"), headers=fatima, timeout=10)
        assert body.status_code == 200, body.text
        assert body.headers["Content-Type"].startswith("text/plain")
        assert body.text == attachment_text(doc_id, 64)

    # The checkpoint holds: the second push finds nothing to send.
    assert again["ok"] and again["status"] == "complete", again
    assert again["docs_written"] == 0 and again["doc_write_failures"] == 0


def test_pull_into_an_empty_device(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = seeded_device(tmp_path, "phone", 500, "prod-fatima", attachment_bytes=64)
    replicate(phone, "push", live_server, fatima, batch_size=250)
    on_server = server_all_docs(live_server, fatima)
    assert set(on_server) == {f"prod-fatima:{i:06d}" for i in range(500)} | HER_DIRECTORY

    tablet = PouchDevice(tmp_path / "tablet")
    lines = tablet.run(
        [
            {
                "op": "replicate",
                "direction": "pull",
                "url": live_server.sync_url(),
                "headers": fatima,
                "batch_size": 100,
            },
            {"op": "all_docs"},
            {"op": "get", "id": "prod-fatima:000042"},
            {"op": "get_attachment", "id": "prod-fatima:000042"},
            {"op": "get_attachment", "id": "prod-fatima:000499"},
            {"op": "get", "id": "prod-fatima:000007", "attachments": True},
            {
                "op": "replicate",
                "direction": "pull",
                "url": live_server.sync_url(),
                "headers": fatima,
            },
        ]
    )
    pulled, local, doc, att42, att499, inline, again = results(lines)
    assert pulled["ok"] and pulled["docs_written"] == 500 + len(HER_DIRECTORY), pulled
    assert pulled["doc_write_failures"] == 0
    assert {row["id"]: row["rev"] for row in local["rows"]} == on_server
    assert doc["doc"]["owner"] == FATIMA and doc["doc"]["n"] == 42
    assert doc["doc"]["_attachments"]["photo.txt"]["length"] == 64
    assert att42["text"] == attachment_text("prod-fatima:000042", 64)
    assert att499["text"] == attachment_text("prod-fatima:000499", 64)
    data = inline["doc"]["_attachments"]["photo.txt"]["data"]
    assert base64.b64decode(data).decode() == attachment_text("prod-fatima:000007", 64)
    assert again["ok"] and again["docs_written"] == 0, again


def test_two_way_sync_with_changes_on_both_sides(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = seeded_device(tmp_path, "phone", 3, "prod-fatima")
    replicate(phone, "push", live_server, fatima)

    # The server changes one product and gets a new one; the phone changes another and
    # creates one of its own, all before they meet again.
    current = server_doc(live_server, fatima, "prod-fatima:000000").json()
    edited = requests.put(
        doc_url(live_server, "prod-fatima:000000"),
        json={**current, "price_centimes": 25000},
        headers=fatima,
        timeout=10,
    )
    assert edited.status_code == 201, edited.text
    created = requests.put(
        doc_url(live_server, "prod-fatima:web"),
        json=product(status="submitted"),
        headers=fatima,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    phone_edit = phone.result(
        {"op": "update", "id": "prod-fatima:000001", "set": {"status": "submitted"}}
    )
    phone_new = phone.result({"op": "put", "doc": {"_id": "prod-fatima:phone", **product()}})

    synced = replicate(phone, "sync", live_server, fatima)
    assert synced["push"]["docs_written"] == 2, synced
    # the server's two, and her cooperative's directory: the phone's first pull
    assert synced["pull"]["docs_written"] == 2 + len(HER_DIRECTORY), synced
    assert synced["doc_write_failures"] == 0

    on_server = server_all_docs(live_server, fatima)
    on_phone = {row["id"]: row["rev"] for row in phone.result({"op": "all_docs"})["rows"]}
    assert on_phone == on_server
    assert (
        set(on_server)
        == {
            "prod-fatima:000000",
            "prod-fatima:000001",
            "prod-fatima:000002",
            "prod-fatima:phone",
            "prod-fatima:web",
        }
        | HER_DIRECTORY
    )
    assert on_server["prod-fatima:000000"] == edited.json()["rev"]
    assert on_server["prod-fatima:000001"] == phone_edit["rev"]
    assert on_server["prod-fatima:phone"] == phone_new["rev"]
    assert get_doc(phone, "prod-fatima:000000")["doc"]["price_centimes"] == 25000
    assert get_doc(phone, "prod-fatima:web")["doc"]["status"] == "submitted"
    assert server_doc(live_server, fatima, "prod-fatima:000001").json()["status"] == "submitted"

    again = replicate(phone, "sync", live_server, fatima)
    assert again["docs_written"] == 0, again


def test_live_pull_sees_a_server_write(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = PouchDevice(tmp_path / "phone")
    op = {
        "op": "live_pull",
        "url": live_server.sync_url(),
        "headers": fatima,
        "until_id": "prod-fatima:live",
        "until_field": {"status": "submitted"},
        "timeout_ms": 20000,
    }
    with phone.start([op]) as running:
        running.wait_for("live_started")
        first = requests.put(
            doc_url(live_server, "prod-fatima:live"), json=product(), headers=fatima, timeout=10
        )
        assert first.status_code == 201, first.text
        second = requests.put(
            doc_url(live_server, "prod-fatima:live"),
            json={**product(status="submitted"), "_rev": first.json()["rev"]},
            headers=fatima,
            timeout=10,
        )
        assert second.status_code == 201, second.text
        lines = running.wait()
    (result,) = results(lines)
    assert result["ok"], result
    assert result["started"] is True
    assert result["doc"]["status"] == "submitted"
    assert result["doc"]["_rev"] == second.json()["rev"]


def test_offline_edits_on_two_devices_converge_with_same_conflicts(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = seeded_device(tmp_path, "phone", 1, "prod-fatima")
    replicate(phone, "push", live_server, fatima)
    tablet = PouchDevice(tmp_path / "tablet")
    replicate(tablet, "pull", live_server, fatima)

    doc_id = "prod-fatima:000000"
    rev_p = phone.result({"op": "update", "id": doc_id, "set": {"price_centimes": 100}})["rev"]
    rev_t = tablet.result({"op": "update", "id": doc_id, "set": {"price_centimes": 200}})["rev"]
    assert rev_p != rev_t and rev_p.startswith("2-") and rev_t.startswith("2-")

    replicate(phone, "sync", live_server, fatima)
    replicate(tablet, "sync", live_server, fatima)
    replicate(phone, "sync", live_server, fatima)

    server = server_doc(live_server, fatima, doc_id, conflicts="true")
    assert server.status_code == 200, server.text
    winner, loser = max(rev_p, rev_t), min(rev_p, rev_t)
    price = 100 if winner == rev_p else 200
    for doc in (get_doc(phone, doc_id)["doc"], get_doc(tablet, doc_id)["doc"], server.json()):
        assert doc["_rev"] == winner
        assert doc["_conflicts"] == [loser]
        assert doc["price_centimes"] == price
        assert doc["title"] == {"ar": "زربية"}


def test_deletion_propagates(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = seeded_device(tmp_path, "phone", 3, "prod-fatima")
    replicate(phone, "push", live_server, fatima)
    tablet = PouchDevice(tmp_path / "tablet")
    replicate(tablet, "pull", live_server, fatima)
    assert get_doc(tablet, "prod-fatima:000001")["doc"]["n"] == 1

    removed = phone.result({"op": "remove", "id": "prod-fatima:000001"})
    assert removed["ok"] and removed["rev"].startswith("2-")
    pushed = replicate(phone, "push", live_server, fatima)
    assert pushed["docs_written"] == 1
    assert (
        set(server_all_docs(live_server, fatima))
        == {
            "prod-fatima:000000",
            "prod-fatima:000002",
        }
        | HER_DIRECTORY
    )

    pulled = replicate(tablet, "pull", live_server, fatima)
    assert pulled["docs_written"] == 1
    assert device_ids(tablet) == {"prod-fatima:000000", "prod-fatima:000002"} | HER_DIRECTORY
    gone = get_doc(tablet, "prod-fatima:000001")
    assert gone.get("missing") and gone.get("deleted"), gone

    # The owner still reads the tombstone at the deleting revision, as in CouchDB.
    tombstone = server_doc(live_server, fatima, "prod-fatima:000001", rev=removed["rev"])
    assert tombstone.status_code == 200, tombstone.text
    assert tombstone.json()["_deleted"] is True


def test_interrupted_push_resumes_without_duplicates_or_losses(live_server, tmp_path):
    fatima = live_server.headers("artisan")
    phone = seeded_device(tmp_path, "phone", 400, "prod-fatima", attachment_bytes=32)
    push = {
        "op": "replicate",
        "direction": "push",
        "url": live_server.sync_url(),
        "headers": fatima,
        "batch_size": 50,
    }
    with phone.start([push]) as running:
        first_batch = running.wait_for("change")
        assert first_batch["docs_written"] == 50
        # Hold the store's write lock while the server goes down, so the push cannot
        # finish in the moment between the first batch and the stop: whatever request is
        # in flight waits on the lock, and every later one finds the port closed.
        store_path = live_server.app.extensions["hirfa"].settings.store_path
        lock = sqlite3.connect(store_path, timeout=30, isolation_level=None)
        try:
            lock.execute("BEGIN IMMEDIATE")
            live_server.stop()
            lock.execute("ROLLBACK")
        finally:
            lock.close()
        lines = running.wait()
    (cut,) = results(lines)
    assert cut["ok"] is False, cut
    assert 50 <= cut["docs_written"] < 400, cut

    live_server.start()
    after_cut = server_own_docs(live_server, fatima, FATIMA)
    assert len(after_cut) == cut["docs_written"]

    resumed = replicate(phone, "push", live_server, fatima, batch_size=50)
    assert resumed["docs_written"] == 400 - len(after_cut), resumed
    assert resumed["doc_write_failures"] == 0

    on_phone = {row["id"]: row["rev"] for row in phone.result({"op": "all_docs"})["rows"]}
    on_server = server_own_docs(live_server, fatima, FATIMA)
    assert len(on_server) == 400
    assert on_server == on_phone
    assert all(rev.startswith("1-") for rev in on_server.values())
    listing = requests.get(
        f"{live_server.sync_url()}/_all_docs",
        params={"include_docs": "true", "conflicts": "true"},
        headers=fatima,
        timeout=10,
    ).json()
    assert [row["doc"] for row in listing["rows"] if "_conflicts" in row["doc"]] == []
    assert listing["total_rows"] == 400 + len(HER_DIRECTORY)


def test_a_denied_write_is_reported_and_the_rest_arrive(live_server, tmp_path):
    fatima, admin = live_server.headers("artisan"), live_server.headers("admin")
    phone = seeded_device(tmp_path, "phone", 5, "prod-fatima")
    lines = phone.run(
        [
            {"op": "put", "doc": {"_id": "prod-not-hers", **product(owner=KHADIJA)}},
            {
                "op": "replicate",
                "direction": "push",
                "url": live_server.sync_url(),
                "headers": fatima,
            },
        ]
    )
    _, pushed = results(lines)
    assert pushed["docs_read"] == 6, pushed
    assert pushed["docs_written"] == 5 and pushed["doc_write_failures"] == 1, pushed
    (error,) = pushed["errors"]
    assert error["id"] == "prod-not-hers"
    assert "forbidden" in (error.get("name"), error.get("error")), error
    denied = [line for line in lines if line["event"] == "denied"]
    assert len(denied) == 1 and denied[0]["error"]["id"] == "prod-not-hers"

    assert set(server_own_docs(live_server, fatima, FATIMA)) == {
        f"prod-fatima:{i:06d}" for i in range(5)
    }
    assert server_doc(live_server, admin, "prod-not-hers").status_code == 404
    assert "prod-not-hers" not in server_all_docs(live_server, admin)


def test_devices_only_receive_their_users_channels(live_server, tmp_path):
    fatima_h = live_server.headers("artisan")
    khadija_h = live_server.headers("artisan2")
    zahra_h = live_server.headers("artisan_other_coop")
    fatima = seeded_device(tmp_path, "fatima", 3, "prod-fatima")
    replicate(fatima, "push", live_server, fatima_h)
    khadija = PouchDevice(tmp_path / "khadija")
    khadija.result(
        {"op": "bulk_create", "count": 4, "prefix": "prod-khadija", "fields": product(KHADIJA)}
    )
    assert replicate(khadija, "push", live_server, khadija_h)["docs_written"] == 4
    zahra = PouchDevice(tmp_path / "zahra")
    zahra.result(
        {
            "op": "bulk_create",
            "count": 2,
            "prefix": "prod-zahra",
            "fields": product("art_zahra", ESSAOUIRA, category="argan"),
        }
    )
    assert replicate(zahra, "push", live_server, zahra_h)["docs_written"] == 2

    fatimas = {f"prod-fatima:{i:06d}" for i in range(3)}
    khadijas = {f"prod-khadija:{i:06d}" for i in range(4)}
    zahras = {f"prod-zahra:{i:06d}" for i in range(2)}

    # an artisan's phone gets her own work and her cooperative's directory documents
    # (its profile, its artisans' profiles): not Khadija's products, nor another's directory
    taza = directory_of(TAZA)
    pulled = replicate(fatima, "pull", live_server, fatima_h)
    assert pulled["docs_written"] == len(taza), pulled
    assert device_ids(fatima) == fatimas | taza
    assert get_doc(fatima, "prod-khadija:000000")["missing"]
    assert server_doc(live_server, fatima_h, "prod-khadija:000000").status_code == 404
    essaouira = directory_of(ESSAOUIRA)
    pulled = replicate(zahra, "pull", live_server, zahra_h)
    assert pulled["docs_written"] == len(essaouira), pulled
    assert device_ids(zahra) == zahras | essaouira

    naima = PouchDevice(tmp_path / "naima")
    pulled = replicate(naima, "pull", live_server, live_server.headers("coordinator"))
    # a coordinator's phone also gets her cooperative's directory documents
    assert pulled["docs_written"] == 7 + len(taza), pulled
    assert device_ids(naima) == fatimas | khadijas | taza

    rachid = PouchDevice(tmp_path / "rachid")
    pulled = replicate(rachid, "pull", live_server, live_server.headers("coordinator2"))
    rachids = directory_of("coop-essaouira-argan", "coop-marrakech-fakhar")
    assert pulled["docs_written"] == 2 + len(rachids), pulled
    assert device_ids(rachid) == zahras | rachids


def move_to_another_coop(server, doc_id: str) -> tuple[str, str]:
    """As admin, move a product of coop-taza-zerbia to coop-essaouira-argan: (old, new rev)."""
    admin = server.headers("admin")
    current = server_doc(server, admin, doc_id).json()
    moved = requests.put(
        doc_url(server, doc_id),
        json={**current, "cooperative": ESSAOUIRA},
        headers=admin,
        timeout=10,
    )
    assert moved.status_code == 201, moved.text
    return current["_rev"], moved.json()["rev"]


def coordinator_with_two_products(server, tmp_path) -> tuple[PouchDevice, dict]:
    fatima = seeded_device(tmp_path, "fatima", 2, "prod-fatima")
    replicate(fatima, "push", server, server.headers("artisan"))
    naima_h = server.headers("coordinator")
    naima = PouchDevice(tmp_path / "naima")
    directory = len(directory_of("coop-taza-zerbia"))
    assert replicate(naima, "pull", server, naima_h)["docs_written"] == 2 + directory
    return naima, naima_h


def test_a_product_leaving_the_coordinators_coop_is_pulled_as_an_empty_stub(live_server, tmp_path):
    """What PouchDB 9 does with Sync Gateway's ``_removed`` stub: it accepts the field (it
    is in its reserved words) but does not keep it, and stores the stub as an ordinary
    live revision with no fields. The document stays on the device, emptied; it is not
    deleted and nothing on it says it was removed."""
    naima, naima_h = coordinator_with_two_products(live_server, tmp_path)
    doc_id = "prod-fatima:000000"
    old_rev, new_rev = move_to_another_coop(live_server, doc_id)

    # The server side of it: a removal in the feed, a stub from _bulk_get, a 404 on GET.
    feed = requests.get(
        f"{live_server.sync_url()}/_changes",
        params={"style": "all_docs", "since": "0"},
        headers=naima_h,
        timeout=10,
    ).json()
    (entry,) = [r for r in feed["results"] if r["id"] == doc_id]
    assert entry["removed"] == [f"coop:{TAZA}"]
    assert entry["changes"] == [{"rev": new_rev}]
    assert server_doc(live_server, naima_h, doc_id).status_code == 404

    lines = naima.run(
        [
            {
                "op": "replicate",
                "direction": "pull",
                "url": live_server.sync_url(),
                "headers": naima_h,
            },
            {"op": "get", "id": doc_id},
            {"op": "all_docs"},
            {
                "op": "replicate",
                "direction": "pull",
                "url": live_server.sync_url(),
                "headers": naima_h,
            },
        ]
    )
    pulled, doc, listing, again = results(lines)
    assert pulled["ok"] and pulled["status"] == "complete", pulled
    assert pulled["docs_written"] == 1 and pulled["doc_write_failures"] == 0
    assert doc["doc"] == {"_id": doc_id, "_rev": new_rev}
    assert {row["id"]: row["rev"] for row in listing["rows"]}[doc_id] == new_rev
    assert len(listing["rows"]) == 2 + len(directory_of("coop-taza-zerbia"))
    assert again["ok"] and again["docs_written"] == 0, again


def test_a_removal_stub_continues_the_revision_history_on_the_device(live_server, tmp_path):
    """BUG: Hirfa's removal stub from ``_bulk_get?revs=true`` has no ``_revisions``.

    Sync Gateway's redacted body carries ``_revisions`` when history is asked for
    (db/crud.go, GetRevWithHistory). Without it PouchDB stores the stub as a second,
    unrelated root, so the removed document's full previous body stays on the device as a
    live conflicting leaf (``_conflicts: [old rev]``): the content the coordinator lost
    access to is still there, and a conflict exists that the server never had.
    """
    naima, naima_h = coordinator_with_two_products(live_server, tmp_path)
    doc_id = "prod-fatima:000000"
    old_rev, new_rev = move_to_another_coop(live_server, doc_id)

    stub = requests.post(
        f"{live_server.sync_url()}/_bulk_get",
        params={"revs": "true", "latest": "true"},
        json={"docs": [{"id": doc_id, "rev": new_rev}]},
        headers=naima_h,
        timeout=10,
    ).json()["results"][0]["docs"][0]["ok"]
    assert stub["_removed"] is True and stub["_rev"] == new_rev

    lines = naima.run(
        [
            {
                "op": "replicate",
                "direction": "pull",
                "url": live_server.sync_url(),
                "headers": naima_h,
            },
            {"op": "get", "id": doc_id, "conflicts": True, "revs": True},
        ]
    )
    pulled, doc = results(lines)
    assert pulled["ok"], pulled
    assert "_conflicts" not in doc["doc"], (
        f"the removed body {old_rev} is still a live leaf on the device: {doc['doc']}"
    )
    assert doc["doc"]["_revisions"] == {
        "start": 2,
        "ids": [new_rev.split("-", 1)[1], old_rev.split("-", 1)[1]],
    }
    assert stub.get("_revisions") == doc["doc"]["_revisions"]


def test_a_listing_created_deleted_and_created_again_offline_syncs(live_server, tmp_path):
    """PouchDB pushes only the tombstone of a listing made and deleted offline; the same id
    made again later must still sync, through the same unmodified replicator."""
    fatima = live_server.headers("artisan")
    phone = PouchDevice(tmp_path / "phone")
    made = phone.result({"op": "put", "doc": {"_id": "p-offline", **product()}})
    phone.result({"op": "remove", "id": "p-offline", "rev": made["rev"]})
    first = replicate(phone, "push", live_server, fatima)
    assert first["doc_write_failures"] == 0, first
    again = phone.result({"op": "put", "doc": {"_id": "p-offline", **product(n=2)}})
    assert again["rev"].startswith("3-")
    second = replicate(phone, "push", live_server, fatima)
    assert second["doc_write_failures"] == 0 and second["docs_written"] == 1, second
    on_server = server_doc(live_server, fatima, "p-offline")
    assert on_server.status_code == 200 and on_server.json()["_rev"] == again["rev"]
    assert on_server.json()["n"] == 2

"""The compact protocol's corners: what an outcome may say, devices without an id, a
cursor of 0 after pushes, and a server restored from a backup (a new uuid)."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from sync.store.database import server_uuid
from tests.support.compact import client_for, product, store_of


def test_a_known_revision_of_an_invisible_document_says_nothing_about_it(server):
    store = store_of(server)
    theirs = product(1, owner="art_khadija")
    store.bulk_docs(
        [{**theirs, "_rev": "1-a", "v": 1}, {**theirs, "_rev": "1-b", "v": 2}], new_edits=False
    )
    fatima = client_for(server, "artisan", "f")
    answer = fatima.post(
        {
            "device": "f",
            "docs": [{**theirs, "v": 1, "_rev": "1-a", "_revisions": {"start": 1, "ids": ["a"]}}],
        }
    )
    [outcome] = answer["results"]
    assert outcome["status"] == "forbidden"
    assert set(outcome) == {"id", "status", "reason"}  # no winner, no conflicts
    assert "1-b" not in str(answer)


def _post(device, name: str, since: int = 0, **body) -> dict:
    return device.post({"since": since, **({"device": name} if name else {}), **body})


def test_phones_without_a_device_id_see_each_others_pushes(server):
    one = client_for(server, "artisan", "x")
    two = client_for(server, "artisan", "y")
    one.put(product(1))
    first = _post(one, "", docs=one.outgoing())
    assert first["results"][0]["status"] == "ok"
    assert [c["_id"] for c in first["changes"]] == ["product:1"]  # nothing is held back
    # the same user, another phone, no device id either: it must get the product
    got = _post(two, "")
    assert [c["_id"] for c in got["changes"]] == ["product:1"]
    # a named device still gets nothing of its own back
    one.put(product(2))
    named = _post(one, "phone-1", since=first["cursor"], docs=one.outgoing()[1:])
    assert named["results"][0]["status"] == "ok"
    assert named["changes"] == []  # not product:2, which it just pushed


def test_a_device_at_cursor_0_that_pushed_gets_the_deletions(server):
    a = client_for(server, "artisan", "a")
    a.put(product(1))
    pushed = _post(a, "a", docs=a.outgoing(), pull=False)
    assert pushed["cursor"] == 0
    b = client_for(server, "artisan", "b")
    b.sync()
    b.delete("product:1")
    b.sync()
    pulled = _post(a, "a")
    assert pulled["changes"] == [
        {"_id": "product:1", "_rev": pulled["changes"][0]["_rev"], "_deleted": True}
    ]
    # a device with nothing, named, that never pushed: no deletions (it has nothing to drop)
    assert _post(client_for(server, "artisan", "c"), "c")["changes"] == []


def test_a_restored_server_resets_the_device_which_pushes_again(server):
    store = store_of(server)
    artisan = client_for(server, "artisan", "a")
    artisan.put(product(1))
    artisan.sync()
    assert artisan.server == server_uuid(store.db)
    backup = sqlite3.connect(":memory:")
    store.db.conn.backup(backup)
    # after the backup: the device pushes an edit and a new document
    artisan.put({**product(1), "price_centimes": 500})
    artisan.put(product(2))
    artisan.sync()
    assert store.row("product:2") is not None
    # the operator restores the backup (which lost both) and the store gets a new uuid
    backup.backup(store.db.conn)
    with store.db.conn:
        store.db.execute("UPDATE server_info SET value = 'restored-uuid' WHERE key = 'uuid'")
    assert store.row("product:2") is None
    store.put(product("server-side"))  # written on the server after the restore
    moved = artisan.sync()
    assert moved["resets"] == 1
    assert artisan.server == "restored-uuid"
    # the server has the device's documents again, at the device's revisions
    assert store.row("product:2").winner == artisan.docs["product:2"]["_rev"]
    assert store.row("product:1").winner == artisan.docs["product:1"]["_rev"]
    assert store.winner_body("product:1")["price_centimes"] == 500
    assert len(store.open_revs("product:1", "all")) == 1  # grafted on, not a conflict
    # and the device has the server's
    assert set(artisan.docs) == {"product:1", "product:2", "product:server-side"}
    assert not artisan.pending and not artisan.rejected
    # the next sync is an ordinary one
    assert artisan.sync() == {"pushed": 0, "pulled": 0, "requests": 1}


def test_a_restored_server_takes_deletions_from_zero(server):
    store = store_of(server)
    artisan = client_for(server, "artisan", "a")
    artisan.put(product(1))
    artisan.sync()
    # gone on the server meanwhile, and the server restored: the device must drop it
    current = store.get_doc("product:1")
    store.put({**current, "_deleted": True})
    with store.db.conn:
        store.db.execute("UPDATE server_info SET value = 'other' WHERE key = 'uuid'")
    answer = _post(artisan, "a", since=artisan.cursor, server=artisan.server)
    assert answer["reset"] is True and answer["server"] == "other"
    # the device pushes everything again before it pulls: a page now would be discarded
    assert (answer["changes"], answer["cursor"], answer["more"]) == ([], 0, True)
    after = _post(artisan, "a", since=0, server="other")
    assert [c.get("_deleted") for c in after["changes"]] == [True]
    artisan.sync()
    assert artisan.docs == {}


def test_a_reset_answer_carries_no_page(server):
    store = store_of(server)
    for i in range(30):
        store.put(product(i, description={"fr": "laine " * 200}))
    artisan = client_for(server, "artisan", "a")
    artisan.sync()
    with store.db.conn:
        store.db.execute("UPDATE server_info SET value = 'other' WHERE key = 'uuid'")
    response = artisan.session.post(
        f"{artisan.db_url}/_sync",
        json={"since": artisan.cursor, "device": "a", "server": artisan.server},
    )
    assert response.json() == {
        "results": [],
        "server": "other",
        "reset": True,
        "changes": [],
        "cursor": 0,
        "more": True,
    }
    assert len(response.content) < 200  # not a 256 KB page the device would throw away
    artisan.requests = 0
    moved = artisan.sync()
    assert moved["resets"] == 1 and set(artisan.docs) == {f"product:{i}" for i in range(30)}


@pytest.mark.parametrize("backup_has", ["nothing", "an_older_revision"])
def test_a_restored_server_that_lost_an_attachment_does_not_cost_the_device_its_copy(
    server,
    backup_has,
):
    store = store_of(server)
    if backup_has == "an_older_revision":
        store.put(product(1))
    backup = sqlite3.connect(":memory:")
    store.db.conn.backup(backup)
    # after the backup: the server takes a photo of the piece; the phone gets it (a stub)
    current = store.get_doc("product:1") if backup_has == "an_older_revision" else product(1)
    photo = {"p.jpg": {"content_type": "image/jpeg", "data": base64.b64encode(b"jpeg").decode()}}
    store.put({**current, "price_centimes": 900, "_attachments": photo})
    artisan = client_for(server, "artisan", "a")
    artisan.sync()
    held = artisan.docs["product:1"]
    assert held["_attachments"]["p.jpg"].get("stub") is True
    # the restore loses the photo: the phone's re-push (a stub only) cannot be taken back
    backup.backup(store.db.conn)
    with store.db.conn:
        store.db.execute("UPDATE server_info SET value = 'restored-uuid' WHERE key = 'uuid'")
    moved = artisan.sync()
    assert moved["resets"] == 1
    assert artisan.rejected["product:1"]["status"] == "invalid"
    assert artisan.docs["product:1"] == held  # kept, not replaced by the older revision
    assert artisan.history["product:1"][0] == held["_rev"]

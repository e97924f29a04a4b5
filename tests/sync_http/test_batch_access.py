"""The compact protocol's corners: what an outcome may say, devices without an id, a
cursor of 0 after pushes, and a server restored from a backup (a new uuid)."""

from __future__ import annotations

import base64
import sqlite3

import pytest

from sync.store.database import server_uuid
from tests.support.compact import client_for, product, store_of
from tests.support.documents import directory_read_by

# What the demo artisan's feed carries besides her own work: her cooperative's directory.
HER_DIRECTORY = directory_read_by("art_fatima")


def _strings(value) -> set[str]:
    """Every string in a decoded JSON answer, keys and values."""
    if isinstance(value, dict):
        return set(value).union(*map(_strings, value.values()))
    if isinstance(value, list):
        return set().union(*map(_strings, value))
    return {value} if isinstance(value, str) else set()


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
    # nowhere in the answer (a substring test would match her directory's revisions)
    assert "1-b" not in _strings(answer)
    assert {c["_id"] for c in answer["changes"]} == HER_DIRECTORY


def _post(device, name: str, since: int = 0, **body) -> dict:
    return device.post({"since": since, **({"device": name} if name else {}), **body})


def test_phones_without_a_device_id_see_each_others_pushes(server):
    one = client_for(server, "artisan", "x")
    two = client_for(server, "artisan", "y")
    one.put(product(1))
    first = _post(one, "", docs=one.outgoing())
    assert first["results"][0]["status"] == "ok"
    ids = [c["_id"] for c in first["changes"]]
    assert sorted(ids) == sorted({"product:1"} | HER_DIRECTORY)  # nothing is held back
    # the same user, another phone, no device id either: it must get the product
    got = _post(two, "")
    assert sorted(c["_id"] for c in got["changes"]) == sorted({"product:1"} | HER_DIRECTORY)
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
    pulled = {c["_id"]: c for c in _post(a, "a")["changes"]}
    assert set(pulled) == {"product:1"} | HER_DIRECTORY
    deleted = pulled["product:1"]
    assert deleted == {"_id": "product:1", "_rev": deleted["_rev"], "_deleted": True}
    # a device with nothing, named, that never pushed: no deletions (it has nothing to drop)
    fresh = _post(client_for(server, "artisan", "c"), "c")["changes"]
    assert {c["_id"] for c in fresh} == HER_DIRECTORY
    assert not any(c.get("_deleted") for c in fresh)


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
    assert set(artisan.docs) == {"product:1", "product:2", "product:server-side"} | HER_DIRECTORY
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
    after = {c["_id"]: c for c in _post(artisan, "a", since=0, server="other")["changes"]}
    assert set(after) == {"product:1"} | HER_DIRECTORY
    assert [i for i, c in after.items() if c.get("_deleted")] == ["product:1"]
    artisan.sync()
    assert set(artisan.docs) == HER_DIRECTORY  # product:1 dropped, her directory kept


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
    products = {f"product:{i}" for i in range(30)}
    assert moved["resets"] == 1 and set(artisan.docs) == products | HER_DIRECTORY


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

"""Writes through /sync that must not reach, reveal or take over another user's document:
borrowed attachment stubs, deleted documents taken over, 409s that say an id is taken."""

from __future__ import annotations

import base64

import pytest

from sync.store.attachments import digest_of

DB = "/sync/hirfa"
PRIVATE = b"khadija's private photo"


def product(owner: str = "art_fatima", coop: str = "coop-taza-zerbia", **extra) -> dict:
    return {
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "title": {"fr": "Tapis"},
        "category": "carpets",
        "status": "draft",
        **extra,
    }


@pytest.fixture
def khadija(client, auth) -> str:
    """Khadija's product with a private attachment; returns its revision."""
    body = product(
        "art_khadija",
        _attachments={
            "p.txt": {"content_type": "text/plain", "data": base64.b64encode(PRIVATE).decode()}
        },
    )
    response = client.put(f"{DB}/p-khadija", json=body, headers=auth.headers("artisan2"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["rev"]


def test_a_stub_cannot_borrow_another_documents_attachment(client, auth, khadija):
    headers = auth.headers("artisan")
    stub = {"content_type": "text/plain", "digest": digest_of(PRIVATE), "stub": True}
    put = client.put(
        f"{DB}/p-fatima", json=product(_attachments={"mine.txt": stub}), headers=headers
    )
    assert put.status_code == 412 and put.get_json()["error"] == "missing_stub"
    graft = client.post(
        f"{DB}/_bulk_docs",
        headers=headers,
        json={
            "new_edits": False,
            "docs": [{**product(), "_id": "p-fatima2", "_rev": "1-a", "_attachments": {"m": stub}}],
        },
    ).get_json()
    assert graft[0]["error"] == "missing_stub"
    assert client.get(f"{DB}/p-fatima/mine.txt", headers=headers).status_code == 404
    assert client.get(f"{DB}/p-fatima2/m", headers=headers).status_code == 404


def test_a_stub_of_the_parent_is_resolved_by_name_and_keeps_the_parents_bytes(
    client, auth, khadija
):
    headers = auth.headers("artisan2")
    mine = b"a second photo"
    rev2 = client.put(
        f"{DB}/p-khadija",
        headers=headers,
        json={
            **product("art_khadija"),
            "_rev": khadija,
            "_attachments": {
                "p.txt": {"stub": True},
                "q.txt": {"content_type": "text/plain", "data": base64.b64encode(mine).decode()},
            },
        },
    ).get_json()["rev"]
    # A digest sent with a stub does not replace the parent's: CouchDB keeps the parent's.
    rev3 = client.put(
        f"{DB}/p-khadija",
        headers=headers,
        json={
            **product("art_khadija", v=3),
            "_rev": rev2,
            "_attachments": {"p.txt": {"stub": True, "digest": digest_of(mine)}},
        },
    )
    assert rev3.status_code == 201, rev3.get_json()
    assert client.get(f"{DB}/p-khadija/p.txt", headers=headers).data == PRIVATE
    renamed = client.put(
        f"{DB}/p-khadija",
        headers=headers,
        json={
            **product("art_khadija", v=4),
            "_rev": rev3.get_json()["rev"],
            "_attachments": {"other-name.txt": {"stub": True, "digest": digest_of(PRIVATE)}},
        },
    )
    assert renamed.status_code == 412  # no such name in the parent
    # A replicated revision may name the bytes of this document's own revisions.
    graft = client.post(
        f"{DB}/_bulk_docs",
        headers=headers,
        json={
            "new_edits": False,
            "docs": [
                {
                    **product("art_khadija", v=5),
                    "_id": "p-khadija",
                    "_rev": "2-zz",
                    "_revisions": {"start": 2, "ids": ["zz", khadija.split("-", 1)[1]]},
                    "_attachments": {"copy.txt": {"stub": True, "digest": digest_of(mine)}},
                }
            ],
        },
    )
    assert graft.get_json() == []
    got = client.get(f"{DB}/p-khadija/copy.txt?rev=2-zz", headers=headers)
    assert got.status_code == 200 and got.data == mine


def _delete(client, auth, who: str, doc_id: str, bare: bool) -> str:
    headers = auth.headers(who)
    current = client.get(f"{DB}/{doc_id}", headers=headers).get_json()
    if not bare:
        response = client.delete(f"{DB}/{doc_id}?rev={current['_rev']}", headers=headers)
    else:  # as PouchDB deletes: {"_deleted": true} and nothing else
        response = client.put(
            f"{DB}/{doc_id}", json={"_rev": current["_rev"], "_deleted": True}, headers=headers
        )
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["rev"]


@pytest.mark.parametrize("bare", [False, True])
def test_nobody_takes_over_another_artisans_deleted_document(client, auth, khadija, bare):
    _delete(client, auth, "artisan2", "p-khadija", bare)
    headers = auth.headers("artisan")
    taken = client.put(f"{DB}/p-khadija", json=product(), headers=headers)
    assert taken.status_code == 403, taken.get_json()
    assert taken.get_json()["error"] == "forbidden"
    # nothing of hers is readable by the would-be new owner, at any revision
    assert client.get(f"{DB}/p-khadija?rev={khadija}", headers=headers).status_code == 404
    assert client.get(f"{DB}/p-khadija/p.txt?rev={khadija}", headers=headers).status_code == 404
    # the owner may bring it back
    back = client.put(
        f"{DB}/p-khadija", json=product("art_khadija"), headers=auth.headers("artisan2")
    )
    assert back.status_code == 201, back.get_json()


def test_a_replicated_revision_cannot_take_over_a_deleted_document(client, auth, khadija):
    tombstone = _delete(client, auth, "artisan2", "p-khadija", bare=True)
    graft = client.post(
        f"{DB}/_bulk_docs",
        headers=auth.headers("artisan"),
        json={
            "new_edits": False,
            "docs": [
                {
                    **product(),
                    "_id": "p-khadija",
                    "_rev": "3-mine",
                    "_revisions": {
                        "start": 3,
                        "ids": ["mine", tombstone.split("-", 1)[1], khadija.split("-", 1)[1]],
                    },
                }
            ],
        },
    ).get_json()
    assert graft[0]["error"] == "forbidden"


def test_an_old_revision_outside_the_readers_channels_is_not_served(client, auth, khadija):
    # An admin moves the document to Fatima: she sees it now, not what it was before.
    admin = auth.headers("admin")
    moved = client.put(
        f"{DB}/p-khadija", json={**product(), "_rev": khadija}, headers=admin
    ).get_json()["rev"]
    headers = auth.headers("artisan")
    assert client.get(f"{DB}/p-khadija", headers=headers).get_json()["_rev"] == moved
    assert client.get(f"{DB}/p-khadija?rev={khadija}", headers=headers).status_code == 404
    revs = client.get(f'{DB}/p-khadija?open_revs=["{khadija}"]', headers=headers).get_json()
    assert revs == [{"missing": khadija}]
    assert client.get(f"{DB}/p-khadija/p.txt?rev={khadija}", headers=headers).status_code == 404
    assert client.get(f"{DB}/p-khadija?rev={khadija}", headers=admin).status_code == 200


def _answers(client, headers, doc_id: str, body: dict) -> list:
    put = client.put(f"{DB}/{doc_id}", json=body, headers=headers)
    bulk = client.post(
        f"{DB}/_bulk_docs", json={"docs": [{**body, "_id": doc_id}]}, headers=headers
    )
    att = client.put(f"{DB}/{doc_id}/a.txt", data=b"x", content_type="text/plain", headers=headers)
    return [
        (put.status_code, put.get_json()),
        (bulk.status_code, [{k: v for k, v in r.items() if k != "id"} for r in bulk.get_json()]),
        (att.status_code, att.get_json()),
    ]


@pytest.mark.parametrize(
    "body",
    [
        product("art_khadija"),  # not hers to write, anywhere
        {**product("art_khadija"), "_rev": "1-0123456789abcdef0123456789abcdef"},
    ],
)
def test_an_invisible_document_answers_as_a_free_id_would(client, auth, khadija, body):
    headers = auth.headers("artisan")
    taken = _answers(client, headers, "p-khadija", body)
    free = _answers(client, headers, "p-free", body)
    assert taken == free
    assert [status for status, _ in taken] == [403, 201, 403]  # _bulk_docs: per document
    assert taken[1][1][0]["error"] == "forbidden"


def test_an_invisible_document_is_forbidden_not_a_conflict(client, auth, khadija):
    headers = auth.headers("artisan")
    for body in (product(), {**product(), "_rev": "1-0123456789abcdef0123456789abcdef"}):
        answer = client.put(f"{DB}/p-khadija", json=body, headers=headers)
        assert answer.status_code == 403, answer.get_json()
        assert "khadija" not in answer.get_json()["reason"]
    bulk = client.post(
        f"{DB}/_bulk_docs", json={"docs": [{**product(), "_id": "p-khadija"}]}, headers=headers
    )
    assert bulk.get_json()[0]["error"] == "forbidden"
    att = client.put(f"{DB}/p-khadija/a.txt", data=b"x", content_type="text/plain", headers=headers)
    assert att.status_code == 403
    # Her own stale write is still a conflict
    own = client.put(
        f"{DB}/p-khadija", json=product("art_khadija"), headers=auth.headers("artisan2")
    )
    assert own.status_code == 409


def test_the_owner_recreates_her_document_after_compaction_removed_its_bodies(
    app, client, auth, khadija
):
    """Nothing of the document's content is left to check against (a bare tombstone, old
    bodies compacted): whether she may write is then decided by the channels the
    document was in, which are hers, not by refusing everyone."""
    _delete(client, auth, "artisan2", "p-khadija", bare=True)
    hirfa = app.extensions["hirfa"]
    with app.app_context():
        hirfa.store().compact()
    taken = client.put(f"{DB}/p-khadija", json=product(), headers=auth.headers("artisan"))
    assert taken.status_code == 403
    back = client.put(
        f"{DB}/p-khadija", json=product("art_khadija"), headers=auth.headers("artisan2")
    )
    assert back.status_code == 201, back.get_json()

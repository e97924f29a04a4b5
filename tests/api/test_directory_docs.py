"""The directory travels as documents: every cooperative and artisan has a public profile
document, written with the account rows, and a migration writes those of existing ones."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from api import migrations, stores
from api.schema_steps import DIRECTORY_VERSION
from sync.rules import access
from sync.rules.access import channels_for
from tests.support.documents import HUB_ARTISAN, write_hub_directory

DB = "/sync/hirfa"


def doc(client, auth, doc_id: str) -> dict:
    response = client.get(f"{DB}/{doc_id}", headers=auth.headers("admin"))
    assert response.status_code == 200, (doc_id, response.get_json())
    return response.get_json()


def test_the_demo_directory_is_documents(client, auth):
    coop = doc(client, auth, "cooperative:coop-taza-zerbia")
    assert coop["type"] == "cooperative" and coop["cooperative"] == "coop-taza-zerbia"
    assert coop["name"]["ar"] and coop["name"]["fr"] and coop["region"] == "fes-meknes"
    fatima = doc(client, auth, "artisan:art_fatima")
    assert fatima == {**fatima, "display_name": "فاطمة أيت علي", "cooperative": "coop-taza-zerbia"}
    assert not {"phone", "pin", "role", "locale", "secret_hash"} & set(fatima)
    # coordinators and buyers are no one's public profile
    assert client.get(f"{DB}/artisan:coo_naima", headers=auth.headers("admin")).status_code == 404


def test_a_new_cooperative_and_artisan_get_their_documents(client, auth):
    created = client.post(
        "/api/v1/cooperatives",
        headers=auth.headers("admin"),
        json={
            "id": "coop-tinghir-tapis",
            "name_ar": "تعاونية تنغير",
            "name_fr": "Coopérative Tinghir",
            "region": "draa-tafilalet",
            "categories": ["carpets"],
        },
    )
    assert created.status_code == 201
    coop = doc(client, auth, "cooperative:coop-tinghir-tapis")
    assert coop["name"] == {"ar": "تعاونية تنغير", "fr": "Coopérative Tinghir"}
    assert coop["crafts"] == ["carpets"]
    artisan = client.post(
        "/api/v1/artisans",
        headers=auth.headers("coordinator"),
        json={
            "phone": "0677001122",
            "display_name": "Itto",
            "pin": "482913",
            "cooperative_id": "coop-taza-zerbia",
        },
    )
    assert artisan.status_code == 201, artisan.get_json()
    profile = doc(client, auth, f"artisan:{artisan.get_json()['id']}")
    assert profile["display_name"] == "Itto" and "phone" not in profile


def test_renaming_an_artisan_updates_her_profile_and_keeps_her_story(client, auth):
    current = doc(client, auth, "artisan:art_fatima")
    story = {**current, "story": {"ar": "أنسج منذ صغري"}}
    put = client.put(f"{DB}/artisan:art_fatima", json=story, headers=auth.headers("coordinator"))
    assert put.status_code == 201, put.get_json()
    renamed = client.patch(
        "/api/v1/me", json={"display_name": "Fatima Ait Ali"}, headers=auth.headers("artisan")
    )
    assert renamed.status_code == 200
    after = doc(client, auth, "artisan:art_fatima")
    assert after["display_name"] == "Fatima Ait Ali" and after["story"] == story["story"]


def test_the_migration_writes_documents_for_existing_rows(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.sqlite")
    before = [m for m in migrations.MIGRATIONS if m[0] < DIRECTORY_VERSION]
    migrations.runner.migrate(db, before)
    db["cooperatives"].insert(
        {
            "id": "coop-old",
            "name_ar": "تعاونية قديمة",
            "name_fr": "Vieille coopérative",
            "region": "souss-massa",
            "categories": json.dumps(["argan"]),
            "created_at": 1.0,
        }
    )
    for uid, role in [("art_old", "artisan"), ("buy_old", "buyer"), ("art_long", "artisan")]:
        db["users"].insert(
            {
                "id": uid,
                "phone": f"+2126000{len(uid)}{role[0]}",
                "role": role,
                "display_name": "x" * 500 if uid == "art_long" else f"{role} name",
                "locale": "ar",
                "cooperative_id": "coop-old" if role == "artisan" else None,
                "secret_hash": "x",
                "secret_kind": "pin",
                "session_version": 0,
                "created_at": 1.0,
            }
        )
    assert DIRECTORY_VERSION in migrations.migrate(db)
    bodies = {
        row[0]: json.loads(row[1])
        for row in db.execute(
            "SELECT d.id, r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner"
        )
    }
    # a name the schema refuses leaves that one document out, not the server down
    assert set(bodies) == {"cooperative:coop-old", "artisan:art_old"}
    coop = bodies["cooperative:coop-old"]
    assert coop["name"] == {"ar": "تعاونية قديمة", "fr": "Vieille coopérative"}
    assert coop["region"] == "souss-massa" and coop["crafts"] == ["argan"]
    artisan = bodies["artisan:art_old"]
    assert artisan["display_name"] == "artisan name" and artisan["cooperative"] == "coop-old"
    # in the channels that reach the cooperative's phones (its coordinators' and its
    # artisans'), and public
    channels = {"coop:coop-old", "members:coop-old", "public"}
    assert channels_for("artisan:art_old", artisan) == channels
    assert channels_for("cooperative:coop-old", coop) == channels
    indexed = db.execute("SELECT count(*) FROM doc_channels").fetchone()[0]
    assert indexed == 6  # two documents, each in its three channels


@dataclass(frozen=True)
class Reader:
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def _routed_as_before_14(channels_for):
    """``channels_for`` as it was before version 14: a directory document only public and
    in its cooperative's coop:<id>, which its coordinators read; in no artisan's channel."""

    def channels(doc_id: str, body: dict | None) -> set[str]:
        found = channels_for(doc_id, body)
        if (body or {}).get("type") in ("cooperative", "artisan"):
            return {c for c in found if c == "public" or c.startswith("coop:")}
        return found

    return channels


def test_migration_14_brings_existing_directory_documents_to_phones_synced_before(
    tmp_path, monkeypatch
):
    db = sqlite_utils.Database(tmp_path / "old.sqlite")
    migrations.runner.migrate(db, [m for m in migrations.MIGRATIONS if m[0] < DIRECTORY_VERSION])
    for coop in ("coop-old", "coop-other"):
        db["cooperatives"].insert(
            {
                "id": coop,
                "name_ar": "تعاونية",
                "name_fr": "Coopérative",
                "region": "souss-massa",
                "categories": "[]",
                "created_at": 1.0,
            }
        )
    for uid, coop in [("art_old", "coop-old"), ("art_other", "coop-other")]:
        db["users"].insert(
            {
                "id": uid,
                "phone": f"+21260000{len(uid)}{uid[-1]}",
                "role": "artisan",
                "display_name": uid,
                "locale": "ar",
                "cooperative_id": coop,
                "secret_hash": "x",
                "secret_kind": "pin",
                "session_version": 0,
                "created_at": 1.0,
            }
        )
    # A server at version 13, whose documents were routed by the rules of then.
    with monkeypatch.context() as before:
        before.setattr(stores, "channels_for", _routed_as_before_14(stores.channels_for))
        up_to_13 = [m for m in migrations.MIGRATIONS if m[0] <= DIRECTORY_VERSION]
        assert migrations.runner.migrate(db, up_to_13) == [DIRECTORY_VERSION]
    store = stores.document_store(db)
    old = Reader("art_old", "artisan", ("coop-old",))
    # her phone synced to the end of the feed then, and had none of them
    synced = store.changes(since=0, visible=access.user_channels(old))
    assert synced["results"] == []
    since = synced["last_seq"]
    assert since == store.update_seq() > 0
    revs = {row[0]: row[1] for row in db.execute("SELECT id, winner FROM docs")}

    up_to_14 = [m for m in migrations.MIGRATIONS if m[0] <= 14]
    assert migrations.runner.migrate(db, up_to_14) == [14]
    ours = {"cooperative:coop-old", "artisan:art_old"}
    feed = store.changes(since=since, visible=access.user_channels(old))
    assert {r["id"] for r in feed["results"]} == ours
    assert all(r["seq"] > since for r in feed["results"])
    # routed again, not rewritten: the same revisions
    assert {r["id"]: r["changes"][0]["rev"] for r in feed["results"]} == {
        doc_id: revs[doc_id] for doc_id in ours
    }
    # an artisan of another cooperative gets only hers
    other = Reader("art_other", "artisan", ("coop-other",))
    feed = store.changes(since=since, visible=access.user_channels(other))
    assert {r["id"] for r in feed["results"]} == {"cooperative:coop-other", "artisan:art_other"}


def test_the_catalogue_reads_names_from_the_documents(client, auth):
    write_hub_directory(client, auth.headers("admin"))
    items = client.get("/api/v1/catalog").get_json()["items"]
    [item] = [i for i in items if i["id"] == "product:hub-rug"]
    assert item["artisan"] == {"id": HUB_ARTISAN, "display_name": "إيطو أوحدو"}
    assert item["cooperative"]["name_ar"] == "تعاونية تنغير للزرابي"
    assert item["cooperative"]["name_fr"] == "Coopérative des tapis de Tinghir"
    assert item["region"] == "draa-tafilalet"
    # a coordinator renames her cooperative in its document: the catalogue follows
    current = doc(client, auth, "cooperative:coop-tinghir-tapis")
    current["name"] = {**current["name"], "fr": "Tapis de l'oasis"}
    put = client.put(
        f"{DB}/cooperative:coop-tinghir-tapis", json=current, headers=auth.headers("admin")
    )
    assert put.status_code == 201
    item = client.get("/api/v1/catalog/product:hub-rug").get_json()
    assert item["cooperative"]["name_fr"] == "Tapis de l'oasis"


def test_the_public_profile_of_an_artisan_known_only_by_her_document(client, auth):
    write_hub_directory(client, auth.headers("admin"))
    profile = client.get(f"/api/v1/artisans/{HUB_ARTISAN}/profile").get_json()
    assert profile["display_name"] == "إيطو أوحدو" and profile["products"] == 1
    assert profile["cooperative"]["name_fr"] == "Coopérative des tapis de Tinghir"
    assert profile["region"] == "draa-tafilalet"
    assert client.get("/api/v1/artisans/coo_naima/profile").status_code == 404


def test_concurrent_edits_of_a_profile_pushed_by_phones_both_survive(client, auth):
    admin = auth.headers("admin")
    doc_id = "cooperative:coop-taza-zerbia"
    base = doc(client, auth, doc_id)
    start, parent = base["_rev"].split("-")
    body = {k: v for k, v in base.items() if k != "_rev"}
    story, visiting = {"fr": "Vingt tisserandes."}, {"fr": "Sur rendez-vous."}
    branches = [
        ({**body, "story": story, "updated_at": "2026-12-01T09:00:00Z"}, "a"),
        ({**body, "visiting": visiting, "updated_at": "2026-12-01T10:00:00Z"}, "b"),
    ]
    docs = [
        {**edit, "_rev": f"2-{mark * 32}", "_revisions": {"start": 2, "ids": [mark * 32, parent]}}
        for edit, mark in branches
    ]
    assert int(start) == 1
    pushed = client.post(f"{DB}/_bulk_docs", json={"new_edits": False, "docs": docs}, headers=admin)
    assert pushed.status_code == 201, pushed.get_json()
    settled = doc(client, auth, doc_id)  # the order feed settled it after the push
    assert settled["story"] == {"fr": "Vingt tisserandes."}
    assert settled["visiting"] == {"fr": "Sur rendez-vous."}
    conflicts = client.get(f"{DB}/{doc_id}?conflicts=true", headers=admin).get_json()
    assert "_conflicts" not in conflicts

"""A deletion is a write like any other: it claims no id for whoever sent it first, and a
document deleted offline can be written again by whoever could write it (issue: squatting
an id with a bare tombstone)."""

from __future__ import annotations

import pytest

from tests.support.documents import FATIMA, product_body

DB = "/sync/hirfa"
product = product_body


def squat(client, auth, who: str, doc_id: str) -> None:
    """A bare tombstone for an id never written, by someone with no claim on it."""
    client.put(f"{DB}/{doc_id}", json={"_deleted": True}, headers=auth.headers(who))


@pytest.mark.parametrize("squatter", ["buyer", "coordinator2", "artisan2", "artisan_other_coop"])
def test_a_foreign_tombstone_does_not_keep_the_artisan_from_her_listing(client, auth, squatter):
    squat(client, auth, squatter, "p-squat")
    created = client.put(f"{DB}/p-squat", json=product(), headers=auth.headers("artisan"))
    assert created.status_code == 201, created.get_json()
    seen = client.get(f"{DB}/p-squat", headers=auth.headers("artisan")).get_json()
    assert seen["owner"] == FATIMA and seen["_rev"] == created.get_json()["rev"]


@pytest.mark.parametrize("squatter", ["buyer", "coordinator2", "artisan", "artisan2"])
def test_nobody_but_the_review_can_delete_a_review_id_first(client, auth, squatter):
    """review:<product> is written by the coordinator's decision only: a tombstone there
    is refused, and the decision still lands."""
    listing = client.post(
        "/api/v1/products",
        json={"title": {"ar": "زربية"}, "category": "carpets", "price_centimes": 120000,
              "status": "submitted"},
        headers=auth.headers("artisan"),
    )  # fmt: skip
    assert listing.status_code == 201, listing.get_json()
    product_id = listing.get_json()["id"]
    tombstone = client.put(
        f"{DB}/review:{product_id}", json={"_deleted": True}, headers=auth.headers(squatter)
    )
    assert tombstone.status_code == 403, tombstone.get_json()
    decided = client.post(
        f"/api/v1/reviews/{product_id}",
        json={"decision": "approve"},
        headers=auth.headers("coordinator"),
    )
    assert decided.status_code in (200, 201), decided.get_json()


def test_a_listing_created_and_deleted_offline_can_be_created_again(client, auth):
    """PouchDB pushes only the tombstone of a listing made and deleted offline (its first
    revision never reaches the server); the same id made again on the phone must sync."""
    headers = auth.headers("artisan")
    tombstone = {"_id": "p-again", "_rev": "2-b", "_deleted": True}
    tombstone["_revisions"] = {"start": 2, "ids": ["b", "a"]}
    pushed = client.post(
        f"{DB}/_bulk_docs", json={"new_edits": False, "docs": [tombstone]}, headers=headers
    )
    assert pushed.status_code == 201 and pushed.get_json() == []
    again = {**product(), "_id": "p-again", "_rev": "3-c"}
    again["_revisions"] = {"start": 3, "ids": ["c", "b", "a"]}
    pushed = client.post(
        f"{DB}/_bulk_docs", json={"new_edits": False, "docs": [again]}, headers=headers
    )
    assert pushed.status_code == 201 and pushed.get_json() == [], pushed.get_json()
    assert client.get(f"{DB}/p-again", headers=headers).get_json()["_rev"] == "3-c"
    # and through PUT, as a REST-minded client would: the tombstone is extended
    client.delete(f"{DB}/p-again?rev=3-c", headers=headers)
    put = client.put(f"{DB}/p-again", json=product(), headers=headers)
    assert put.status_code == 201 and put.get_json()["rev"].startswith("5-")


def test_a_document_deleted_with_its_body_stays_its_owners(client, auth):
    """The tombstone of a document that had a body keeps it routed to its owner: others
    may not write it again."""
    headers = auth.headers("artisan")
    rev = client.put(f"{DB}/p-mine", json=product(), headers=headers).get_json()["rev"]
    assert client.delete(f"{DB}/p-mine?rev={rev}", headers=headers).status_code == 201
    taken = client.put(
        f"{DB}/p-mine",
        json=product(owner="art_khadija"),
        headers=auth.headers("artisan2"),
    )
    assert taken.status_code == 403
    back = client.put(f"{DB}/p-mine", json=product(), headers=headers)
    assert back.status_code == 201

"""Coordinator review: permissions, valid moves, history, batch, sync to the artisan."""

from __future__ import annotations

import pytest

P = "/api/v1/products"
R = "/api/v1/reviews"
RUG = {"title": {"ar": "زربية"}, "category": "carpets", "price_centimes": 120000}


def submitted(client, auth, who="artisan", **extra):
    response = client.post(
        P, json={**RUG, **extra, "status": "submitted"}, headers=auth.headers(who)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide_batch(client, auth, *decisions: dict, who: str = "coordinator"):
    """POST /reviews/batch with these decisions, as ``who``."""
    return client.post(f"{R}/batch", json={"decisions": list(decisions)}, headers=auth.headers(who))


def test_queue_lists_submitted_products_oldest_first_with_counts(client, auth):
    first = submitted(client, auth)
    second = submitted(client, auth, "artisan2")
    client.post(P, json=RUG, headers=auth.headers("artisan"))  # a draft: not in the queue
    submitted(client, auth, "artisan_other_coop")  # another cooperative
    queue = client.get(f"{R}/queue", headers=auth.headers("coordinator")).get_json()
    assert [i["id"] for i in queue["items"]] == [first["id"], second["id"]]
    assert queue["counts"] == {"submitted": 2, "draft": 1}
    other = client.get(f"{R}/queue", headers=auth.headers("coordinator2")).get_json()
    assert len(other["items"]) == 1
    pottery = client.get(
        f"{R}/queue?category=pottery", headers=auth.headers("coordinator")
    ).get_json()
    assert pottery["items"] == []


def test_approve_moves_the_product_and_reaches_the_artisans_feed(client, auth):
    product = submitted(client, auth)
    response = client.post(
        f"{R}/{product['id']}", json={"decision": "approve"}, headers=auth.headers("coordinator")
    )
    assert response.status_code == 200
    review = response.get_json()
    assert review["decision"] == "approve" and review["history"][0]["by"] == "coo_naima"
    artisan = auth.headers("artisan")
    assert client.get(f"{P}/{product['id']}", headers=artisan).get_json()["status"] == "approved"
    feed = client.get("/sync/hirfa/_changes?include_docs=true", headers=artisan).get_json()
    docs = {r["id"]: r["doc"] for r in feed["results"]}
    assert docs[product["id"]]["status"] == "approved"
    assert docs[f"review:{product['id']}"]["decision"] == "approve"


def test_request_changes_needs_reasons_then_the_artisan_resubmits(client, auth):
    product = submitted(client, auth)
    coordinator = auth.headers("coordinator")
    no_reason = client.post(
        f"{R}/{product['id']}", json={"decision": "request_changes"}, headers=coordinator
    )
    assert no_reason.status_code == 400
    asked = client.post(
        f"{R}/{product['id']}",
        headers=coordinator,
        json={
            "decision": "request_changes",
            "reason_codes": ["photo_blurry", "price_missing"],
            "comment": "صورة أوضح",
        },
    )
    assert asked.status_code == 200
    artisan = auth.headers("artisan")
    current = client.get(f"{P}/{product['id']}", headers=artisan).get_json()
    assert current["status"] == "changes_requested"
    again = client.patch(
        f"{P}/{product['id']}",
        json={"status": "submitted"},
        headers={**artisan, "If-Match": current["rev"]},
    )
    assert again.status_code == 200
    approved = client.post(
        f"{R}/{product['id']}", json={"decision": "approve"}, headers=coordinator
    )
    history = approved.get_json()["history"]
    assert [h["decision"] for h in history] == ["request_changes", "approve"]
    assert history[0]["reason_codes"] == ["photo_blurry", "price_missing"]
    mine = client.get(f"{R}/{product['id']}", headers=artisan)
    assert mine.status_code == 200 and len(mine.get_json()["history"]) == 2


@pytest.mark.parametrize("status", ["draft", "approved"])
def test_only_submitted_products_can_be_decided(client, auth, status):
    product = submitted(client, auth)
    coordinator = auth.headers("coordinator")
    if status == "approved":
        client.post(f"{R}/{product['id']}", json={"decision": "approve"}, headers=coordinator)
    else:
        client.patch(
            f"{P}/{product['id']}",
            json={"status": "draft"},
            headers={**auth.headers("artisan"), "If-Match": product["rev"]},
        )
    response = client.post(f"{R}/{product['id']}", json={"decision": "reject"}, headers=coordinator)
    assert response.status_code == 409
    assert response.get_json()["error"]["details"]["status"] == status


def test_who_may_decide(client, auth):
    product = submitted(client, auth)
    url = f"{R}/{product['id']}"
    assert (
        client.post(url, json={"decision": "approve"}, headers=auth.headers("artisan")).status_code
        == 403
    )
    assert (
        client.post(
            url, json={"decision": "approve"}, headers=auth.headers("coordinator2")
        ).status_code
        == 403
    )
    assert (
        client.post(url, json={"decision": "approve"}, headers=auth.headers("buyer")).status_code
        == 403
    )
    assert client.get(url, headers=auth.headers("artisan2")).status_code == 403
    status = client.get(f"{P}/{product['id']}", headers=auth.headers("artisan")).get_json()
    assert status["status"] == "submitted"


def test_an_artisan_cannot_forge_a_review_over_sync(client, auth):
    product = submitted(client, auth)
    forged = {
        "type": "review",
        "product_id": product["id"],
        "artisan": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        "decision": "approve",
    }
    response = client.put(
        f"/sync/hirfa/review:{product['id']}", json=forged, headers=auth.headers("artisan")
    )
    assert response.status_code == 403


def test_batch_decisions_stand_alone(client, auth):
    a = submitted(client, auth)
    b = submitted(client, auth, "artisan2")
    zahra = submitted(client, auth, "artisan_other_coop")
    response = decide_batch(
        client,
        auth,
        {"product_id": a["id"], "decision": "approve"},
        {"product_id": zahra["id"], "decision": "approve"},
        {"product_id": b["id"], "decision": "reject", "reason_codes": ["wrong_category"]},
        {"product_id": "nope", "decision": "approve"},
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["ok"] for r in results] == [True, False, True, False]
    assert results[1]["error"]["code"] == "forbidden"
    assert results[3]["error"]["code"] == "not_found"


def test_unknown_reason_code_is_refused(client, auth):
    product = submitted(client, auth)
    response = client.post(
        f"{R}/{product['id']}",
        headers=auth.headers("coordinator"),
        json={"decision": "reject", "reason_codes": ["ugly"]},
    )
    assert response.status_code == 400


def queue_ids(client, auth) -> list[str]:
    response = client.get(f"{R}/queue", headers=auth.headers("coordinator"))
    assert response.status_code == 200, response.get_json()
    return [i["id"] for i in response.get_json()["items"]]


def test_the_queue_orders_by_when_the_server_saw_the_submission(client, auth):
    first = submitted(client, auth)
    second = submitted(client, auth, "artisan2")
    # A phone's clock (or a forgery) does not jump the queue.
    headers = auth.headers("artisan")
    early = {
        "type": "product",
        "owner": "art_fatima",
        "cooperative": "coop-taza-zerbia",
        **RUG,
        "status": "submitted",
        "updated_at": "0000",
        "created_at": "0000",
    }
    assert client.put("/sync/hirfa/p-early", json=early, headers=headers).status_code == 201
    assert queue_ids(client, auth) == [first["id"], second["id"], "p-early"]
    # Editing a waiting product keeps its place.
    edited = client.patch(
        f"{P}/{first['id']}",
        json={"price_centimes": 1},
        headers={**headers, "If-Match": first["rev"]},
    )
    assert edited.status_code == 200 and edited.get_json()["status"] == "submitted"
    assert queue_ids(client, auth) == [first["id"], second["id"], "p-early"]
    # Sent back and submitted again: to the back.
    coordinator = auth.headers("coordinator")
    asked = client.post(
        f"{R}/{first['id']}",
        json={"decision": "request_changes", "reason_codes": ["photo_blurry"]},
        headers=coordinator,
    )
    assert asked.status_code == 200
    current = client.get(f"{P}/{first['id']}", headers=headers).get_json()
    client.patch(
        f"{P}/{first['id']}", json={"status": "submitted"},
        headers={**headers, "If-Match": current["rev"]},
    )  # fmt: skip
    assert queue_ids(client, auth) == [second["id"], "p-early", first["id"]]


def test_a_decision_names_the_revision_it_was_made_on(client, auth):
    product = submitted(client, auth)
    queue = client.get(f"{R}/queue", headers=auth.headers("coordinator")).get_json()
    assert queue["items"][0]["rev"] == product["rev"]
    headers = auth.headers("artisan")
    edited = client.patch(
        f"{P}/{product['id']}", json={"price_centimes": 1},
        headers={**headers, "If-Match": product["rev"]},
    ).get_json()  # fmt: skip
    coordinator = auth.headers("coordinator")
    stale = client.post(
        f"{R}/{product['id']}",
        json={"decision": "approve", "product_rev": product["rev"]},
        headers=coordinator,
    )
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "product_changed" and error["details"]["rev"] == edited["rev"]
    batch = decide_batch(
        client,
        auth,
        {"product_id": product["id"], "decision": "approve", "product_rev": product["rev"]},
    ).get_json()
    assert batch["results"][0]["ok"] is False
    assert batch["results"][0]["error"]["code"] == "product_changed"
    fresh = client.post(
        f"{R}/{product['id']}",
        json={"decision": "approve", "product_rev": edited["rev"]},
        headers=coordinator,
    )
    assert fresh.status_code == 200
    assert fresh.get_json()["history"][-1]["product_rev"] == edited["rev"]


def test_the_reason_other_needs_a_comment(client, auth):
    product = submitted(client, auth)
    url, coordinator = f"{R}/{product['id']}", auth.headers("coordinator")
    for comment in ("", "   "):
        bare = client.post(
            url,
            json={"decision": "request_changes", "reason_codes": ["other"], "comment": comment},
            headers=coordinator,
        )
        assert bare.status_code == 400
        assert "comment" in bare.get_json()["error"]["details"]["fields"]
    said = client.post(
        url,
        json={"decision": "request_changes", "reason_codes": ["other"], "comment": "الخيوط"},
        headers=coordinator,
    )
    assert said.status_code == 200


def test_a_store_refusal_in_a_batch_is_that_items_result(client, auth):
    # A product whose artisan is not of its cooperative (say, an old server's data): the
    # store's check refuses the review document, and only that decision fails.
    stray = {
        "type": "product",
        "owner": "art_zahra",
        "cooperative": "coop-taza-zerbia",
        **RUG,
        "status": "submitted",
    }
    put = client.put("/sync/hirfa/p-stray", json=stray, headers=auth.headers("admin"))
    assert put.status_code == 201
    a, b = submitted(client, auth), submitted(client, auth, "artisan2")
    response = decide_batch(
        client,
        auth,
        {"product_id": a["id"], "decision": "approve"},
        {"product_id": "p-stray", "decision": "approve"},
        {"product_id": b["id"], "decision": "approve"},
    )
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["ok"] for r in results] == [True, False, True]
    assert results[1]["error"]["code"] == "forbidden"
    stray_now = client.get("/sync/hirfa/p-stray", headers=auth.headers("admin")).get_json()
    assert stray_now["status"] == "submitted"  # nothing half-done

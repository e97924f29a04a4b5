"""Workshops, sessions and bookings over REST, and the cooperative's page with its
visiting hours and next sessions."""

from __future__ import annotations

from .conftest import TAZA, WORKSHOP, workshop_doc


def _create(client, auth, **fields):
    body = {
        k: v for k, v in workshop_doc(**fields).items() if k not in ("_id", "type", "cooperative")
    }
    return client.post(
        "/api/v1/workshops", json={**body, "code": "weaving"}, headers=auth.headers("coordinator")
    )


def test_workshops_crud_with_if_match(client, auth):
    created = _create(client, auth)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["id"] == WORKSHOP
    assert _create(client, auth).get_json()["error"]["code"] == "workshop_exists"
    body = {k: v for k, v in created.get_json().items() if k in workshop_doc()}
    body.pop("cooperative")
    other = client.put(
        f"/api/v1/workshops/{WORKSHOP}", json=body, headers=auth.headers("coordinator2")
    )
    assert other.status_code in (403, 404)
    put = f"/api/v1/workshops/{WORKSHOP}"
    no_match = client.put(put, json=body, headers=auth.headers("coordinator"))
    assert no_match.status_code == 428
    stale = client.put(put, json=body, headers={**auth.headers("coordinator"), "If-Match": '"1-x"'})
    assert stale.status_code == 412
    fresh = client.put(
        put,
        json={**body, "capacity": 6},
        headers={**auth.headers("coordinator"), "If-Match": created.headers["ETag"]},
    )
    assert fresh.status_code == 200 and fresh.get_json()["capacity"] == 6
    listed = client.get("/api/v1/workshops", headers=auth.headers("coordinator")).get_json()
    assert [w["id"] for w in listed["items"]] == [WORKSHOP]
    assert (
        client.post("/api/v1/workshops", json={}, headers=auth.headers("buyer")).status_code == 403
    )


def test_sessions_bookings_and_cancelling(client, auth):
    _create(client, auth)
    sessions = client.get(f"/api/v1/cooperatives/{TAZA}/sessions").get_json()
    assert [s["session_id"] for s in sessions["items"]] == ["soon", "later"]
    assert sessions["items"][0]["book_url"] == f"/buy/book/{WORKSHOP}/soon"
    buyer = {**auth.headers("buyer"), "Idempotency-Key": "k-1"}
    ask = {"workshop": WORKSHOP, "session": "soon", "places": 3}
    made = client.post("/api/v1/bookings", json=ask, headers=buyer)
    assert made.status_code == 201, made.get_json()
    again = client.post("/api/v1/bookings", json=ask, headers=buyer)
    assert again.get_json()["id"] == made.get_json()["id"]
    full = client.post("/api/v1/bookings", json={**ask, "places": 1}, headers=auth.headers("buyer"))
    assert full.status_code == 409
    assert full.get_json()["error"] == {
        "code": "session_full",
        "message": "Not enough places are left in this session.",
        "details": {"places_left": 0, "asked": 1},
    }
    past = client.post(
        "/api/v1/bookings", json={**ask, "session": "past"}, headers=auth.headers("buyer")
    )
    assert past.get_json()["error"]["code"] == "session_past"
    assert client.get(f"/api/v1/cooperatives/{TAZA}/sessions").get_json()["items"][0]["full"]
    mine = client.get("/api/v1/bookings", headers=auth.headers("buyer")).get_json()["items"]
    theirs = client.get("/api/v1/bookings", headers=auth.headers("coordinator")).get_json()["items"]
    assert [b["id"] for b in mine] == [b["id"] for b in theirs] == [made.get_json()["id"]]
    assert client.get("/api/v1/bookings", headers=auth.headers("coordinator2")).get_json() == {
        "items": []
    }
    booking_id = made.get_json()["id"]
    cancelled = client.post(
        f"/api/v1/bookings/{booking_id}/cancel",
        json={"reason": "La tisserande est malade"},
        headers=auth.headers("coordinator"),
    )
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    left = client.get(f"/api/v1/cooperatives/{TAZA}/sessions").get_json()["items"][0]
    assert left["places_left"] == 3
    assert (
        client.post("/api/v1/bookings", json=ask, headers=auth.headers("coordinator")).status_code
        == 403
    )


def test_the_cooperative_page_shows_hours_and_sessions(client, auth):
    _create(client, auth, sessions=[
        {"id": "soon", "starts_at": "2099-12-05T10:00:00+01:00"},
        {"id": "later", "starts_at": "2099-12-12T14:30:00+01:00", "capacity": 2},
    ])  # fmt: skip
    client.post(
        "/api/v1/bookings",
        json={"workshop": WORKSHOP, "session": "later", "places": 2},
        headers=auth.headers("buyer"),
    )
    coop = client.get(f"/api/v1/directory/cooperatives/{TAZA}").get_json()
    body = {k: coop[k] for k in ("name", "region", "crafts") if k in coop}
    body["visiting_hours"] = [
        {"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "16:00"}
    ]
    put = client.put(
        f"/api/v1/directory/cooperatives/{TAZA}",
        json=body,
        headers={**auth.headers("coordinator"), "If-Match": f'"{coop["rev"]}"'},
    )
    assert put.status_code == 200, put.get_json()
    fr = client.get(f"/c/{TAZA}?lang=fr").get_data(as_text=True)
    assert "lundi – vendredi" in fr and "09:00 – 16:00" in fr
    assert "samedi 5 décembre 2099, 10:00" in fr
    assert "Places restantes : 3" in fr and "Complet" in fr
    assert f'href="/buy/book/{WORKSHOP}/soon?lang=fr"' in fr
    assert f"/buy/book/{WORKSHOP}/later" not in fr  # full: no Book link
    ar = client.get(f"/c/{TAZA}?lang=ar").get_data(as_text=True)
    assert "الاثنين – الجمعة" in ar and "دجنبر 2099" in ar and "احجز" in ar

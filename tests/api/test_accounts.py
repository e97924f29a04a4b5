"""Who may create, reset and disable which accounts; cooperatives."""

from __future__ import annotations

import pytest

NEW_ARTISAN = {
    "phone": "0661234567",
    "display_name": "خديجة",
    "pin": "1357",
    "cooperative_id": "coop-taza-zerbia",
}


def test_coordinator_onboards_an_artisan_who_can_sign_in(client, auth):
    response = client.post(
        "/api/v1/artisans", json=NEW_ARTISAN, headers=auth.headers("coordinator")
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["phone"] == "+212661234567" and body["role"] == "artisan"
    login = client.post("/api/v1/auth/login", json={"phone": "+212661234567", "pin": "1357"})
    assert login.status_code == 200


def test_coordinator_cannot_onboard_into_another_cooperative(client, auth):
    other = {**NEW_ARTISAN, "cooperative_id": "coop-essaouira-argan"}
    response = client.post("/api/v1/artisans", json=other, headers=auth.headers("coordinator"))
    assert response.status_code == 403


def test_admin_onboards_into_any_cooperative(client, auth):
    other = {**NEW_ARTISAN, "cooperative_id": "coop-essaouira-argan"}
    assert (
        client.post("/api/v1/artisans", json=other, headers=auth.headers("admin")).status_code
        == 201
    )


def test_unknown_cooperative_is_404(client, auth):
    other = {**NEW_ARTISAN, "cooperative_id": "coop-nowhere"}
    response = client.post("/api/v1/artisans", json=other, headers=auth.headers("admin"))
    assert response.status_code == 404


def test_phone_taken_is_409_and_the_first_account_is_kept(client, auth):
    taken = {**NEW_ARTISAN, "phone": "0600000100"}
    response = client.post("/api/v1/artisans", json=taken, headers=auth.headers("coordinator"))
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "conflict"
    assert (
        client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "2580"}).status_code
        == 200
    )


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", ""])
def test_pins_must_be_4_to_8_digits(client, auth, pin):
    response = client.post(
        "/api/v1/artisans", json={**NEW_ARTISAN, "pin": pin}, headers=auth.headers("coordinator")
    )
    assert response.status_code == 400
    assert "pin" in response.get_json()["error"]["details"]["fields"]


def test_buyer_registers_and_is_signed_in(client):
    response = client.post(
        "/api/v1/buyers",
        json={"phone": "+33 6 11 22 33 44", "display_name": "Jean", "password": "tapis-bleu-2026"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["user"]["role"] == "buyer" and body["user"]["phone"] == "+33611223344"
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200


def test_buyer_cannot_choose_a_role(client):
    response = client.post(
        "/api/v1/buyers",
        json={
            "phone": "+33611223345",
            "display_name": "Eve",
            "password": "x" * 10,
            "role": "admin",
        },
    )
    assert response.status_code == 400


def test_admin_creates_cooperative_and_coordinator(client, auth):
    coop = client.post(
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
    assert coop.status_code == 201
    assert coop.get_json()["name_ar"] == "تعاونية تنغير"
    coord = client.post(
        "/api/v1/coordinators",
        headers=auth.headers("admin"),
        json={
            "phone": "0677889900",
            "display_name": "Naima",
            "password": "coop-pass-2026",
            "cooperative_ids": ["coop-tinghir-tapis", "coop-taza-zerbia"],
        },
    )
    assert coord.status_code == 201
    assert coord.get_json()["cooperative_ids"] == ["coop-taza-zerbia", "coop-tinghir-tapis"]


def test_cooperative_region_and_categories_are_checked(client, auth):
    response = client.post(
        "/api/v1/cooperatives",
        headers=auth.headers("admin"),
        json={"name_ar": "x", "name_fr": "x", "region": "atlantis", "categories": ["spaceships"]},
    )
    assert response.status_code == 400
    assert set(response.get_json()["error"]["details"]["fields"]) == {"region", "categories"}


def test_coordinator_cannot_create_coordinators_or_cooperatives(client, auth):
    headers = auth.headers("coordinator")
    assert client.post("/api/v1/coordinators", headers=headers, json={}).status_code == 403
    assert client.post("/api/v1/cooperatives", headers=headers, json={}).status_code == 403


def test_coordinator_resets_a_pin_and_old_sessions_end(client, auth):
    old = auth.login("artisan")
    response = client.put(
        "/api/v1/users/art_fatima/pin", json={"pin": "97531"}, headers=auth.headers("coordinator")
    )
    assert response.status_code == 204
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {old['access_token']}"})
    assert me.status_code == 401
    refresh = client.post("/api/v1/auth/refresh", json={"refresh_token": old["refresh_token"]})
    assert refresh.status_code == 401
    assert (
        client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "97531"}).status_code
        == 200
    )


def test_a_pin_reset_lifts_the_lock_out(client, auth, app):
    free = app.extensions["hirfa"].settings.lockout_free_failures
    for _ in range(free + 1):
        client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "0000"})
    locked = client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "2580"})
    assert locked.status_code == 429
    response = client.put(
        "/api/v1/users/art_fatima/pin", json={"pin": "97531"}, headers=auth.headers("coordinator")
    )
    assert response.status_code == 204
    # The coordinator has checked who she is: she signs in with the new PIN at once.
    login = client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "97531"})
    assert login.status_code == 200, login.get_json()


def test_coordinator_cannot_reset_another_cooperatives_artisan(client, auth):
    response = client.put(
        "/api/v1/users/art_zahra/pin", json={"pin": "1111"}, headers=auth.headers("coordinator")
    )
    assert response.status_code == 403


def test_coordinator_cannot_reset_a_coordinator_or_buyer(client, auth):
    for target in ("coo_rachid", "buy_claire"):
        response = client.put(
            f"/api/v1/users/{target}/pin", json={"pin": "1111"}, headers=auth.headers("coordinator")
        )
        assert response.status_code == 403


def test_reset_unknown_user_is_404(client, auth):
    response = client.put(
        "/api/v1/users/nobody/pin", json={"pin": "1111"}, headers=auth.headers("admin")
    )
    assert response.status_code == 404


def test_disable_ends_sessions_and_blocks_sign_in(client, auth):
    session = auth.login("artisan")
    response = client.put(
        "/api/v1/users/art_fatima/disabled",
        json={"disabled": True},
        headers=auth.headers("coordinator"),
    )
    assert response.status_code == 200 and response.get_json()["disabled"] is True
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status_code == 401
    login = client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "2580"})
    assert login.status_code == 403
    assert login.get_json()["error"]["code"] == "account_disabled"
    client.put(
        "/api/v1/users/art_fatima/disabled",
        json={"disabled": False},
        headers=auth.headers("coordinator"),
    )
    assert (
        client.post("/api/v1/auth/login", json={"phone": "0600000100", "pin": "2580"}).status_code
        == 200
    )


def test_admin_cannot_disable_themself(client, auth):
    response = client.put(
        "/api/v1/users/adm_demo/disabled", json={"disabled": True}, headers=auth.headers("admin")
    )
    assert response.status_code == 403


def test_coordinator_lists_only_her_cooperatives_artisans(client, auth):
    mine = client.get(
        "/api/v1/cooperatives/coop-taza-zerbia/artisans", headers=auth.headers("coordinator")
    )
    assert mine.status_code == 200
    assert {u["id"] for u in mine.get_json()} == {"art_fatima", "art_khadija"}
    theirs = client.get(
        "/api/v1/cooperatives/coop-essaouira-argan/artisans", headers=auth.headers("coordinator")
    )
    assert theirs.status_code == 403


def test_profile_update(client, auth):
    response = client.patch("/api/v1/me", json={"locale": "fr"}, headers=auth.headers("artisan"))
    assert response.status_code == 200 and response.get_json()["locale"] == "fr"
    bad = client.patch("/api/v1/me", json={"locale": "de"}, headers=auth.headers("artisan"))
    assert bad.status_code == 400


def test_reference_data_in_three_languages(client):
    categories = client.get("/api/v1/reference/categories").get_json()
    assert {"carpets", "pottery", "argan", "basketry", "embroidery"} <= {
        c["code"] for c in categories
    }
    regions = client.get("/api/v1/reference/regions").get_json()
    assert len(regions) == 12
    assert all(r["ar"] and r["fr"] and r["en"] for r in regions)


@pytest.mark.parametrize("value", ["yes", 1, "true"])
def test_disabled_is_a_boolean_not_a_word_for_one(client, auth, value):
    """The docs say boolean; marshmallow's Boolean also took "yes" and 1 (schemathesis)."""
    response = client.put(
        "/api/v1/users/art_fatima/disabled",
        json={"disabled": value},
        headers=auth.headers("coordinator"),
    )
    assert response.status_code == 400, response.get_json()
    assert "disabled" in response.get_json()["error"]["details"]["fields"]

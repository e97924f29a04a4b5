"""When every session of an account ends, so do its pushes: a lost phone whose owner
logged out everywhere, or an account a coordinator disabled, is woken no more."""

from __future__ import annotations

from tests.support.orders import register_device, rows


def test_logout_everywhere_removes_every_device_of_the_account(app, client, auth):
    register_device(client, auth, "artisan", "tok-lost-phone")
    register_device(client, auth, "artisan", "tok-tablet")
    register_device(client, auth, "artisan2", "tok-khadija")
    response = client.post("/api/v1/auth/logout-all", headers=auth.headers("artisan"))
    assert response.status_code == 204
    assert rows(app, "SELECT token FROM devices") == [("tok-khadija",)]


def test_disabling_an_account_removes_its_devices(app, client, auth):
    register_device(client, auth, "artisan", "tok-phone")
    register_device(client, auth, "artisan2", "tok-khadija")
    me = client.get("/api/v1/me", headers=auth.headers("artisan")).get_json()
    response = client.put(
        f"/api/v1/users/{me['id']}/disabled",
        json={"disabled": True},
        headers=auth.headers("coordinator"),
    )
    assert response.status_code == 200, response.get_json()
    assert rows(app, "SELECT token FROM devices") == [("tok-khadija",)]

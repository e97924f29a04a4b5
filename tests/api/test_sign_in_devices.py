"""Sign-in that cannot be used against its owner: device credentials (OWASP's device
cookies), growing delays per number and per address, and a lock a coordinator lifts."""

from __future__ import annotations

import pytest

from tests.support.apps import make_app
from tests.support.sign_in import Clock, Device, guess_until_locked

FATIMA = "+212600000100"


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code, error
    return error


def _retry_after(response, scope: str) -> int:
    error = _error(response, 429, "too_many_requests")
    assert error["details"]["scope"] == scope, error
    wait = int(response.headers["Retry-After"])
    assert error["details"]["retry_after"] == wait
    return wait


@pytest.fixture
def clock(app):
    return Clock.on(app)


def test_a_sign_in_hands_out_a_device_credential_that_is_kept(client, clock):
    phone = Device(client)
    first = phone.login("artisan")
    assert first.status_code == 200
    credential = first.get_json()["device_credential"]
    assert credential and credential != first.get_json()["refresh_token"]
    again = phone.login("artisan")  # sent back: the same device, the same credential
    assert again.get_json()["device_credential"] == credential
    by_header = phone.login("artisan", header=True)
    assert by_header.get_json()["device_credential"] == credential
    other = Device(client).login("artisan")  # another phone gets its own
    assert other.get_json()["device_credential"] != credential


def test_a_lock_out_from_elsewhere_never_blocks_a_known_device(app, client, clock):
    # The probe: wrong PINs from a foreign address against an artisan whose
    # phone has signed in before. Her phone still signs in, from home or from the
    # attacker's own address (one NAT), while unknown devices are locked out.
    home = Device(client, "198.51.100.10")
    assert home.login("artisan").status_code == 200
    attacker = Device(client, "203.0.113.66")
    failures = guess_until_locked(attacker, "artisan", clock)
    assert failures == app.extensions["hirfa"].settings.lockout_max_failures == 100
    _error(attacker.login("artisan"), 429, "sign_in_locked")  # even with the right PIN
    _error(Device(client, "198.51.100.10").login("artisan"), 429, "sign_in_locked")
    assert home.login("artisan").status_code == 200
    neighbour = Device(client, "203.0.113.66")
    neighbour.credentials = dict(home.credentials)  # her phone, on the attacker's network
    assert neighbour.login("artisan").status_code == 200


def test_a_stolen_credential_of_another_account_does_not_help(client, clock):
    fatima = Device(client)
    assert fatima.login("artisan").status_code == 200
    thief = Device(client, "203.0.113.66")
    guess_until_locked(thief, "artisan2", clock)
    # Fatima's credential is hers: for Khadija's number it is an unknown device.
    stolen = fatima.credentials[FATIMA]
    _error(thief.login("artisan2", credential=stolen), 429, "sign_in_locked")
    _error(thief.login("artisan2", credential="forged.credential"), 429, "sign_in_locked")


def test_failures_from_a_known_device_count_for_that_device_only(client, clock):
    phone, tablet = Device(client), Device(client)
    assert phone.login("artisan").status_code == 200
    assert tablet.login("artisan").status_code == 200
    for _ in range(6):  # five free, the sixth starts the device's delay
        assert phone.login("artisan", pin="0000").status_code == 401
    assert _retry_after(phone.login("artisan"), "device") == 30
    assert tablet.login("artisan").status_code == 200  # her other device
    assert Device(client).login("artisan").status_code == 200  # and a new phone
    clock.advance(30)
    assert phone.login("artisan").status_code == 200  # a success clears the device's count
    for _ in range(5):
        assert phone.login("artisan", pin="0000").status_code == 401


def test_a_device_that_keeps_failing_is_forgotten(client, clock):
    phone = Device(client)
    assert phone.login("artisan").status_code == 200
    old = phone.credentials[FATIMA]
    for _ in range(10):  # the device's own allowance: then it is an unknown device
        response = phone.login("artisan", pin="0000")
        if response.status_code == 429:
            clock.advance(_retry_after(response, "device"))
            response = phone.login("artisan", pin="0000")
        assert response.status_code == 401
    # An unknown device now: its failures count for the number, from the first.
    for _ in range(6):
        assert phone.login("artisan", pin="0000").status_code == 401
    assert _retry_after(phone.login("artisan"), "phone") == 30
    clock.advance(30)
    again = phone.login("artisan")
    assert again.status_code == 200 and again.get_json()["device_credential"] != old


def test_unknown_devices_wait_growing_delays_per_number(client, clock):
    stranger = Device(client, "203.0.113.9")
    for _ in range(5):
        assert stranger.login("artisan", pin="0000").status_code == 401
    waits = []
    for _ in range(7):
        assert stranger.login("artisan", pin="0000").status_code == 401
        wait = _retry_after(stranger.login("artisan"), "phone")  # even the right PIN waits
        waits.append(wait)
        clock.advance(wait - 1)
        assert _retry_after(stranger.login("artisan"), "phone") == 1
        clock.advance(1)
    assert waits == [30, 60, 120, 240, 300, 300, 300]  # doubling, capped at five minutes
    assert stranger.login("artisan").status_code == 200  # and a success clears the count
    for _ in range(5):
        assert stranger.login("artisan", pin="0000").status_code == 401


def test_a_known_device_signing_in_does_not_clear_failures_from_elsewhere(client, clock):
    home, stranger = Device(client), Device(client, "203.0.113.9")
    assert home.login("artisan").status_code == 200
    for _ in range(6):
        assert stranger.login("artisan", pin="0000").status_code == 401
    assert home.login("artisan").status_code == 200
    assert _retry_after(stranger.login("artisan"), "phone") == 30


def test_unknown_devices_wait_growing_delays_per_address(tmp_path):
    # A slow leak (one failure forgiven per hour) keeps the sequence exact here.
    app = make_app(tmp_path, address_leak_seconds=3600)
    clock, client = Clock.on(app), app.test_client()
    village = Device(client, "192.0.2.1")
    assert village.login("artisan").status_code == 200  # a known device behind the NAT
    walker = Device(client, "192.0.2.1")

    def wrong(n: int):
        return walker.login(None, phone=f"+2126000003{n:02d}")

    for n in range(20):  # 20 free failures from one address, one per number
        assert wrong(n).status_code == 401
    waits = []
    for n in range(20, 27):
        assert wrong(n).status_code == 401
        wait = _retry_after(wrong(99), "addr")
        waits.append(wait)
        # Unknown devices at this address wait; its known devices and other addresses do not.
        assert _retry_after(Device(client, "192.0.2.1").login("artisan2"), "addr") == wait
        assert village.login("artisan").status_code == 200
        assert Device(client, "192.0.2.2").login("artisan2").status_code == 200
        clock.advance(wait)
    assert waits == [10, 20, 40, 80, 160, 300, 300]


def test_failures_from_an_address_are_forgiven_one_every_five_minutes(client, clock):
    walker = Device(client, "192.0.2.1")
    for n in range(21):
        assert walker.login(None, phone=f"+2126000003{n:02d}").status_code == 401
    assert _retry_after(walker.login("artisan"), "addr") == 10
    clock.advance(2 * 300)  # two failures forgiven: one free attempt left, then a delay
    assert walker.login(None, phone="+212600000399").status_code == 401
    assert walker.login(None, phone="+212600000398").status_code == 401
    assert _retry_after(walker.login("artisan"), "addr") == 10


def test_a_villages_occasional_wrong_pins_never_add_up(client, clock):
    village = Device(client, "192.0.2.1")
    for n in range(60):  # five hours of somebody mistyping, about every five minutes
        assert village.login(None, phone=f"+2126000005{n:02d}").status_code == 401
        clock.advance(290)
    assert Device(client, "192.0.2.1").login("artisan").status_code == 200


def test_successes_are_never_counted_against_an_address(tmp_path):
    app = make_app(tmp_path, address_free_failures=3)
    Clock.on(app)
    client = app.test_client()
    office = Device(client, "192.0.2.50")
    for round_ in range(3):  # many sign-ins, new devices each time, between failures
        for who in ("artisan", "artisan2", "coordinator", "admin"):
            assert Device(client, "192.0.2.50").login(who).status_code == 200, round_
        assert office.login(None, phone=f"+21260000040{round_}").status_code == 401
    assert Device(client, "192.0.2.50").login("artisan").status_code == 200
    # The fourth failure from the address is the first beyond its allowance.
    assert office.login(None, phone="+212600000409").status_code == 401
    _retry_after(Device(client, "192.0.2.50").login("artisan"), "addr")


def test_a_coordinator_lifts_the_lock(client, auth, clock):
    guess_until_locked(Device(client, "203.0.113.66"), "artisan", clock)
    new_phone = Device(client)
    _error(new_phone.login("artisan"), 429, "sign_in_locked")
    lifted = client.post("/api/v1/users/art_fatima/unlock", headers=auth.headers("coordinator"))
    assert lifted.status_code == 204
    assert new_phone.login("artisan").status_code == 200


def test_lifting_a_lock_clears_a_known_devices_delay_too(client, auth, clock):
    phone = Device(client)
    assert phone.login("artisan").status_code == 200
    for _ in range(6):
        phone.login("artisan", pin="0000")
    _retry_after(phone.login("artisan"), "device")
    lifted = client.post("/api/v1/users/art_fatima/unlock", headers=auth.headers("admin"))
    assert lifted.status_code == 204
    assert phone.login("artisan").status_code == 200


@pytest.mark.parametrize(
    "who, target, status",
    [
        ("coordinator2", "art_fatima", 403),  # not her cooperative
        ("coordinator", "art_zahra", 403),
        ("coordinator", "coo_rachid", 403),  # coordinators are unlocked by an admin
        ("admin", "coo_naima", 204),
        ("coordinator", "nobody", 404),
    ],
)
def test_who_may_lift_a_lock(client, auth, who, target, status):
    response = client.post(f"/api/v1/users/{target}/unlock", headers=auth.headers(who))
    assert response.status_code == status, response.get_json()


def test_a_coordinator_of_another_cooperative_leaves_the_lock_in_place(client, auth, clock):
    guess_until_locked(Device(client, "203.0.113.66"), "artisan", clock)
    refused = client.post("/api/v1/users/art_fatima/unlock", headers=auth.headers("coordinator2"))
    _error(refused, 403, "forbidden")
    _error(Device(client).login("artisan"), 429, "sign_in_locked")


def test_a_pin_reset_lifts_the_lock_and_forgets_her_devices(client, auth, clock):
    lost = Device(client)
    assert lost.login("artisan").status_code == 200
    guess_until_locked(Device(client, "203.0.113.66"), "artisan", clock)
    reset = client.put(
        "/api/v1/users/art_fatima/pin", json={"pin": "97531"}, headers=auth.headers("coordinator")
    )
    assert reset.status_code == 204
    # The lost phone's credential is worth nothing now: it is an unknown device.
    for _ in range(6):
        assert lost.login("artisan", pin="0000").status_code == 401
    _retry_after(lost.login("artisan", pin="97531"), "phone")


def test_a_bad_credential_is_an_unknown_device_not_an_error(client, clock):
    for credential in ("", "x", "é.é", "a" * 200, "abc.def", "only-an-id"):
        response = Device(client).login("artisan", credential=credential)
        assert response.status_code == 200, (credential, response.get_json())
    too_long = Device(client).login("artisan", credential="a" * 201)
    assert _error(too_long, 400, "validation_error")["details"]["fields"].keys() == {
        "device_credential"
    }


def test_logging_out_everywhere_forgets_her_devices(client, clock):
    phone = Device(client)
    session = phone.login("artisan").get_json()
    out = client.post(
        "/api/v1/auth/logout-all", headers={"Authorization": f"Bearer {session['access_token']}"}
    )
    assert out.status_code == 204
    for _ in range(6):  # counted for the number now, as any unknown device's
        assert phone.login("artisan", pin="0000").status_code == 401
    _retry_after(phone.login("artisan"), "phone")

"""Signing in as a phone or a browser would, from a given address, keeping the device
credential the server hands out; and a clock the tests move by hand, so the throttle's
delays are waited out without sleeping and asserted without the wall clock."""

from __future__ import annotations

from tests.support.apps import DEMO

LOGIN = "/api/v1/auth/login"


class Clock:
    """The app's clock (``Hirfa.clock``), moved only by ``advance``."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @classmethod
    def on(cls, app) -> Clock:
        clock = cls()
        app.extensions["hirfa"].clock = clock
        return clock


class Device:
    """One phone (or REST client) at one client address. It keeps the device credential
    of its last successful sign-in to each account and sends it back, unless told not to."""

    def __init__(self, client, address: str = "198.51.100.10"):
        self.client = client
        self.address = address
        self.credentials: dict[str, str] = {}  # phone -> device credential

    def login(self, who: str, *, pin: str | None = None, phone: str | None = None, **how):
        """``how``: ``credential=`` to send another one (None: none), ``header=True`` to
        send it as ``X-Device-Credential`` instead of in the body."""
        number, secret = DEMO[who] if who in DEMO else (phone, {"pin": "0000"})
        if pin is not None:
            secret = {"pin": pin}
        credential = how.get("credential", self.credentials.get(number))
        body, headers = {"phone": number, **secret}, {}
        if credential is not None and how.get("header"):
            headers["X-Device-Credential"] = credential
        elif credential is not None:
            body["device_credential"] = credential
        response = self.client.post(
            LOGIN, json=body, headers=headers, environ_base={"REMOTE_ADDR": self.address}
        )
        if response.status_code == 200:
            self.credentials[number] = response.get_json()["device_credential"]
        return response


def guess_until_locked(device: Device, who: str, clock: Clock, limit: int = 1000) -> int:
    """Wrong PINs for ``who`` from ``device``, each delay waited out on ``clock``, until
    the server locks unknown devices out of the number; returns the failures it took."""
    failures = 0
    for _ in range(limit):
        response = device.login(who, pin="0000")
        if response.status_code == 401:
            failures += 1
            continue
        assert response.status_code == 429, response.get_json()
        if response.get_json()["error"]["code"] == "sign_in_locked":
            return failures
        clock.advance(int(response.headers["Retry-After"]))
    raise AssertionError(f"still not locked after {limit} attempts")

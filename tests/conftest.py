"""Real parts for every test: a temp SQLite file, the real app and its test client."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from api import create_app
from seed import demo, populate

# `make fuzz` sets HYPOTHESIS_PROFILE=fuzz: many more examples for the property tests
# that follow the profile (differential, replicator merges, hub and spokes).
settings.register_profile("fuzz", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Fixtures that start real servers (pouchdb-server from npm, Hirfa over HTTP, a fake FCM,
# headless Chromium), for every test module without importing them.
pytest_plugins = [
    "tests.pouchdb_server",
    "tests.live_server",
    "tests.fake_fcm",
    "tests.orders_support",
    "tests.browser",
]

# Cheap argon2 for tests only: the cost is a setting, the code path is the real one.
FAST_KDF = {"argon2_memory_kib": 64, "argon2_time_cost": 1}


def make_config(tmp_path, **overrides) -> dict:
    return {
        "env": "testing",
        "var_dir": str(tmp_path / "var"),
        "jwt_signing_key": "test-signing-key-" + "0123456789abcdef" * 3,
        **FAST_KDF,
        **overrides,
    }


@pytest.fixture
def app(tmp_path):
    app = create_app(make_config(tmp_path))
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    db.close()
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    conn = app.extensions["hirfa"].open_db()
    yield conn
    conn.close()


DEMO = {
    "admin": ("+212600000001", {"password": demo.ADMIN_PASSWORD}),
    "coordinator": ("+212600000010", {"password": demo.COORDINATOR_PASSWORD}),
    "coordinator2": ("+212600000011", {"password": demo.COORDINATOR_PASSWORD}),
    "artisan": ("+212600000100", {"pin": demo.ARTISAN_PIN}),
    "artisan2": ("+212600000101", {"pin": demo.ARTISAN_PIN}),
    "artisan_other_coop": ("+212600000102", {"pin": demo.ARTISAN_PIN}),
    "buyer": ("+33600000001", {"password": demo.BUYER_PASSWORD}),
}


class Auth:
    """Signs in as a demo account and builds headers; ``auth.headers("artisan")``."""

    def __init__(self, client):
        self.client = client
        self.sessions: dict[str, dict] = {}

    def login(self, who: str) -> dict:
        phone, secret = DEMO[who]
        response = self.client.post("/api/v1/auth/login", json={"phone": phone, **secret})
        assert response.status_code == 200, response.get_json()
        self.sessions[who] = response.get_json()
        return self.sessions[who]

    def token(self, who: str) -> str:
        if who not in self.sessions:
            self.login(who)
        return self.sessions[who]["access_token"]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(who)}"}


@pytest.fixture
def auth(client):
    return Auth(client)

"""The app as the tests build it: a test configuration, a seeded app, the demo accounts
and signing in as one of them."""

from __future__ import annotations

from api import create_app
from seed import demo, populate

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


def make_app(tmp_path, **config):
    app = create_app(make_config(tmp_path, **config))
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    db.close()
    return app


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

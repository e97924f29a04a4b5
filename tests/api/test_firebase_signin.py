"""Exchanging a Firebase phone-auth ID token, with the real firebase-admin library.

Google's signing keys cannot be reached from here, so the library runs in its
supported Auth-emulator mode (FIREBASE_AUTH_EMULATOR_HOST on loopback), in which it
checks audience, issuer, subject and expiry but not the signature. Nothing listens
on that address: verify_id_token makes no request without ``check_revoked``.
"""

from __future__ import annotations

import base64
import json
import time

import firebase_admin
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from api import create_app
from seed import populate
from tests.support.apps import make_config

PROJECT = "hirfa-test"


def _unsigned(claims: dict) -> str:
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _id_token(phone: str | None, **changes) -> str:
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{PROJECT}",
        "aud": PROJECT,
        "sub": "firebase-uid-1",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "phone"},
    }
    if phone:
        claims["phone_number"] = phone
    claims.update(changes)
    return _unsigned(claims)


@pytest.fixture
def firebase_client(tmp_path, monkeypatch):
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    account = tmp_path / "service-account.json"
    account.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": PROJECT,
                "private_key_id": "k1",
                "private_key": pem,
                "client_email": f"sdk@{PROJECT}.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "http://127.0.0.1:9/token",
            }
        )
    )
    app = create_app(make_config(tmp_path, firebase_credentials=str(account)))
    hirfa = app.extensions["hirfa"]
    populate(hirfa.open_db(), hirfa.hasher)
    yield app.test_client()
    firebase_admin.delete_app(hirfa.firebase_app)


def test_firebase_phone_token_signs_in_the_matching_account(firebase_client):
    response = firebase_client.post(
        "/api/v1/auth/firebase", json={"id_token": _id_token("+212600000100")}
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["user"]["id"] == "art_fatima"
    assert response.get_json()["refresh_token"]


@pytest.mark.parametrize(
    "token",
    [
        _id_token("+212600000100", aud="another-project"),
        _id_token("+212600000100", iss="https://evil.example/"),
        _id_token("+212600000100", exp=int(time.time()) - 3600),
        "not-a-token",
    ],
)
def test_bad_firebase_tokens_are_401(firebase_client, token):
    response = firebase_client.post("/api/v1/auth/firebase", json={"id_token": token})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_unknown_or_missing_phone_is_401(firebase_client):
    unknown = firebase_client.post(
        "/api/v1/auth/firebase", json={"id_token": _id_token("+212699999999")}
    )
    assert unknown.status_code == 401 and "coordinator" in unknown.get_json()["error"]["message"]
    none = firebase_client.post("/api/v1/auth/firebase", json={"id_token": _id_token(None)})
    assert none.status_code == 401

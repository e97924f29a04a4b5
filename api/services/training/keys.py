"""The Ed25519 keys certificates are signed with, and the JWKS that publishes them.

A key's ``kid`` is its RFC 7638 thumbprint, so anyone can check that a JWKS entry is the
key it claims to be. Rotating retires the current key without deleting it: a certificate
signed last year still verifies against today's JWKS. The private keys live in the
store's file, so a backup carries them; whoever holds a backup can sign as this server
(docs/training.md, "Keys").
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlite_utils
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.store.database import write_transaction


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk(private_key: Ed25519PrivateKey) -> dict[str, str]:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace."""
    required = {k: jwk[k] for k in ("crv", "kty", "x")}
    canonical = json.dumps(required, sort_keys=True, separators=(",", ":")).encode()
    return _b64url(hashlib.sha256(canonical).digest())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _create(db: sqlite_utils.Database) -> SigningKey:
    private_key = Ed25519PrivateKey.generate()
    jwk = public_jwk(private_key)
    kid = thumbprint(jwk)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    published = {**jwk, "kid": kid, "use": "sig", "alg": "EdDSA"}
    db.execute(
        "INSERT INTO signing_keys (kid, private_pem, public_jwk, created_at) VALUES (?, ?, ?, ?)",
        [kid, pem, json.dumps(published), _now()],
    )
    return SigningKey(kid, private_key)


def current(db: sqlite_utils.Database) -> SigningKey:
    """The key new certificates are signed with (made on first use)."""
    with write_transaction(db):
        row = db.execute(
            "SELECT kid, private_pem FROM signing_keys WHERE retired_at IS NULL "
            "ORDER BY rowid DESC LIMIT 1"  # newest first, even within one second
        ).fetchone()
        if row is None:
            return _create(db)
    key = serialization.load_pem_private_key(row[1].encode(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return SigningKey(row[0], key)


def rotate(db: sqlite_utils.Database) -> str:
    """Retire the current key (kept in the JWKS) and make a new one; returns its kid."""
    with write_transaction(db):
        db.execute("UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", [_now()])
        return _create(db).kid


def jwks(db: sqlite_utils.Database) -> dict[str, list[dict[str, str]]]:
    """Every public key, current and retired, newest first."""
    rows = db.execute("SELECT public_jwk FROM signing_keys ORDER BY rowid DESC")
    return {"keys": [json.loads(r[0]) for r in rows]}

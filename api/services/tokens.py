"""Access tokens (short JWTs) and refresh tokens (long, rotated, with reuse detection).

A refresh token is ``<id>.<mac>`` with ``mac = HMAC(key, id)``. Only its SHA-256 is
stored. Because the server can recompute a token from its id, a phone that retries
a refresh whose answer was lost on a 2G link, within the grace period, gets the same
successor token again instead of being treated as a thief and logged out.
Replaying a used token after the grace period revokes the whole family (RFC 6819
section 5.2.2.3; OAuth 2.0 Security BCP, refresh token rotation).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

import jwt
import sqlite_utils

from sync.store.database import fetch_all, write_transaction

from ..config import Settings
from ..errors import InvalidRefreshToken, InvalidToken, TokenExpired
from .accounts import User

ALGORITHM = "HS256"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def to_dict(self) -> dict:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
        }


def issue_access_token(settings: Settings, user: User, now: float | None = None) -> str:
    now = int(time.time() if now is None else now)
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user.id,
        "iat": now,
        "nbf": now,
        "exp": now + settings.access_token_seconds,
        "jti": secrets.token_hex(8),
        "role": user.role,
        "coops": list(user.cooperative_ids),
        "sv": user.session_version,
    }
    return jwt.encode(claims, settings.jwt_signing_key, algorithm=ALGORITHM)


# A phone sends its bearer token with every request (a PouchDB pull fetches each
# attachment with a GET of its own), and checking the signature again took ~100 us: the
# largest step of such a request after Flask's own. A token verifies the same way every
# time for the same key, issuer and audience, so its verified claims are kept; what
# depends on the clock (iat, nbf, exp) is checked at every use, as PyJWT checks it.
LEEWAY_SECONDS = 30  # phones' clocks drift
_REQUIRED = ["exp", "iat", "sub", "iss", "aud"]


@functools.lru_cache(maxsize=1024)
def _verified_claims(key: str, audience: str, issuer: str, token: str) -> dict:
    """Signature, algorithm, issuer, audience and required claims: all but the clock."""
    return jwt.decode(
        token,
        key,
        algorithms=[ALGORITHM],  # pinned: no "none", no algorithm confusion
        audience=audience,
        issuer=issuer,
        options={
            "require": _REQUIRED,
            "verify_exp": False,
            "verify_nbf": False,
            "verify_iat": False,
        },
    )


def _check_clock(claims: dict, now: float, leeway: float) -> None:
    """PyJWT's own time checks (jwt/api_jwt.py ``_validate_iat/nbf/exp``), in its order."""
    try:
        iat = int(claims["iat"])
    except (ValueError, TypeError, OverflowError):
        raise jwt.InvalidIssuedAtError("Issued At claim (iat) must be an integer.") from None
    if iat > now + leeway:
        raise jwt.ImmatureSignatureError("The token is not yet valid (iat)")
    if "nbf" in claims:
        try:
            nbf = int(claims["nbf"])
        except (ValueError, TypeError, OverflowError):
            raise jwt.DecodeError("Not Before claim (nbf) must be an integer.") from None
        if nbf > now + leeway:
            raise jwt.ImmatureSignatureError("The token is not yet valid (nbf)")
    try:
        exp = int(claims["exp"])
    except (ValueError, TypeError, OverflowError):
        raise jwt.DecodeError("Expiration Time claim (exp) must be an integer.") from None
    if exp <= now - leeway:
        raise jwt.ExpiredSignatureError("Signature has expired")


def decode_access_token(settings: Settings, token: str, now: float | None = None) -> dict:
    """Verify signature, algorithm, issuer, audience and expiry; raise 401 errors."""
    try:
        claims = _verified_claims(
            settings.jwt_signing_key, settings.jwt_audience, settings.jwt_issuer, token
        )
        _check_clock(claims, time.time() if now is None else now, LEEWAY_SECONDS)
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired() from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(details={"reason": str(exc)}) from exc
    return dict(claims)  # a copy: the kept claims are shared by every request


def _mac(settings: Settings, token_id: str) -> str:
    digest = hmac.new(
        settings.jwt_signing_key.encode(), b"refresh:" + token_id.encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _token(settings: Settings, token_id: str) -> str:
    return f"{token_id}.{_mac(settings, token_id)}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _insert_refresh(
    db: sqlite_utils.Database,
    settings: Settings,
    user_id: str,
    family_id: str,
    parent_id: str | None,
    now: float,
) -> str:
    token_id = secrets.token_urlsafe(18)
    token = _token(settings, token_id)
    db["refresh_tokens"].insert(
        {
            "id": token_id,
            "family_id": family_id,
            "user_id": user_id,
            "token_hash": _hash(token),
            "parent_id": parent_id,
            "created_at": now,
            "expires_at": now + settings.refresh_token_days * 86400,
            "used_at": None,
            "successor_id": None,
            "revoked_at": None,
        }
    )
    return token_id


def issue_pair(db: sqlite_utils.Database, settings: Settings, user: User) -> TokenPair:
    """A new session (a new refresh-token family)."""
    now = time.time()
    with write_transaction(db):
        token_id = _insert_refresh(db, settings, user.id, secrets.token_hex(12), None, now)
    return TokenPair(
        issue_access_token(settings, user, now),
        _token(settings, token_id),
        settings.access_token_seconds,
    )


def _lookup(db: sqlite_utils.Database, settings: Settings, token: str) -> dict:
    # Every token we issue is URL-safe base64: anything else is no token of ours (and
    # compare_digest raises TypeError on non-ASCII str).
    if not token.isascii():
        raise InvalidRefreshToken()
    token_id, _, mac = token.partition(".")
    if not token_id or not hmac.compare_digest(mac.encode(), _mac(settings, token_id).encode()):
        raise InvalidRefreshToken()
    rows = fetch_all(db, "SELECT * FROM refresh_tokens WHERE id = ?", [token_id])
    if not rows or not hmac.compare_digest(rows[0]["token_hash"].encode(), _hash(token).encode()):
        raise InvalidRefreshToken()
    return rows[0]


def rotate(
    db: sqlite_utils.Database, settings: Settings, token: str, now: float | None = None
) -> tuple[str, str]:
    """Use a refresh token once: returns (user id, successor refresh token)."""
    now = time.time() if now is None else now
    with write_transaction(db):
        row = _lookup(db, settings, token)
        if row["revoked_at"] is not None or row["expires_at"] <= now:
            raise InvalidRefreshToken()
        if row["used_at"] is None:
            db.execute("UPDATE refresh_tokens SET used_at = ? WHERE id = ?", [now, row["id"]])
            successor = _insert_refresh(
                db, settings, row["user_id"], row["family_id"], row["id"], now
            )
            db.execute(
                "UPDATE refresh_tokens SET successor_id = ? WHERE id = ?", [successor, row["id"]]
            )
            return row["user_id"], _token(settings, successor)
        successor_row = db.execute(
            "SELECT used_at, revoked_at FROM refresh_tokens WHERE id = ?", [row["successor_id"]]
        ).fetchone()
        in_grace = now - row["used_at"] <= settings.refresh_grace_seconds
        if in_grace and successor_row and successor_row[0] is None and successor_row[1] is None:
            return row["user_id"], _token(settings, row["successor_id"])
        # Replayed after its grace period: someone else may hold a copy. The revocation
        # must commit, so the error is raised after the transaction ends.
        revoke_family(db, row["family_id"], now)
    raise InvalidRefreshToken(
        "This refresh token was already used; every session started from it has been "
        "ended. Sign in again.",
        details={"reason": "reused"},
    )


def revoke_family(db: sqlite_utils.Database, family_id: str, now: float | None = None) -> None:
    db.execute(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
        [time.time() if now is None else now, family_id],
    )


def logout(db: sqlite_utils.Database, settings: Settings, user: User, token: str) -> None:
    """End the session this refresh token belongs to."""
    with write_transaction(db):
        row = _lookup(db, settings, token)
        if row["user_id"] != user.id:
            raise InvalidRefreshToken()
        revoke_family(db, row["family_id"])

"""Device credentials: what a phone or browser that has signed in to an account keeps,
so that failures from elsewhere never lock it out (OWASP, "Slow Down Online Guessing
Attacks with Device Cookies").

A credential is ``<device id>.<mac>`` with ``mac = HMAC(key, account id + device id)``:
it names one device of one account, cannot be forged without the server's key, and is
worth nothing for another account. The server keeps a row per device (its own count of
failures lives there, api/services/throttle.py), so a credential can be forgotten: after
a PIN reset, "log out everywhere", a disabled account, too many failures of its own, or a
year without a successful sign-in. It proves nothing by itself: the PIN is still needed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import sqlite_utils

from schemas.accounts import DEVICE_CREDENTIAL_MAX

from ..config import Settings

# Newest first, the rest forgotten: a credential only comes with a right secret, so this
# bounds the rows of an account someone signs in to from many browsers.
KEPT_PER_ACCOUNT = 20
# A browser's cookie holds the credentials of this many accounts at most (a shared laptop).
PER_COOKIE = 5


def _mac(settings: Settings, user_id: str, device_id: str) -> str:
    message = f"sign-in-device:{user_id}:{device_id}".encode()
    digest = hmac.new(settings.jwt_signing_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def credential(settings: Settings, user_id: str, device_id: str) -> str:
    return f"{device_id}.{_mac(settings, user_id, device_id)}"


def device_ids(settings: Settings, user_id: str, credentials: list[str]) -> list[str]:
    """The device ids of the credentials that are this account's (forged, malformed or
    another account's are dropped, never an error: such a device is simply unknown)."""
    found = []
    for sent in credentials:
        if not sent or len(sent) > DEVICE_CREDENTIAL_MAX or not sent.isascii():
            continue
        device_id, _, mac = sent.partition(".")
        expected = _mac(settings, user_id, device_id)
        if device_id and hmac.compare_digest(mac.encode(), expected.encode()):
            found.append(device_id)
    return found


def find(
    db: sqlite_utils.Database, settings: Settings, user_id: str, ids: list[str], now: float
) -> dict | None:
    """The first of these devices still known for this account, with its counts."""
    oldest = now - settings.device_credential_days * 86400
    for device_id in ids:
        row = db.execute(
            "SELECT id, failures, locked_until FROM sign_in_devices "
            "WHERE id = ? AND user_id = ? AND last_success_at > ?",
            [device_id, user_id, oldest],
        ).fetchone()
        if row:
            return {"id": row[0], "failures": row[1], "locked_until": row[2]}
    return None


def remember(
    db: sqlite_utils.Database, settings: Settings, user_id: str, device_id: str | None, now: float
) -> str:
    """After a successful sign-in: the device's credential (a new device gets a new one),
    its count cleared. Runs inside the caller's write transaction."""
    if device_id is not None:
        renewed = db.execute(
            "UPDATE sign_in_devices SET last_success_at = ?, failures = 0, locked_until = 0 "
            "WHERE id = ? AND user_id = ?",
            [now, device_id, user_id],
        ).rowcount
        if renewed:  # else forgotten meanwhile (a PIN reset): a new device
            return credential(settings, user_id, device_id)
    device_id = secrets.token_urlsafe(16)
    db.execute(
        "INSERT INTO sign_in_devices (id, user_id, created_at, last_success_at) "
        "VALUES (?, ?, ?, ?)",
        [device_id, user_id, now, now],
    )
    db.execute(
        "DELETE FROM sign_in_devices WHERE user_id = ? AND id NOT IN (SELECT id FROM "
        "sign_in_devices WHERE user_id = ? ORDER BY last_success_at DESC, rowid DESC LIMIT ?)",
        [user_id, user_id, KEPT_PER_ACCOUNT],
    )
    return credential(settings, user_id, device_id)


def forget(db: sqlite_utils.Database, device_id: str) -> None:
    db.execute("DELETE FROM sign_in_devices WHERE id = ?", [device_id])


def forget_all(db: sqlite_utils.Database, user_id: str) -> None:
    """Every device of the account becomes unknown (a PIN reset: a lost phone is cut off)."""
    db.execute("DELETE FROM sign_in_devices WHERE user_id = ?", [user_id])


def clear_failures(db: sqlite_utils.Database, user_id: str) -> None:
    db.execute(
        "UPDATE sign_in_devices SET failures = 0, locked_until = 0 WHERE user_id = ?", [user_id]
    )


def cookie_credentials(value: str | None) -> list[str]:
    """The credentials a browser's cookie holds, one per account signed in from it."""
    return [c for c in (value or "").split("|") if c][:PER_COOKIE]


def cookie_value(new: str, value: str | None) -> str:
    """The cookie with ``new`` first, the others after, at most PER_COOKIE."""
    kept = [c for c in cookie_credentials(value) if c.partition(".")[0] != new.partition(".")[0]]
    return "|".join([new, *kept][:PER_COOKIE])

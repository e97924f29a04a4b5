"""Sign-in throttling: a growing lock-out per phone number, and a cap per client address.

A 4-digit PIN has 10,000 values, so guessing must be slow: after a few free failures
each further failure doubles the lock. The per-address cap stops one client from
walking through many numbers.

An attempt is counted as a failure before its secret is checked, in the same write
transaction as the lock check (``reserve_attempt``), and refunded when the secret is
right: checking first and recording after argon2 let parallel guesses all get through.
"""

from __future__ import annotations

import math
import time

import sqlite_utils

from sync.store.database import write_transaction

from ..config import Settings
from ..errors import TooManyRequests


def _key_phone(phone: str) -> str:
    return f"phone:{phone}"


def _key_address(address: str) -> str:
    return f"addr:{address}"


def check_allowed(
    db: sqlite_utils.Database,
    settings: Settings,
    phone: str,
    address: str,
    now: float | None = None,
) -> None:
    """Raise 429 with Retry-After when this number or this address is locked out."""
    now = time.time() if now is None else now
    for key in (_key_phone(phone), _key_address(address)):
        row = db.execute(
            "SELECT locked_until FROM sign_in_failures WHERE key = ?", [key]
        ).fetchone()
        if row and row[0] > now:
            wait = max(1, math.ceil(row[0] - now))
            raise TooManyRequests(
                f"Too many wrong attempts. Try again in {wait} seconds.",
                details={"retry_after": wait, "scope": key.split(":", 1)[0]},
                headers={"Retry-After": str(wait)},
            )


def reserve_attempt(
    db: sqlite_utils.Database,
    settings: Settings,
    phone: str,
    address: str,
    now: float | None = None,
) -> None:
    """Raise 429 when locked out, else count this attempt as a failure, atomically."""
    now = time.time() if now is None else now
    with write_transaction(db):
        check_allowed(db, settings, phone, address, now)
        _bump(db, _key_phone(phone), now, settings, per_address=False)
        _bump(db, _key_address(address), now, settings, per_address=True)


def _bump(db, key: str, now: float, settings: Settings, per_address: bool) -> None:
    row = db.execute(
        "SELECT failures, first_failure_at FROM sign_in_failures WHERE key = ?", [key]
    ).fetchone()
    failures, first = (row[0] + 1, row[1]) if row else (1, now)
    locked_until = 0.0
    if per_address:
        if now - first > settings.address_window_seconds:
            failures, first = 1, now  # a new window
        if failures >= settings.address_max_failures:
            locked_until = first + settings.address_window_seconds
    elif failures > settings.lockout_free_failures:
        extra = failures - settings.lockout_free_failures - 1
        delay = settings.lockout_base_seconds * (2 ** min(extra, 32))
        locked_until = now + min(delay, settings.lockout_max_seconds)
    db.execute(
        "INSERT INTO sign_in_failures (key, failures, first_failure_at, last_failure_at, "
        "locked_until) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
        "failures = excluded.failures, first_failure_at = excluded.first_failure_at, "
        "last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        [key, failures, first, now, locked_until],
    )


def record_success(db: sqlite_utils.Database, settings: Settings, phone: str, address: str) -> None:
    """A right PIN clears the number's count, and gives back the address the failure
    ``reserve_attempt`` counted (only that one: the address's count is per window)."""
    with write_transaction(db):
        clear_phone(db, phone)
        db.execute(
            "UPDATE sign_in_failures SET failures = failures - 1, "
            "locked_until = CASE WHEN failures - 1 >= ? THEN locked_until ELSE 0 END "
            "WHERE key = ? AND failures > 0",
            [settings.address_max_failures, _key_address(address)],
        )


def clear_phone(db: sqlite_utils.Database, phone: str) -> None:
    """Forget the number's failures and lock (a right PIN, or a coordinator's reset)."""
    db.execute("DELETE FROM sign_in_failures WHERE key = ?", [_key_phone(phone)])

"""Sign-in throttling that cannot be turned against an account's owner.

A 4-digit PIN has 10,000 values, so guessing must be slow; but a lock anyone can trigger
locks the owner out too (and, per address, a whole village behind one mobile NAT). So,
after OWASP's "Slow Down Online Guessing Attacks with Device Cookies", each attempt is
counted in one place, by where it comes from (docs/security.md has the numbers):

- A known device of the account (a valid device credential, api/services/known_devices.py)
  is counted on its own: free failures, then a delay doubling to a cap; after too many in
  a row it is forgotten and counts as unknown. Nothing counted elsewhere holds it back.
- Unknown devices are counted per phone number (consecutive failures: free ones, then a
  delay doubling to a cap of minutes, and after ``lockout_max_failures`` a lock of
  unknown devices that a coordinator lifts) and per client address (failures only, one
  forgiven every ``address_leak_seconds``; free ones, then a delay doubling to a cap).

An attempt is counted as a failure before its secret is checked, in the same write
transaction as the checks (``reserve_attempt``), and given back when the secret is right
(``record_success``): checking first and recording after argon2 let parallel guesses all
get through. Every function takes ``now``, so the tests drive the clock.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import sqlite_utils

from sync.store.database import write_transaction

from ..config import Settings
from ..errors import SignInLocked, TooManyRequests
from . import known_devices

# A row of sign_in_failures: (failures, first_failure_at, last_failure_at, locked_until).
# For an address, first_failure_at is the anchor its count leaks from.
Row = tuple[int, float, float, float]


@dataclass(frozen=True)
class Attempt:
    """What ``reserve_attempt`` counted, so that a right secret can give it back."""

    phone: str
    address: str
    user_id: str | None = None
    device_id: str | None = None  # a known device of the account: counted there only
    address_before: Row | None = None
    address_after: Row | None = None


def _key_phone(phone: str) -> str:
    return f"phone:{phone}"


def _key_address(address: str) -> str:
    return f"addr:{address}"


def delay(failures: int, free: int, base: int, cap: int) -> int:
    """Seconds to wait after ``failures``: none for the free ones, then doubling to ``cap``."""
    if failures <= free:
        return 0
    return min(base * 2 ** min(failures - free - 1, 32), cap)


def _refuse_while(locked_until: float, now: float, scope: str) -> None:
    if locked_until > now:
        wait = max(1, math.ceil(locked_until - now))
        raise TooManyRequests(
            f"Too many wrong attempts. Try again in {wait} seconds.",
            details={"retry_after": wait, "scope": scope},
            headers={"Retry-After": str(wait)},
        )


def _row(db: sqlite_utils.Database, key: str) -> Row | None:
    row = db.execute(
        "SELECT failures, first_failure_at, last_failure_at, locked_until "
        "FROM sign_in_failures WHERE key = ?",
        [key],
    ).fetchone()
    return tuple(row) if row else None  # type: ignore[return-value]


def _write(db: sqlite_utils.Database, key: str, row: Row) -> None:
    db.execute(
        "INSERT INTO sign_in_failures (key, failures, first_failure_at, last_failure_at, "
        "locked_until) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
        "failures = excluded.failures, first_failure_at = excluded.first_failure_at, "
        "last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
        [key, *row],
    )


def reserve_attempt(
    db: sqlite_utils.Database,
    settings: Settings,
    phone: str,
    address: str,
    *,
    user_id: str | None = None,
    device_ids: Iterable[str] = (),
    now: float | None = None,
) -> Attempt:
    """Raise 429 while this attempt must wait, else count it as a failure, atomically.

    ``device_ids`` are those of the device credentials sent for the account ``user_id``
    (already checked against their MAC): the first still known makes it a known device."""
    now = time.time() if now is None else now
    with write_transaction(db):
        device = None
        if user_id is not None:
            device = known_devices.find(db, settings, user_id, list(device_ids), now)
        if device is not None and device["failures"] >= settings.device_max_failures:
            known_devices.forget(db, device["id"])  # used up: an unknown device from now on
            device = None
        if device is not None:
            _refuse_while(device["locked_until"], now, "device")
            failures = device["failures"] + 1
            wait = delay(
                failures,
                settings.lockout_free_failures,
                settings.lockout_base_seconds,
                settings.lockout_max_seconds,
            )
            db.execute(
                "UPDATE sign_in_devices SET failures = ?, locked_until = ? WHERE id = ?",
                [failures, now + wait if wait else 0, device["id"]],
            )
            return Attempt(phone, address, user_id, device["id"])
        return _reserve_unknown(db, settings, phone, address, user_id, now)


def _reserve_unknown(
    db: sqlite_utils.Database,
    settings: Settings,
    phone: str,
    address: str,
    user_id: str | None,
    now: float,
) -> Attempt:
    number = _row(db, _key_phone(phone))
    if number is not None and number[0] >= settings.lockout_max_failures:
        raise SignInLocked(
            details={"retry_after": settings.lockout_max_seconds, "scope": "phone"},
            headers={"Retry-After": str(settings.lockout_max_seconds)},
        )
    _refuse_while(number[3] if number else 0, now, "phone")
    before = _row(db, _key_address(address))
    _refuse_while(before[3] if before else 0, now, "addr")

    failures = (number[0] if number else 0) + 1
    wait = delay(
        failures,
        settings.lockout_free_failures,
        settings.lockout_base_seconds,
        settings.lockout_max_seconds,
    )
    first = number[1] if number else now
    _write(db, _key_phone(phone), (failures, first, now, now + wait if wait else 0))

    # The address's count is a leaky bucket: one failure forgiven every
    # address_leak_seconds, counted from an anchor that moves by whole periods, so a
    # village's wrong PINs, fewer than one per period, never add up to a delay.
    level, anchor = 0, now
    if before is not None:
        leak = max(1, settings.address_leak_seconds)
        forgiven = max(0, math.floor((now - before[1]) / leak))
        if forgiven < before[0]:
            level, anchor = before[0] - forgiven, before[1] + forgiven * leak
    level += 1
    wait = delay(
        level,
        settings.address_free_failures,
        settings.address_base_seconds,
        settings.address_max_seconds,
    )
    after: Row = (level, anchor, now, now + wait if wait else 0)
    _write(db, _key_address(address), after)
    return Attempt(phone, address, user_id, None, before, after)


def record_success(db: sqlite_utils.Database, attempt: Attempt) -> None:
    """A right secret: a known device's count is cleared; from an unknown device, the
    number's count is cleared and the address gets back the failure reserved for it
    (an address counts failures, never successes)."""
    with write_transaction(db):
        if attempt.device_id is not None:
            db.execute(
                "UPDATE sign_in_devices SET failures = 0, locked_until = 0 WHERE id = ?",
                [attempt.device_id],
            )
            return
        clear_phone(db, attempt.phone)
        key = _key_address(attempt.address)
        current = _row(db, key)
        if current is not None and current == attempt.address_after:
            # Nothing counted since: the address is exactly as it was before.
            if attempt.address_before is None:
                db.execute("DELETE FROM sign_in_failures WHERE key = ?", [key])
            else:
                _write(db, key, attempt.address_before)
        elif current is not None and current[0] > 0:
            # Other attempts counted since: take back this one only, keep their delay.
            db.execute("UPDATE sign_in_failures SET failures = failures - 1 WHERE key = ?", [key])


def clear_phone(db: sqlite_utils.Database, phone: str) -> None:
    """Forget the number's failures and lock (a right PIN, a PIN reset, a lifted lock)."""
    db.execute("DELETE FROM sign_in_failures WHERE key = ?", [_key_phone(phone)])


def lift(db: sqlite_utils.Database, phone: str, user_id: str) -> None:
    """A coordinator lifts the account's locks: the number's (unknown devices) and each
    of its known devices'. Runs inside the caller's write transaction."""
    clear_phone(db, phone)
    known_devices.clear_failures(db, user_id)

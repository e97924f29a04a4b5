"""Signing in: with a phone number and a PIN or password, or with a Firebase ID token."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from schemas.phones import InvalidPhone, normalise_phone
from sync.store.database import write_transaction

from ..config import Settings
from ..errors import AccountDisabled, InvalidCredentials, NotConfigured, Unauthorized
from . import accounts, known_devices, throttle, tokens
from .credentials import SecretHasher


@dataclass(frozen=True)
class SignedIn:
    user: accounts.User
    pair: tokens.TokenPair
    # What this phone or browser sends back at its next sign-in to the account, so that
    # failures from elsewhere never hold it back (api/services/known_devices.py).
    device_credential: str


def sign_in(
    db: sqlite_utils.Database,
    settings: Settings,
    hasher: SecretHasher,
    phone: str,
    secret: str,
    address: str,
    *,
    device_credentials: Iterable[str] = (),
    now: float | None = None,
) -> SignedIn:
    now = time.time() if now is None else now
    found = accounts.find_by_phone(db, phone)
    user, stored_hash = found if found else (None, None)
    known = known_devices.device_ids(settings, user.id, list(device_credentials)) if user else []
    # Counted as a failure before argon2 runs, so parallel guesses cannot all pass the check.
    attempt = throttle.reserve_attempt(
        db,
        settings,
        phone,
        address,
        user_id=user.id if user else None,
        device_ids=known,
        now=now,
    )
    # Always verified (against a dummy hash for an unknown number): skipping argon2 would
    # let the response time tell whether a number has an account.
    verified = hasher.verify(stored_hash, secret)
    if user is None or not verified:
        raise InvalidCredentials()
    throttle.record_success(db, attempt)
    # Checked after the secret, so a disabled account is not revealed to a guesser.
    if user.disabled:
        raise AccountDisabled()
    if hasher.needs_rehash(stored_hash):
        accounts.update_secret_hash(db, user.id, hasher.hash(secret))
    with write_transaction(db):
        credential = known_devices.remember(db, settings, user.id, attempt.device_id, now)
    return SignedIn(user, tokens.issue_pair(db, settings, user), credential)


def refresh(
    db: sqlite_utils.Database, settings: Settings, refresh_token: str
) -> tuple[accounts.User, tokens.TokenPair]:
    user_id, successor = tokens.rotate(db, settings, refresh_token)
    user = accounts.get_user(db, user_id)
    if user is None:
        raise Unauthorized()
    if user.disabled:
        raise AccountDisabled()
    access = tokens.issue_access_token(settings, user)
    return user, tokens.TokenPair(access, successor, settings.access_token_seconds)


def sign_in_with_firebase(
    db: sqlite_utils.Database, settings: Settings, firebase_app: Any, id_token: str
) -> tuple[accounts.User, tokens.TokenPair]:
    """Exchange a Firebase phone-auth ID token for Hirfa tokens (the account must exist)."""
    if firebase_app is None:
        raise NotConfigured(
            "Firebase sign-in is not configured on this server: set HIRFA_FIREBASE_CREDENTIALS."
        )
    # Imported on first use: firebase-admin's auth module takes a noticeable part of a
    # second to import, and only servers with Firebase sign-in configured ever need it.
    from firebase_admin import auth as firebase_auth

    try:
        claims = firebase_auth.verify_id_token(id_token, app=firebase_app, check_revoked=False)
    except (ValueError, firebase_auth.InvalidIdTokenError) as exc:
        raise Unauthorized("The Firebase ID token is not valid.") from exc
    # Checked here too: firebase-admin skips expiry in its emulator mode.
    if not isinstance(claims.get("exp"), int) or claims["exp"] < time.time() - 60:
        raise Unauthorized("The Firebase ID token has expired.")
    raw_phone = claims.get("phone_number")
    if not raw_phone:
        raise Unauthorized("The Firebase account has no verified phone number.")
    try:
        phone = normalise_phone(raw_phone)
    except InvalidPhone as exc:
        raise Unauthorized(str(exc)) from exc
    found = accounts.find_by_phone(db, phone)
    if found is None:
        raise Unauthorized(
            "No Hirfa account has this phone number. Ask your cooperative's coordinator."
        )
    user = found[0]
    if user.disabled:
        raise AccountDisabled()
    return user, tokens.issue_pair(db, settings, user)

"""Device push tokens: a user may have several phones; a token belongs to one user (the
phone's last signed-in account), and logout or FCM's "unregistered" removes it."""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from sync.store.database import fetch_all, write_transaction

from ..errors import NotFound
from .accounts import User

COLUMNS = "token, platform, locale, app_version, created_at, updated_at"


def register(db: sqlite_utils.Database, user: User, data: dict[str, Any]) -> dict[str, Any]:
    """Add or refresh a token; a token seen under another account moves to this one (the
    phone changed hands, or someone else signed in on it)."""
    now = time.time()
    with write_transaction(db):
        db.execute(
            "INSERT INTO devices (token, user_id, platform, locale, app_version, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET "
            "user_id = excluded.user_id, platform = excluded.platform, locale = excluded.locale, "
            "app_version = excluded.app_version, updated_at = excluded.updated_at",
            [
                data["token"],
                user.id,
                data["platform"],
                data.get("locale"),
                data.get("app_version"),
                now,
                now,
            ],
        )
    return fetch_all(db, f"SELECT {COLUMNS} FROM devices WHERE token = ?", [data["token"]])[0]


def list_mine(db: sqlite_utils.Database, user: User) -> list[dict[str, Any]]:
    return fetch_all(
        db, f"SELECT {COLUMNS} FROM devices WHERE user_id = ? ORDER BY created_at", [user.id]
    )


def forget(db: sqlite_utils.Database, user: User, token: str, *, missing_ok: bool = False) -> None:
    """Remove one of the user's tokens (another user's token is "not found")."""
    with write_transaction(db):
        gone = db.execute(
            "DELETE FROM devices WHERE token = ? AND user_id = ?", [token, user.id]
        ).rowcount
    if not gone and not missing_ok:
        raise NotFound("No such device token for this account.")

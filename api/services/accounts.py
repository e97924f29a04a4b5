"""Accounts, roles and cooperatives: who exists, and who may create or change whom."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from sync.store.database import fetch_all, write_transaction

from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from . import catalog_version, directory_docs, known_devices, throttle
from .credentials import PASSWORD_MIN_LENGTH, PIN_PATTERN, SecretHasher

ROLES = ("artisan", "coordinator", "buyer", "admin")


@dataclass(frozen=True)
class User:
    id: str
    phone: str
    role: str
    display_name: str
    locale: str
    cooperative_id: str | None
    session_version: int
    disabled: bool
    created_at: float
    cooperative_ids: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "phone": self.phone,
            "role": self.role,
            "display_name": self.display_name,
            "locale": self.locale,
            "cooperative_id": self.cooperative_id,
            "cooperative_ids": list(self.cooperative_ids),
            "disabled": self.disabled,
            "created_at": self.created_at,
        }


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"


def _user_from_row(db: sqlite_utils.Database, row: dict) -> User:
    coops: tuple[str, ...] = ()
    if row["role"] == "coordinator":
        coops = tuple(
            r[0]
            for r in db.execute(
                "SELECT cooperative_id FROM coordinator_cooperatives WHERE user_id = ? "
                "ORDER BY cooperative_id",
                [row["id"]],
            ).fetchall()
        )
    elif row["cooperative_id"]:
        coops = (row["cooperative_id"],)
    return _user(row, coops)


def _user(row: dict, cooperative_ids: tuple[str, ...]) -> User:
    return User(
        id=row["id"],
        phone=row["phone"],
        role=row["role"],
        display_name=row["display_name"],
        locale=row["locale"],
        cooperative_id=row["cooperative_id"],
        session_version=row["session_version"],
        disabled=row["disabled_at"] is not None,
        created_at=row["created_at"],
        cooperative_ids=cooperative_ids,
    )


# A user with, for a coordinator, her cooperatives, in one statement: it runs on every
# authenticated request (api/security.py), where a second query was a third of the cost.
_USER_WITH_COOPERATIVES = (
    "SELECT id, phone, role, display_name, locale, cooperative_id, session_version, "
    "disabled_at, created_at, CASE WHEN role = 'coordinator' THEN (SELECT "
    "json_group_array(cooperative_id) FROM coordinator_cooperatives WHERE user_id = users.id) "
    "END AS coordinated FROM users WHERE id = ?"
)


def get_user(db: sqlite_utils.Database, user_id: str) -> User | None:
    rows = fetch_all(db, _USER_WITH_COOPERATIVES, [user_id])
    if not rows:
        return None
    row = rows[0]
    if row["role"] == "coordinator":
        # sorted() orders as SQLite's BINARY collation does: UTF-8 bytes keep code point order.
        return _user(row, tuple(sorted(json.loads(row["coordinated"]))))
    return _user(row, (row["cooperative_id"],) if row["cooperative_id"] else ())


def find_by_phone(db: sqlite_utils.Database, phone: str) -> tuple[User, str] | None:
    """The user with this E.164 number and their stored secret hash."""
    rows = fetch_all(db, "SELECT * FROM users WHERE phone = ?", [phone])
    return (_user_from_row(db, rows[0]), rows[0]["secret_hash"]) if rows else None


def check_secret_format(kind: str, secret: str) -> None:
    if kind == "pin" and not PIN_PATTERN.match(secret):
        raise ValidationFailed(
            "A PIN is 4 to 8 digits.", details={"fields": {"pin": ["Use 4 to 8 digits."]}}
        )
    if kind == "password" and len(secret) < PASSWORD_MIN_LENGTH:
        raise ValidationFailed(
            "The password is too short.",
            details={"fields": {"password": [f"Use at least {PASSWORD_MIN_LENGTH} characters."]}},
        )


def create_user(
    db: sqlite_utils.Database,
    hasher: SecretHasher,
    *,
    role: str,
    phone: str,
    display_name: str,
    secret: str,
    secret_kind: str,
    locale: str = "ar",
    cooperative_id: str | None = None,
    cooperative_ids: tuple[str, ...] = (),
    created_by: str | None = None,
    user_id: str | None = None,
) -> User:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    check_secret_format(secret_kind, secret)
    secret_hash = hasher.hash(secret)  # slow: outside the write lock
    with write_transaction(db):
        if db.execute("SELECT 1 FROM users WHERE phone = ?", [phone]).fetchone():
            raise Conflict(
                "An account with this phone number already exists.",
                details={"fields": {"phone": ["Already registered."]}},
            )
        for coop in (cooperative_id, *cooperative_ids):
            if coop is not None:
                get_cooperative(db, coop)
        uid = user_id or new_id(role[:3])
        db["users"].insert(
            {
                "id": uid,
                "phone": phone,
                "role": role,
                "display_name": display_name,
                "locale": locale,
                "cooperative_id": cooperative_id,
                "secret_hash": secret_hash,
                "secret_kind": secret_kind,
                "session_version": 0,
                "disabled_at": None,
                "created_by": created_by,
                "created_at": time.time(),
            }
        )
        for coop in cooperative_ids:
            db["coordinator_cooperatives"].insert({"user_id": uid, "cooperative_id": coop})
        if role == "artisan":
            directory_docs.write_artisan(db, uid)  # her public profile, with her account
    user = get_user(db, uid)
    assert user is not None
    return user


def register_buyer(db: sqlite_utils.Database, hasher: SecretHasher, data: dict[str, Any]) -> User:
    """A buyer registering herself (``POST /api/v1/buyers``, the /buy/register page), from
    a body loaded by schemas.accounts.RegisterBuyerSchema; 409 if the number is taken."""
    return create_user(
        db,
        hasher,
        role="buyer",
        phone=data["phone"],
        display_name=data["display_name"],
        secret=data["password"],
        secret_kind="password",
        locale=data["locale"],
    )


def update_secret_hash(db: sqlite_utils.Database, user_id: str, secret_hash: str) -> None:
    with write_transaction(db):
        db.execute("UPDATE users SET secret_hash = ? WHERE id = ?", [secret_hash, user_id])


def ensure_manages(actor: User, target: User) -> None:
    """Admins manage everyone; a coordinator manages the artisans of her cooperatives."""
    if actor.role == "admin":
        return
    if (
        actor.role == "coordinator"
        and target.role == "artisan"
        and target.cooperative_id in actor.cooperative_ids
    ):
        return
    raise Forbidden("You can only manage the artisans of your own cooperatives.")


def ensure_coordinates(actor: User, cooperative_id: str) -> None:
    if actor.role == "admin":
        return
    if actor.role == "coordinator" and cooperative_id in actor.cooperative_ids:
        return
    raise Forbidden("You can only manage your own cooperatives.")


def require_user(db: sqlite_utils.Database, user_id: str) -> User:
    user = get_user(db, user_id)
    if user is None:
        raise NotFound("No such user.", details={"id": user_id})
    return user


def reset_secret(
    db: sqlite_utils.Database,
    hasher: SecretHasher,
    actor: User,
    user_id: str,
    secret: str,
    kind: str = "pin",
) -> None:
    """Set a new PIN for someone one manages; their sessions end and their devices are
    forgotten (a lost phone is cut off), and their lock-out is lifted, so they can sign
    in with the new PIN at once."""
    target = require_user(db, user_id)
    ensure_manages(actor, target)
    check_secret_format(kind, secret)
    secret_hash = hasher.hash(secret)
    with write_transaction(db):
        db.execute(
            "UPDATE users SET secret_hash = ?, secret_kind = ?, "
            "session_version = session_version + 1 WHERE id = ?",
            [secret_hash, kind, user_id],
        )
        revoke_all_refresh_tokens(db, user_id)
        known_devices.forget_all(db, user_id)
        throttle.clear_phone(db, target.phone)


def unlock(db: sqlite_utils.Database, actor: User, user_id: str) -> None:
    """Lift the sign-in locks of someone one manages: the lock of unknown devices on her
    number and the delays of her known devices. Her PIN and sessions stay as they are."""
    target = require_user(db, user_id)
    ensure_manages(actor, target)
    with write_transaction(db):
        throttle.lift(db, target.phone, target.id)


def set_disabled(db: sqlite_utils.Database, actor: User, user_id: str, disabled: bool) -> User:
    target = require_user(db, user_id)
    if target.id == actor.id:
        raise Forbidden("You cannot disable your own account.")
    ensure_manages(actor, target)
    with write_transaction(db):
        db.execute(
            "UPDATE users SET disabled_at = ?, session_version = session_version + ? WHERE id = ?",
            [time.time() if disabled else None, 1 if disabled else 0, user_id],
        )
        if target.role == "artisan" and target.disabled != disabled:
            catalog_version.bump(db)  # her products leave the catalogue or come back
        if disabled:
            revoke_all_refresh_tokens(db, user_id)
            forget_devices(db, user_id)
            known_devices.forget_all(db, user_id)
    return require_user(db, user_id)


def end_all_sessions(db: sqlite_utils.Database, user_id: str) -> None:
    """Logout everywhere: refresh tokens revoked, current access tokens refused, and no
    device is known any more (its next sign-in counts as a new device's)."""
    with write_transaction(db):
        db.execute("UPDATE users SET session_version = session_version + 1 WHERE id = ?", [user_id])
        revoke_all_refresh_tokens(db, user_id)
        forget_devices(db, user_id)
        known_devices.forget_all(db, user_id)


def forget_devices(db: sqlite_utils.Database, user_id: str) -> None:
    # With every session ended, a lost phone must not go on showing this account's
    # orders on its lock screen; the app registers its token again at the next sign-in.
    db.execute("DELETE FROM devices WHERE user_id = ?", [user_id])


def revoke_all_refresh_tokens(db: sqlite_utils.Database, user_id: str) -> None:
    db.execute(
        "UPDATE refresh_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
        [time.time(), user_id],
    )


def list_artisans(db: sqlite_utils.Database, actor: User, cooperative_id: str) -> list[User]:
    ensure_coordinates(actor, cooperative_id)
    get_cooperative(db, cooperative_id)
    rows = fetch_all(
        db,
        "SELECT * FROM users WHERE role = 'artisan' AND cooperative_id = ? ORDER BY display_name",
        [cooperative_id],
    )
    return [_user_from_row(db, row) for row in rows]


def update_profile(db: sqlite_utils.Database, user: User, changes: dict[str, Any]) -> User:
    allowed = {k: v for k, v in changes.items() if k in {"display_name", "locale"}}
    if allowed:
        with write_transaction(db):
            db["users"].update(user.id, allowed)
            renamed = allowed.get("display_name", user.display_name) != user.display_name
            if renamed and user.role == "artisan":
                directory_docs.write_artisan(db, user.id)
                catalog_version.bump(db)  # the catalogue shows it
    return require_user(db, user.id)


# Cooperatives


def _coop_from_row(row: dict) -> dict[str, Any]:
    return {**row, "categories": json.loads(row["categories"])}


def get_cooperative(db: sqlite_utils.Database, cooperative_id: str) -> dict[str, Any]:
    rows = fetch_all(db, "SELECT * FROM cooperatives WHERE id = ?", [cooperative_id])
    if not rows:
        raise NotFound("No such cooperative.", details={"id": cooperative_id})
    return _coop_from_row(rows[0])


def list_cooperatives(db: sqlite_utils.Database, region: str | None = None) -> list[dict]:
    sql, params = "SELECT * FROM cooperatives", []
    if region:
        sql, params = sql + " WHERE region = ?", [region]
    return [_coop_from_row(r) for r in fetch_all(db, sql + " ORDER BY name_fr", params)]


def create_cooperative(
    db: sqlite_utils.Database, actor: User | None, data: dict[str, Any], coop_id: str | None = None
) -> dict[str, Any]:
    """Admins create cooperatives (``actor`` None is the seed or the CLI)."""
    if actor is not None and actor.role != "admin":
        raise Forbidden("Only an admin can create a cooperative.")
    cid = coop_id or new_id("coop")
    with write_transaction(db):
        if db.execute("SELECT 1 FROM cooperatives WHERE id = ?", [cid]).fetchone():
            raise Conflict("A cooperative with this id already exists.", details={"id": cid})
        db["cooperatives"].insert(
            {
                "id": cid,
                "name_ar": data["name_ar"],
                "name_fr": data["name_fr"],
                "region": data["region"],
                "categories": json.dumps(data.get("categories", []), ensure_ascii=False),
                "created_at": time.time(),
            }
        )
        directory_docs.write_cooperative(db, {**data, "id": cid})
        # A product replicated in before its cooperative existed here now shows its name.
        catalog_version.bump(db)
    return get_cooperative(db, cid)

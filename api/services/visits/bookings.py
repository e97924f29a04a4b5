"""Bookings: places in a workshop session, taken on the cooperative's home server.

A booking is one write transaction (BEGIN IMMEDIATE): the session's row of
``session_places`` is brought up to the workshop's capacity, one conditional UPDATE takes
the places only if they are left, the ``booking:<uuid>`` document is written and the
coordinators' notification queued. All of it, or nothing: two buyers racing for the
last place get one booking and one ``session_full``. A cancellation gives the places
back and tells the other side, in the same way.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from schemas.visits import MAX_PLACES, booking_id, parse_instant
from sync.rules.access import make_check
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ...errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from ...state import hirfa
from .. import outbox
from ..accounts import User
from ..directory_docs import SERVER, cooperative
from . import docs
from .workshops import session_capacity

# Idempotency keys name a booking: the same buyer and key always give the same id.
_KEYS = uuid.UUID("9b1c1c52-5d0e-4f4e-9a51-6f0d1b7a3c11")
REASON_MAX = 500


class SessionFull(Conflict):
    code = "session_full"
    message = "Not enough places are left in this session."


class SessionPast(Conflict):
    code = "session_past"
    message = "This session has already started."


class WorkshopNotOpen(Conflict):
    code = "workshop_not_open"
    message = "This workshop is not open for booking."


class BookOnHomeServer(AppError):
    status = 409
    code = "book_on_home_server"
    message = "Places in this cooperative's workshops are booked on its home server."


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    message = "This idempotency key was used for another booking."


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _same_server(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.strip().rstrip("/").lower()


def home_server(db: sqlite_utils.Database, coop: str | None) -> str | None:
    """The cooperative's home server URL, when its document names one."""
    found = (cooperative(db, coop) or {}).get("home_server")
    return found.rstrip("/") if isinstance(found, str) and found.strip() else None


def is_home(db: sqlite_utils.Database, coop: str | None, public_url: str) -> bool:
    """Whether this server counts the cooperative's places: its document names no home
    server, or names this one."""
    home = home_server(db, coop)
    return home is None or _same_server(home, public_url or "")


def book_path(workshop_id: str, session_id: str) -> str:
    return f"/buy/book/{workshop_id}/{session_id}"


def _home_only(db, coop, public_url, workshop_id, session_id) -> None:
    if not is_home(db, coop, public_url):
        home = home_server(db, coop)
        raise BookOnHomeServer(
            details={"home_server": home, "url": f"{home}{book_path(workshop_id, session_id)}"}
        )


def _public_url(given: str | None) -> str:
    return given if given is not None else hirfa().settings.public_url


def render(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "type"}
    return {**out, "id": doc["_id"], "rev": doc["_rev"]}


def _coordinators(db: sqlite_utils.Database, coop: str) -> list[str]:
    rows = db.execute(
        "SELECT c.user_id FROM coordinator_cooperatives c JOIN users u ON u.id = c.user_id "
        "WHERE c.cooperative_id = ? AND u.disabled_at IS NULL ORDER BY c.user_id",
        [coop],
    ).fetchall()
    return [r[0] for r in rows]


def _when(starts_at: str) -> str:
    """The session's local date and time, as the notification shows it."""
    at = parse_instant(starts_at)
    return at.strftime("%Y-%m-%d %H:%M") if at else starts_at


def _notify(db, users: list[str], kind: str, booking: dict[str, Any], **extra: Any) -> None:
    data = {
        "booking_id": booking["_id"],
        "workshop_id": booking["workshop"],
        "cooperative_id": booking["cooperative"],
        "workshop_title": booking.get("workshop_title") or {},
        "places": booking["places"],
        "when": _when(booking.get("starts_at") or ""),
        **extra,
    }
    for user_id in users:
        outbox.enqueue(
            db,
            user_id=user_id,
            kind=kind,
            data=data,
            dedup_key=f"{kind}:{booking['_id']}:{user_id}",
            priority="high",
        )


def book(
    store: DocumentStore,
    user: User,
    workshop_id: str,
    session_id: str,
    places: int,
    note: str | None,
    idempotency_key: str | None = None,
    *,
    public_url: str | None = None,
    now: datetime | None = None,
    contact_name: str | None = None,
) -> dict[str, Any]:
    """Book ``places`` in a session for the buyer ``user``; returns the booking as REST
    shows it. The same ``idempotency_key`` again returns the first booking.
    ``public_url``: this server's (settings.public_url of the app when not given);
    ``contact_name``: the name the booking is under (her account's when not given)."""
    if user.role != "buyer":
        raise Forbidden("Workshops are booked with a buyer's account.")
    if not isinstance(places, int) or isinstance(places, bool) or not 1 <= places <= MAX_PLACES:
        raise ValidationFailed(details={"fields": {"places": [f"from 1 to {MAX_PLACES}"]}})
    if note is not None and len(note) > 1000:
        raise ValidationFailed(details={"fields": {"note": ["at most 1000 characters"]}})
    here, now = _public_url(public_url), now or _now()
    db = store.db
    key = uuid.uuid5(_KEYS, f"{user.id}\n{idempotency_key}") if idempotency_key else uuid.uuid4()
    doc_id = booking_id(str(key))
    with write_transaction(db):
        if idempotency_key and (earlier := docs.get(db, doc_id, "booking")) is not None:
            if (earlier.get("workshop"), earlier.get("session")) != (workshop_id, session_id):
                raise IdempotencyKeyReused(details={"booking": doc_id})
            return render(earlier)
        workshop = docs.get(db, workshop_id, "workshop")
        if workshop is None:
            raise NotFound("No such workshop.", details={"workshop": workshop_id})
        coop = workshop["cooperative"]
        _home_only(db, coop, here, workshop_id, session_id)
        if workshop.get("status") != "published":
            raise WorkshopNotOpen(
                details={"workshop": workshop_id, "status": workshop.get("status")}
            )
        session = next((s for s in workshop.get("sessions") or [] if s["id"] == session_id), None)
        if session is None:
            raise NotFound(
                "No such session.", details={"workshop": workshop_id, "session": session_id}
            )
        starts = parse_instant(session["starts_at"])
        if starts is None or starts <= now:
            raise SessionPast(details={"starts_at": session["starts_at"]})
        capacity = session_capacity(workshop, session)
        db.execute(
            "INSERT INTO session_places (workshop_id, session_id, capacity, booked) "
            "VALUES (?, ?, ?, 0) ON CONFLICT (workshop_id, session_id) "
            "DO UPDATE SET capacity = excluded.capacity",
            [workshop_id, session_id, capacity],
        )
        taken = db.execute(
            "UPDATE session_places SET booked = booked + :n WHERE workshop_id = :w "
            "AND session_id = :s AND booked + :n <= capacity",
            {"n": places, "w": workshop_id, "s": session_id},
        ).rowcount
        if taken != 1:
            (booked,) = db.execute(
                "SELECT booked FROM session_places WHERE workshop_id = ? AND session_id = ?",
                [workshop_id, session_id],
            ).fetchone()
            raise SessionFull(details={"places_left": max(capacity - booked, 0), "asked": places})
        stamp = _iso(now)
        body = {
            "_id": doc_id,
            "type": "booking",
            "buyer": user.id,
            "cooperative": coop,
            "workshop": workshop_id,
            "workshop_title": workshop.get("title") or {},
            "session": session_id,
            "starts_at": session["starts_at"],
            "duration_minutes": workshop.get("duration_minutes"),
            "price_centimes": workshop.get("price_centimes"),
            "places": places,
            "status": "confirmed",
            "contact_name": (contact_name or user.display_name)[:120],
            "note": note or None,
            "created_at": stamp,
            "updated_at": stamp,
        }
        body["_rev"] = store.put(body, check=make_check(SERVER, lambda _a: None))
        _notify(db, _coordinators(db, coop), "booking_made", body)
    return render(body)


def _may_see(user: User, booking: dict[str, Any]) -> str | None:
    """The role the user holds towards this booking, None if it is not theirs."""
    if user.role == "buyer" and booking.get("buyer") == user.id:
        return "buyer"
    if user.role == "coordinator" and booking.get("cooperative") in user.cooperative_ids:
        return "coordinator"
    if user.role == "admin":
        return "admin"
    return None


def get(store: DocumentStore, user: User, doc_id: str) -> dict[str, Any]:
    found = docs.get(store, doc_id, "booking")
    if found is None or _may_see(user, found) is None:
        raise NotFound("No such booking.", details={"id": doc_id})
    return found


def cancel(
    store: DocumentStore,
    user: User,
    booking_id: str,
    reason: str,
    *,
    public_url: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Cancel a booking with a reason, by its buyer or a coordinator of its cooperative
    (or an admin): its places are given back, the other side is told. Cancelling again
    returns it as it is."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise ValidationFailed(details={"fields": {"reason": [f"1 to {REASON_MAX} characters"]}})
    here, now = _public_url(public_url), now or _now()
    db = store.db
    with write_transaction(db):
        found = get(store, user, booking_id)
        role = _may_see(user, found)
        if found.get("status") == "cancelled":
            return render(found)
        _home_only(db, found["cooperative"], here, found["workshop"], found["session"])
        starts = parse_instant(found.get("starts_at") or "")
        if starts is not None and starts <= now:
            raise SessionPast(details={"starts_at": found["starts_at"]})
        db.execute(
            "UPDATE session_places SET booked = MAX(booked - ?, 0) "
            "WHERE workshop_id = ? AND session_id = ?",
            [found["places"], found["workshop"], found["session"]],
        )
        at = _iso(now)
        body = {
            **found,
            "status": "cancelled",
            "cancelled": {"by": user.id, "role": role, "reason": reason, "at": at},
            "updated_at": at,
        }
        body["_rev"] = store.put(body, check=make_check(SERVER, lambda _a: None))
        told = [found["buyer"]] if role != "buyer" else _coordinators(db, found["cooperative"])
        _notify(db, told, "booking_cancelled", body, reason=reason)
    return render(body)


def _ordered(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def when(b: dict[str, Any]) -> tuple:
        at = parse_instant(b.get("starts_at") or "")
        return (at.timestamp() if at else 0.0, b["_id"])

    return [render(b) for b in sorted(found, key=when)]


def for_buyer(store: DocumentStore, user: User) -> list[dict[str, Any]]:
    """A buyer's own bookings, soonest session first."""
    return _ordered(docs.bookings(store, "buyer", user.id))


def for_cooperative(store: DocumentStore, user: User, cooperative: str) -> list[dict[str, Any]]:
    """A cooperative's bookings, for its coordinators (and admins)."""
    if user.role != "admin" and (
        user.role != "coordinator" or cooperative not in user.cooperative_ids
    ):
        raise Forbidden(
            "Bookings are shown to the cooperative's coordinators.",
            details={"cooperative": cooperative},
        )
    return _ordered(docs.bookings(store, "cooperative", cooperative))


def book_url(
    db: sqlite_utils.Database, coop: str, public_url: str, workshop_id: str, session_id: str
) -> str:
    """Where a session is booked: this server's path when it is the cooperative's home
    server (absolute when ``public_url`` is set), else the home server's same path."""
    path = book_path(workshop_id, session_id)
    if is_home(db, coop, public_url):
        return f"{public_url.rstrip('/')}{path}" if public_url else path
    return f"{home_server(db, coop)}{path}"

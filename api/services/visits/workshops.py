"""Workshops over REST (``workshop:<cooperative>:<code>`` documents, written by the
cooperative's coordinators with If-Match), and the sessions to come with their places
left, for the cooperative's page and ``GET /api/v1/cooperatives/{id}/sessions``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from schemas.visits import parse_instant, workshop_cooperative, workshop_id
from sync.rules.access import make_check
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict

from ...errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired
from ..accounts import User
from ..directory import artisan_cooperative
from ..ledger.materials import cooperative_for
from . import docs

WRITERS = ("coordinator", "admin")


class WorkshopExists(Conflict):
    code = "workshop_exists"
    message = "This cooperative already has a workshop with this code: edit it with PUT."


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check(store: DocumentStore, user: User):
    return make_check(user, lambda artisan: artisan_cooperative(store.db, artisan))


def session_capacity(workshop: dict[str, Any], session: dict[str, Any]) -> int:
    own = session.get("capacity")
    return own if isinstance(own, int) else int(workshop.get("capacity") or 0)


def sync_places(db: sqlite_utils.Database, workshop: dict[str, Any]) -> None:
    """Bring the capacity of each of its sessions' rows up to date (created if missing).
    Places already booked stay booked, even over a lowered capacity."""
    with write_transaction(db):
        for session in workshop.get("sessions") or []:
            db.execute(
                "INSERT INTO session_places (workshop_id, session_id, capacity, booked) "
                "VALUES (?, ?, ?, 0) ON CONFLICT (workshop_id, session_id) "
                "DO UPDATE SET capacity = excluded.capacity",
                [workshop["_id"], session["id"], session_capacity(workshop, session)],
            )


def _may_write(user: User, coop: str | None) -> None:
    if user.role == "admin":
        return
    if user.role != "coordinator" or coop not in user.cooperative_ids:
        raise Forbidden(
            "Workshops are written by the cooperative's coordinators.",
            details={"cooperative": coop},
        )


def render(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "type"}
    return {**out, "id": doc["_id"], "rev": doc["_rev"], "code": doc["_id"].rpartition(":")[2]}


def get(store: DocumentStore, user: User | None, doc_id: str) -> dict[str, Any]:
    """A workshop: published ones for anyone, drafts for its cooperative's members."""
    found = docs.get(store, doc_id, "workshop")
    if found is not None and found.get("status") != "published":
        coop = found.get("cooperative")
        mine = user is not None and (user.role == "admin" or coop in user.cooperative_ids)
        if not mine:
            found = None
    if found is None:
        raise NotFound("No such workshop.", details={"id": doc_id})
    return found


def list_workshops(store: DocumentStore, user: User, cooperative: str | None) -> list[dict]:
    """A coordinator's cooperatives' workshops (or the one named), an admin's any."""
    if user.role == "admin":
        return docs.workshops(store, cooperative)
    coops = [cooperative] if cooperative else list(user.cooperative_ids)
    for coop in coops:
        if coop not in user.cooperative_ids:
            raise Forbidden("This is not one of your cooperatives.", details={"cooperative": coop})
    return [w for coop in coops for w in docs.workshops(store, coop)]


def create(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    coop = cooperative_for(store.db, user, data.pop("cooperative", None))
    _may_write(user, coop)
    doc_id = workshop_id(coop, data.pop("code"))
    stamp = now_iso()
    body = {
        "status": "draft",
        **data,
        "_id": doc_id,
        "type": "workshop",
        "cooperative": coop,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with write_transaction(store.db):
        row = store.row(doc_id)
        if row is not None and not row.deleted:
            raise WorkshopExists(details={"id": doc_id})
        body["_rev"] = store.put(body, check=_check(store, user))
        sync_places(store.db, body)
    return get(store, user, doc_id)


def update(
    store: DocumentStore, user: User, doc_id: str, if_match: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Replace a workshop's fields with If-Match (code and cooperative are its id's); the
    places of its sessions follow their capacity."""
    _may_write(user, workshop_cooperative(doc_id))
    current = get(store, user, doc_id)
    if not if_match or not if_match.strip():
        raise PreconditionRequired()
    rev = if_match.strip().removeprefix("W/").strip('"')
    if rev != current["_rev"]:
        raise PreconditionFailed(details={"current": render(current)})
    kept = {k: current[k] for k in ("type", "cooperative", "created_at") if k in current}
    data = {k: v for k, v in data.items() if k not in ("code", "cooperative")}
    body = {"status": current["status"], **kept, **data, "updated_at": now_iso()}
    body.update(_id=doc_id, _rev=rev)
    try:
        with write_transaction(store.db):
            body["_rev"] = store.put(body, check=_check(store, user))
            sync_places(store.db, body)
    except RevisionConflict as exc:
        raise PreconditionFailed(details={"current": render(get(store, user, doc_id))}) from exc
    return get(store, user, doc_id)


def booked_places(db: sqlite_utils.Database, workshop: dict[str, Any]) -> dict[str, int]:
    """Places taken per session: the home server's count where it has one, else the
    confirmed bookings this server has received (from the hub)."""
    counted = dict(
        db.execute(
            "SELECT session_id, booked FROM session_places WHERE workshop_id = ?",
            [workshop["_id"]],
        ).fetchall()
    )
    missing = {s["id"] for s in workshop.get("sessions") or []} - set(counted)
    if missing:
        for booking in docs.bookings(db, "workshop", workshop["_id"]):
            session = booking.get("session")
            if session in missing and booking.get("status") == "confirmed":
                counted[session] = counted.get(session, 0) + int(booking.get("places") or 0)
    return counted


def upcoming(store_or_db: Any, cooperative: str, now: datetime | None = None) -> list[dict]:
    """The sessions to come of the cooperative's published workshops, soonest first, each
    with its workshop's public fields and its places left."""
    db = getattr(store_or_db, "db", store_or_db)
    now = now or datetime.now(UTC)
    found = []
    for workshop in docs.workshops(db, cooperative):
        if workshop.get("status") != "published":
            continue
        booked = booked_places(db, workshop)
        for session in workshop.get("sessions") or []:
            starts = parse_instant(session.get("starts_at") or "")
            if starts is None or starts <= now:
                continue
            capacity = session_capacity(workshop, session)
            left = max(capacity - booked.get(session["id"], 0), 0)
            found.append(
                {
                    "workshop_id": workshop["_id"],
                    "session_id": session["id"],
                    "cooperative": cooperative,
                    "starts_at": session["starts_at"],
                    "title": workshop.get("title") or {},
                    "description": workshop.get("description") or {},
                    "duration_minutes": workshop.get("duration_minutes"),
                    "price_centimes": workshop.get("price_centimes"),
                    "languages": workshop.get("languages") or [],
                    "capacity": capacity,
                    "places_left": left,
                    "full": left == 0,
                    "_at": starts,
                }
            )
    found.sort(key=lambda s: (s["_at"], s["workshop_id"], s["session_id"]))
    return [{k: v for k, v in s.items() if k != "_at"} for s in found]

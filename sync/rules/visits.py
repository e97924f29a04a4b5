"""Visits' rules: who sees a workshop and writes it, and that bookings are the home
server's alone (docs/visits.md).

A workshop is its cooperative's: its coordinators write it (admins too), its artisans
have it on their phones, and once published anyone reads it. A booking takes places
counted in one table of the cooperative's home server, in the same transaction: a
booking written anywhere else, by a phone or a client through /sync, would take places
no one counted, so it is refused.
"""

from __future__ import annotations

from typing import Any, Protocol

from schemas.visits import BOOKING_PREFIX, WORKSHOP_PREFIX, workshop_cooperative
from sync.rules.channels import members
from sync.store.errors import WriteForbidden

PUBLIC = "public"
VISIT_TYPES = ("workshop", "booking")
SERVERS_ONLY = (
    "a booking is booked on the cooperative's home server (POST /api/v1/bookings), "
    "where its places are counted; it cannot be written through sync"
)
KEPT = 'a workshop is kept for its bookings: set "status": "cancelled"'
_PREFIXES = {"workshop": WORKSHOP_PREFIX, "booking": BOOKING_PREFIX}


class Writer(Protocol):
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def channels(body: dict[str, Any]) -> set[str]:
    """A workshop: its cooperative's coordinators and artisans, and anyone once
    published. A booking: the buyer and the cooperative's coordinators."""
    coop = body.get("cooperative")
    found: set[str] = set()
    if isinstance(coop, str) and coop:
        found.add(f"coop:{coop}")
    if body.get("type") == "booking":
        buyer = body.get("buyer")
        if isinstance(buyer, str) and buyer:
            found.add(f"buyer:{buyer}")
        return found
    if isinstance(coop, str) and coop:
        found.add(members(coop))
    if body.get("status") == "published":
        found.add(PUBLIC)
    return found


def check_id(doc_id: str, body: dict[str, Any]) -> None:
    """For every writer, admins included: ``workshop:<cooperative>:<code>`` holds that
    cooperative's workshop, ``booking:`` ids hold bookings."""
    if not doc_id:
        return
    kind = body.get("type")
    for prefix_kind, prefix in _PREFIXES.items():
        if doc_id.startswith(prefix) and kind != prefix_kind:
            raise WriteForbidden(f"ids starting with {prefix!r} are for {prefix_kind} documents")
    # A forged list-valued type is no dict key: the schema refuses it, with its reason.
    if isinstance(kind, str) and kind in _PREFIXES and not doc_id.startswith(_PREFIXES[kind]):
        raise WriteForbidden(f"a {kind} document's id starts with {_PREFIXES[kind]!r}")
    if kind == "workshop" and workshop_cooperative(doc_id) != body.get("cooperative"):
        raise WriteForbidden("a workshop's id is workshop:<its cooperative>:<code>")


def check(user: Writer, doc_id: str, old: dict | None, new: dict) -> None:
    if new.get("type") == "booking":
        raise WriteForbidden(SERVERS_ONLY)
    coop = new.get("cooperative")
    if old is not None and old.get("cooperative") != coop:
        raise WriteForbidden("cooperative cannot be changed once set")
    if user.role != "coordinator" or coop not in user.cooperative_ids:
        raise WriteForbidden("workshops are written by the cooperative's coordinators")


def check_deletion(old: dict) -> None:
    if old.get("type") == "booking":
        raise WriteForbidden(SERVERS_ONLY)
    if old.get("type") == "workshop":
        raise WriteForbidden(KEPT)

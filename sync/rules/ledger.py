"""The raw-materials ledger's rules: what a movement does to balances, who may write
materials and movements, and who sees them.

A movement is a fact recorded once (schemas/ledger.py). Its effect on balances depends
on its own body only, never on what a server had stored when it arrived, so every server
and phone that holds the same movements holds the same balances:

- a ``count`` carries both what was counted and what the recorder's ledger showed
  (``expected``), and adjusts by the difference;
- a ``reversal`` lives at ``reversal:<movement id>``, one per movement (two people
  undoing the same mistake offline write the same document), and a reversed movement
  counts for nothing, whichever of the two arrived first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from schemas.ledger import (
    ARTISAN_PLACE,
    MAX_QUANTITY,
    REQUIRED_BY_KIND,
    REVERSAL_PREFIX,
    STORE,
    artisan_place,
    material_cooperative,
    place_artisan,
)
from sync.store.errors import WriteForbidden

NEVER_EDITED = (
    "a movement is never edited or deleted: record a reversal "
    '({"kind": "reversal", "reverses": "<its id>"} at reversal:<its id>)'
)

# (material id, place, change in base units)
Effect = tuple[str, str, int]


class Writer(Protocol):
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def reversal_id(movement_id: str) -> str:
    return f"{REVERSAL_PREFIX}{movement_id}"


def _int(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= MAX_QUANTITY


def _lines(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(q, dict) and isinstance(q.get("material"), str) and _int(q.get("quantity"), 1)
        for q in value
    )


_SHAPES = {
    "material": lambda v: isinstance(v, str),
    "quantity": lambda v: _int(v, 1),
    "from": lambda v: isinstance(v, str),
    "to": lambda v: isinstance(v, str),
    "at": lambda v: isinstance(v, str),
    "counted": lambda v: _int(v, 0),
    "expected": lambda v: _int(v, -MAX_QUANTITY),
    "inputs": _lines,
    "outputs": _lines,
    "lot": lambda v: isinstance(v, str),
    "reverses": lambda v: isinstance(v, str),
}


def countable(body: dict[str, Any]) -> bool:
    """Whether a movement has what its kind needs to count: the schema's shape, checked
    cheaply. A movement no check saw (from the hub, or stored under the first schema)
    that lacks it counts for nothing rather than failing the write that brought it."""
    kind = body.get("kind")
    needed = REQUIRED_BY_KIND.get(kind) if isinstance(kind, str) else None
    return (
        needed is not None
        and isinstance(body.get("cooperative"), str)
        and all(_SHAPES[name](body.get(name)) for name in needed)
    )


def effects(body: dict[str, Any]) -> list[Effect]:
    """What a (valid) movement adds to each balance; a reversal's own effect is none (it
    cancels the movement it names: see ``balances``)."""
    kind = body.get("kind")
    material, quantity = body.get("material"), body.get("quantity")
    if kind == "receive":
        return [(material, body["to"], quantity)]
    if kind == "transfer":
        return [(material, body["from"], -quantity), (material, body["to"], quantity)]
    if kind in ("use", "waste"):
        return [(material, body["from"], -quantity)]
    if kind == "count":
        return [(material, body["at"], body["counted"] - body["expected"])]
    if kind == "batch":
        at = body["at"]
        used = [(q["material"], at, -q["quantity"]) for q in body["inputs"]]
        return used + [(q["material"], at, q["quantity"]) for q in body["outputs"]]
    return []


def balances(movements: dict[str, dict[str, Any]]) -> dict[tuple[str, str], int]:
    """Balances from a whole ledger (movement id -> body): the definition the projection
    in the server keeps up to date one movement at a time, and the tests check against."""
    totals: dict[tuple[str, str], int] = {}
    counted = {m: body for m, body in movements.items() if countable(body)}
    reversed_ids = {b["reverses"] for b in counted.values() if b["kind"] == "reversal"}
    for movement_id, body in counted.items():
        if body["kind"] == "reversal" or movement_id in reversed_ids:
            continue
        for material, place, delta in effects(body):
            totals[(material, place)] = totals.get((material, place), 0) + delta
    return {key: value for key, value in totals.items() if value}


def places(body: dict[str, Any]) -> set[str]:
    return {body[name] for name in ("from", "to", "at") if isinstance(body.get(name), str)}


def movement_channels(body: dict[str, Any]) -> set[str]:
    """Its cooperative's coordinators and each artisan whose materials it moves (and who
    recorded it)."""
    coop = body.get("cooperative")
    if not isinstance(coop, str) or not coop:
        return set()
    found = {f"coop:{coop}"}
    artisans = {place_artisan(p) for p in places(body)} | {body.get("owner")}
    found |= {f"artisan:{a}" for a in artisans if isinstance(a, str) and a}
    return found


def check_material(user: Writer, doc_id: str, old: dict | None, new: dict) -> None:
    coop = new.get("cooperative")
    if material_cooperative(doc_id) != coop:
        raise WriteForbidden(
            "a material's id is material:<cooperative>:<code> (code: a-z, 0-9, -), "
            "with its own cooperative"
        )
    if old is not None and old.get("cooperative") != coop:
        raise WriteForbidden("cooperative cannot be changed once set")
    if user.role != "coordinator" or coop not in user.cooperative_ids:
        raise WriteForbidden("materials are written by the cooperative's coordinators")


def check_movement(
    user: Writer,
    doc_id: str,
    old: dict | None,
    new: dict,
    artisan_cooperative: Callable[[str], str | None],
) -> None:
    """Who may record this movement. Its schema has already checked its shape and that
    every material named is its cooperative's."""
    if old is not None:
        if old.get("kind") == "reversal":
            raise WriteForbidden(f"{old.get('reverses')} is already reversed")
        raise WriteForbidden(NEVER_EDITED)
    check_reversal_id(doc_id, new)
    coop = new.get("cooperative")
    if new.get("owner") != user.id:
        raise WriteForbidden("owner must be your own user id: who recorded the movement")
    if coop not in user.cooperative_ids:
        raise WriteForbidden("you can only record movements of your own cooperatives")
    touched = places(new)
    for artisan in filter(None, map(place_artisan, touched)):
        if artisan_cooperative(artisan) != coop:
            raise WriteForbidden(f"{ARTISAN_PLACE}{artisan} is not an artisan of {coop}")
    if user.role == "coordinator":
        return
    if user.role != "artisan":
        raise WriteForbidden(f"a {user.role} does not record materials")
    own = artisan_place(user.id)
    if new.get("kind") != "reversal" and own not in touched:
        raise WriteForbidden(
            f"your movements are of your own materials: name {own} "
            f'(from, to or at); the store\'s ("{STORE}") are recorded by a coordinator'
        )


def check_reversal_id(doc_id: str, body: dict) -> None:
    """One reversal per movement, at ``reversal:<its id>``: for every writer, admins and
    the server included, or a second reversal could undo a movement twice in a reader's
    eyes."""
    reverses = body.get("reverses")
    if body.get("kind") == "reversal":
        if not isinstance(reverses, str):
            return  # the schema refuses it, with its reason
        if reverses.startswith(REVERSAL_PREFIX):
            raise WriteForbidden("a reversal is not reversed: record the movement again")
        if doc_id != reversal_id(reverses):
            raise WriteForbidden(
                f"a reversal's id is {REVERSAL_PREFIX}<the movement's id>: one per movement"
            )
    elif doc_id.startswith(REVERSAL_PREFIX):
        raise WriteForbidden(f"ids starting with {REVERSAL_PREFIX!r} are for reversals")
    elif reverses is not None:
        raise WriteForbidden('only a movement of kind "reversal" names what it reverses')

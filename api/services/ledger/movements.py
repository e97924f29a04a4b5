"""Movements of materials over REST: the same ``material_movement`` documents phones
record offline, checked by the same rules (sync/rules/ledger.py).

The server fills what the recorder does not choose: ``owner`` (the caller), the
cooperative (the caller's only one, unless named), an id, ``created_at``, and a count's
``expected`` (the balance there at that moment, read in the write's own transaction).
Quantities may come in a unit of the material's family and are stored as whole base
units. A movement is never edited: a mistake is undone by a reversal, one per movement
at ``reversal:<movement id>``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import sqlite_utils
from marshmallow import ValidationError

from schemas.ledger import (
    MAX_QUANTITY,
    UNITS,
    MaterialMovementDocSchema,
    artisan_place,
    material_cooperative,
    place_artisan,
)
from sync.rules.ledger import places, reversal_id
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore

from ...errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..accounts import User
from ..directory import artisan_cooperative
from ..visible_docs import visible_doc
from . import reads
from .materials import check_for, now_iso

MOVEMENT_PREFIX = "movement:"
# What a reversal says besides what it reverses.
REVERSAL_FIELDS = {"kind", "reverses", "note", "occurred_at"}
# Filled by the server: not part of the body a retry is compared on.
STAMPS = ("created_at", "updated_at")
_DOC_SCHEMA = MaterialMovementDocSchema()


class UnknownMaterial(NotFound):
    code = "unknown_material"
    message = "No such material in this cooperative: create it first (POST /materials)."


class ForeignMaterial(Forbidden):
    code = "material_of_another_cooperative"


class PlaceOutsideCooperative(Forbidden):
    code = "place_outside_cooperative"


class AlreadyReversed(Conflict):
    code = "already_reversed"
    message = "This movement is already reversed: it counts for nothing already."


class NotReversible(Conflict):
    code = "not_reversible"
    message = "A reversal is not reversed: record the movement again instead."


class IdTaken(Conflict):
    code = "id_taken"
    message = (
        "This id holds another movement (or document): a retry sends the same body; a new "
        "movement needs a new id."
    )


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, details={"fields": {field: [message]}})


def to_base(amount: Decimal, unit: str | None, material: dict[str, Any], field: str) -> int:
    """An amount in whole base units of the material: ``unit`` must be of its family and
    the result whole; without a unit the amount is base units already."""
    base = UNITS[material["unit"]][0]
    if unit is None:
        value = amount
    else:
        if UNITS[unit][0] != base:
            family = sorted(u for u, (b, _) in UNITS.items() if b == base)
            raise _invalid(
                "unit",
                f"{material['id']} is kept in {base}: give its quantities in "
                f"{' or '.join(family)}, not {unit}.",
            )
        value = amount * UNITS[unit][1]
    if value != value.to_integral_value():
        given = f"{amount} {unit}" if unit else f"{amount} {base}"
        raise _invalid(
            field,
            f"{given} is not a whole number of {base}: quantities are whole base units "
            f"({base} for this material).",
        )
    if value > MAX_QUANTITY:
        raise _invalid(field, f"At most {MAX_QUANTITY} {base}.")
    return int(value)


def _material(db: sqlite_utils.Database, coop: str, doc_id: str) -> dict[str, Any]:
    owner = material_cooperative(doc_id)
    if owner is not None and owner != coop:
        raise ForeignMaterial(
            f"{doc_id} is a material of {owner}, not of {coop}: a movement moves its own "
            "cooperative's materials.",
            details={"material": doc_id, "cooperative": coop},
        )
    found = reads.material(db, doc_id)
    if found is None or found["cooperative"] != coop:
        raise UnknownMaterial(details={"material": doc_id, "cooperative": coop})
    return found


def _check_places(db: sqlite_utils.Database, coop: str, body: dict[str, Any]) -> None:
    for place in sorted(places(body)):
        artisan = place_artisan(place)
        if artisan is not None and artisan_cooperative(db, artisan) != coop:
            raise PlaceOutsideCooperative(
                f"{place} is not an artisan of {coop}: materials move between the store "
                "and the homes of one cooperative's artisans.",
                details={"place": place, "cooperative": coop},
            )


def _document(
    db: sqlite_utils.Database, user: User, coop: str, data: dict[str, Any]
) -> dict[str, Any]:
    """The movement document of a REST body: places as "from", quantities in base units
    (the named materials checked to be the cooperative's)."""
    data = dict(data)
    unit = data.pop("unit", None)
    if "source" in data:
        data["from"] = data.pop("source")
    if data.get("material") is not None:
        material = _material(db, coop, data["material"])
        for field in ("quantity", "counted"):
            if data.get(field) is not None:
                data[field] = to_base(data[field], unit, material, field)
    elif unit is not None:
        raise _invalid("unit", "`unit` is the unit of `material`'s quantity: name the material.")
    for side in ("inputs", "outputs"):
        if data.get(side):
            data[side] = [
                {
                    "material": q["material"],
                    "quantity": to_base(
                        q["quantity"],
                        q.get("unit"),
                        _material(db, coop, q["material"]),
                        f"{side}.{i}.quantity",
                    ),
                }
                for i, q in enumerate(data[side])
            ]
    for field in ("quantity", "counted"):
        if isinstance(data.get(field), Decimal):  # no material to convert it with
            data[field] = to_base(data[field], None, {"unit": "piece", "id": ""}, field)
    body = {**data, "type": "material_movement", "owner": user.id, "cooperative": coop}
    _check_places(db, coop, body)
    return body


def _validated(body: dict[str, Any]) -> None:
    """The document's own schema (what each kind needs), as a 400 naming the fields."""
    try:
        _DOC_SCHEMA.load({k: v for k, v in body.items() if not k.startswith("_")})
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise ValidationFailed(details={"fields": messages}) from exc


def _same(stored: dict[str, Any], body: dict[str, Any], ignore: tuple[str, ...]) -> bool:
    def comparable(doc: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in doc.items() if not k.startswith("_") and k not in ignore}

    return comparable(stored) == comparable(body)


def create(
    store: DocumentStore, user: User, coop: str, data: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Record a movement: (its document, whether it is new). A retry with the same id
    and body returns the one recorded."""
    data = dict(data)
    client_id = data.pop("id", None)
    db = store.db
    with write_transaction(db):
        if data["kind"] == "reversal":
            return _reverse(store, user, coop, data, client_id)
        body = _document(db, user, coop, data)
        doc_id = client_id or f"{MOVEMENT_PREFIX}{uuid.uuid4().hex}"
        if doc_id.startswith("reversal:"):
            raise _invalid("id", 'ids starting with "reversal:" are for reversals.')
        fills_expected = body["kind"] == "count" and body.get("expected") is None
        row = store.row(doc_id)
        if row is not None:
            stored = None if row.deleted else store.winner_body(doc_id)
            ignore = STAMPS + (("expected",) if fills_expected else ())
            if stored is not None and _same(stored, body, ignore):
                return get(store, user, doc_id), False
            raise IdTaken(details={"id": doc_id})
        if fills_expected and body.get("material") and body.get("at"):
            body["expected"] = reads.balance(db, body["material"], body["at"])
        body["created_at"] = now_iso()
        _validated(body)
        store.put({**body, "_id": doc_id}, check=check_for(store, user))
    return get(store, user, doc_id), True


def _reverse(
    store: DocumentStore, user: User, coop: str, data: dict[str, Any], client_id: str | None
) -> tuple[dict[str, Any], bool]:
    extra = sorted("from" if k == "source" else k for k in data if k not in REVERSAL_FIELDS)
    if extra:
        message = "A reversal says only what it reverses (`reverses`), and a note."
        raise ValidationFailed(message, details={"fields": {k: [message] for k in extra}})
    target_id = data.get("reverses")
    if not target_id:
        raise _invalid("reverses", "A reversal names the movement it undoes: `reverses`.")
    doc_id = reversal_id(target_id)
    if client_id not in (None, doc_id):
        raise _invalid("id", f"A reversal's id is reversal:<the movement's id>: {doc_id}.")
    target = store.winner_body(target_id)
    if (
        target is None
        or target.get("type") != "material_movement"
        or target.get("cooperative") != coop
    ):
        raise NotFound(
            "No such movement in this cooperative.",
            details={"reverses": target_id, "cooperative": coop},
        )
    if target.get("kind") == "reversal":
        raise NotReversible(details={"reverses": target_id})
    if user.role == "artisan" and target.get("owner") != user.id:
        raise Forbidden(
            "You can reverse the movements you recorded; ask a coordinator to reverse this one.",
            details={"reverses": target_id, "owner": target.get("owner")},
        )
    body = {**data, "type": "material_movement", "owner": user.id, "cooperative": coop}
    # It restates the places of what it undoes, so it reaches the same phones (channels
    # come from a document's own body: sync/rules/ledger.py, movement_channels).
    body.update({name: target[name] for name in ("from", "to", "at") if name in target})
    row = store.row(doc_id)
    if row is not None and not row.deleted:
        stored = store.winner_body(doc_id) or {}
        if client_id is not None and _same(stored, body, STAMPS):
            return get(store, user, doc_id), False
        raise AlreadyReversed(
            details={"reverses": target_id, "reversal": doc_id, "by": stored.get("owner")}
        )
    body["created_at"] = now_iso()
    _validated(body)
    store.put({**body, "_id": doc_id}, check=check_for(store, user))
    return get(store, user, doc_id), True


def is_reversed(store: DocumentStore, doc: dict[str, Any]) -> bool:
    if doc.get("kind") == "reversal":
        return False
    row = store.row(reversal_id(doc["_id"]))
    return row is not None and not row.deleted


def render(store: DocumentStore, doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "type"}
    return {**out, "id": doc["_id"], "rev": doc["_rev"], "reversed": is_reversed(store, doc)}


def get(store: DocumentStore, user: User, doc_id: str) -> dict[str, Any]:
    """A movement the caller sees: her cooperative's (a coordinator), one that moves her
    own materials or that she recorded (an artisan)."""
    return visible_doc(store, user, doc_id, "material_movement", "movement")


def own_place(user: User, place: str | None) -> str | None:
    """The place a list is about: an artisan sees her own home's only."""
    if user.role != "artisan":
        return place
    mine = artisan_place(user.id)
    if place not in (None, mine):
        raise Forbidden(
            f"You see the movements and balances of your own materials: place={mine}.",
            details={"place": place, "yours": mine},
        )
    return mine


def page(
    db: sqlite_utils.Database,
    user: User,
    coop: str,
    *,
    cursor: int | None,
    limit: int,
    kind: str | None,
    material: str | None,
    place: str | None,
) -> dict[str, Any]:
    items, after = reads.movements(
        db,
        coop,
        before=cursor,
        limit=limit,
        kind=kind,
        material=material,
        place=own_place(user, place),
    )
    for item in items:
        item.pop("type", None)
    return {"items": items, "next": None if after is None else str(after)}

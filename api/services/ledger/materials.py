"""A cooperative's materials over REST (``material:<cooperative>:<code>`` documents): its
coordinators write them with If-Match, its artisans read them. A material is never
deleted: ``archived: true`` takes it out of lists and keeps its history readable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from schemas.ledger import UNITS, material_cooperative, material_id
from sync.rules.access import make_check
from sync.store.database import write_transaction
from sync.store.documents import DocumentStore
from sync.store.errors import RevisionConflict

from ...errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from ..accounts import User
from ..directory import artisan_cooperative
from ..visible_docs import visible_doc
from . import reads


class MaterialExists(Conflict):
    code = "material_exists"
    message = "This cooperative already has a material with this code: edit it with PUT."


class UnitFamilyChanged(Conflict):
    code = "unit_family_changed"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check_for(store: DocumentStore, user: User):
    """The store's write check for this user (sync/rules/access.py), as /sync applies it."""
    return make_check(user, lambda artisan: artisan_cooperative(store.db, artisan))


def cooperative_for(db: sqlite_utils.Database, user: User, given: str | None) -> str:
    """The cooperative a request is about: the one named (one of the caller's), else the
    caller's only one. An admin names it."""
    if user.role == "admin":
        if not given:
            raise BadRequest("Say which cooperative: `cooperative`.", details={"cooperative": None})
        if db.execute("SELECT 1 FROM cooperatives WHERE id = ?", [given]).fetchone() is None:
            raise NotFound("No such cooperative.", details={"cooperative": given})
        return given
    mine = tuple(user.cooperative_ids)
    if given:
        if given not in mine:
            raise Forbidden(
                "This is not one of your cooperatives.",
                details={"cooperative": given, "yours": list(mine)},
            )
        return given
    if len(mine) != 1:
        raise BadRequest(
            "You belong to several cooperatives: say which one with `cooperative`.",
            details={"yours": list(mine)},
        )
    return mine[0]


def _may_write(user: User, coop: str | None) -> None:
    if user.role == "admin":
        return
    if user.role != "coordinator" or coop not in user.cooperative_ids:
        raise Forbidden(
            "Materials are written by the cooperative's coordinators.",
            details={"cooperative": coop},
        )


def render(db: sqlite_utils.Database, doc: dict[str, Any]) -> dict[str, Any]:
    """A material document as REST shows it, with its average cost from the ledger."""
    out = {k: v for k, v in doc.items() if not k.startswith("_") and k != "type"}
    row = reads.material(db, doc["_id"]) or {}
    out.update(
        id=doc["_id"],
        rev=doc["_rev"],
        code=doc["_id"].rpartition(":")[2],
        base_unit=UNITS[doc["unit"]][0] if doc.get("unit") in UNITS else None,
        archived=bool(doc.get("archived")),
        average_cost_centimes=row.get("average_cost_centimes"),
    )
    return out


def list_materials(store: DocumentStore, coop: str, archived: bool = False) -> list[dict[str, Any]]:
    found = reads.materials(store.db, coop, archived=archived)
    rows = store.rows([m["id"] for m in found])
    for material in found:
        material["code"] = material["id"].rpartition(":")[2]
        if (row := rows.get(material["id"])) is not None:
            material["rev"] = row.winner
    return found


def get(store: DocumentStore, user: User, doc_id: str) -> dict[str, Any]:
    """A material the caller's cooperative has (404 otherwise)."""
    return visible_doc(store, user, doc_id, "material", "material")


def create(store: DocumentStore, user: User, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    coop = cooperative_for(store.db, user, data.pop("cooperative", None))
    _may_write(user, coop)
    doc_id = material_id(coop, data.pop("code"))
    stamp = now_iso()
    body = {
        **data,
        "_id": doc_id,
        "type": "material",
        "cooperative": coop,
        "archived": False,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with write_transaction(store.db):
        row = store.row(doc_id)
        if row is not None and not row.deleted:
            raise MaterialExists(details={"id": doc_id})
        store.put(body, check=check_for(store, user))
    return get(store, user, doc_id)


def update(
    store: DocumentStore, user: User, doc_id: str, if_match: str | None, data: dict[str, Any]
) -> dict[str, Any]:
    """Replace a material's fields with If-Match; code and cooperative are its id's."""
    _may_write(user, material_cooperative(doc_id))
    current = get(store, user, doc_id)
    if not if_match or not if_match.strip():
        raise PreconditionRequired()
    rev = if_match.strip().removeprefix("W/").strip('"')
    if rev != current["_rev"]:
        raise PreconditionFailed(details={"current": render(store.db, current)})
    old_base = UNITS.get(current.get("unit"), (None, 1))[0]
    if old_base is not None and UNITS[data["unit"]][0] != old_base:
        raise UnitFamilyChanged(
            f"This material's quantities are kept in {old_base}: its unit may become "
            f"another unit kept in {old_base}, not {data['unit']!r}. Create a new material.",
            details={"unit": data["unit"], "base_unit": old_base},
        )
    kept = {k: current[k] for k in ("type", "cooperative", "created_at") if k in current}
    body = {**kept, **data, "updated_at": now_iso(), "_id": doc_id, "_rev": rev}
    try:
        store.put(body, check=check_for(store, user))
    except RevisionConflict as exc:  # changed between our read and our write
        raise PreconditionFailed(
            details={"current": render(store.db, get(store, user, doc_id))}
        ) from exc
    return get(store, user, doc_id)

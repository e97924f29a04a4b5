"""Movements stored under the first ``material_movement`` schema, written again.

That schema had a free material name, a float quantity and a free unit, and no kind.
Each such movement becomes, under the same id, a new revision in integers of the base
unit: a positive quantity is a ``receive`` into its artisan's own materials, a negative
one a ``use`` of them. Its material is ``material:<cooperative>:<name as a code>``,
created in the catalogue if missing. The old values are kept under ``legacy``. A
quantity that rounds to nothing becomes a deletion: it moved nothing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

import sqlite_utils

from schemas.ledger import MAX_QUANTITY, UNITS, artisan_place, material_id
from sync.rules.access import make_check
from sync.store.errors import StoreError

from ...stores import document_store
from ..directory_docs import SERVER

log = logging.getLogger(__name__)


def code_for(name: str) -> str:
    """A material code from a free name: "Laine écrue" -> "laine-ecrue"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    code = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40].strip("-")
    # Not hash(): it differs between processes, and two servers converting the same
    # movement must name the same material.
    return code or "material-" + hashlib.sha256(name.encode()).hexdigest()[:8]


def converted(body: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """(the movement under today's schema, or None if it moved nothing; the material
    document it names)."""
    unit = body.get("unit") if body.get("unit") in UNITS else "piece"
    per = UNITS[unit][1]
    try:
        base = int((Decimal(str(body.get("quantity"))) * per).to_integral_value(ROUND_HALF_EVEN))
    except (InvalidOperation, ValueError):
        base = 0
    name = str(body.get("material") or "material")[:200]
    coop, owner = body["cooperative"], body["owner"]
    material = {
        "type": "material",
        "cooperative": coop,
        "name": {"fr": name},
        "unit": unit,
    }
    legacy = {k: body.get(k) for k in ("material", "quantity", "unit")}
    if base == 0:
        return None, material
    kept = {k: v for k, v in body.items() if k not in ("material", "quantity", "unit")}
    place = artisan_place(owner)
    movement = {
        **kept,
        "kind": "receive" if base > 0 else "use",
        "material": material_id(coop, code_for(name)),
        "quantity": min(abs(base), MAX_QUANTITY),
        ("to" if base > 0 else "from"): place,
        "legacy": legacy,
    }
    return movement, material


def convert_all(db: sqlite_utils.Database) -> int:
    """Write every legacy movement again; returns how many were written."""
    rows = db.execute(
        "SELECT d.id, d.winner, r.body FROM docs d "
        "JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner WHERE d.deleted = 0 "
        "AND json_extract(r.body, '$.type') = 'material_movement' "
        "AND json_extract(r.body, '$.kind') IS NULL"
    ).fetchall()
    store = document_store(db)
    check = make_check(SERVER, lambda _artisan: None)
    written = 0
    for doc_id, rev, raw in rows:
        body = json.loads(raw)
        if not isinstance(body.get("cooperative"), str) or not isinstance(body.get("owner"), str):
            log.warning("ledger: legacy movement %s names no cooperative or owner: kept", doc_id)
            continue
        movement, material = converted(body)
        material_doc_id = material_id(body["cooperative"], code_for(material["name"]["fr"]))
        try:
            if store.winner_body(material_doc_id) is None:
                store.put({"_id": material_doc_id, **material}, check=check)
            replacement = movement if movement is not None else {"_deleted": True}
            # Written as a new revision: the old revision's check would refuse an edit.
            store.bulk_docs([{"_id": doc_id, "_rev": rev, **replacement}])
            written += 1
        except StoreError as exc:
            log.warning("ledger: legacy movement %s not converted: %s", doc_id, exc)
    return written

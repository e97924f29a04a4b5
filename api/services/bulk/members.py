"""A bulk order's documents and where its pieces are: the winners of its parts, checks
and shipments (found through ``bulk_members``, api/services/bulk/projection.py), given
to ``totals`` (sync/rules/bulk_totals.py), the definition a phone computes too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sync.rules import bulk_totals
from sync.store.documents import DocumentStore


@dataclass(frozen=True)
class Members:
    parts: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    shipments: list[dict[str, Any]]


def members(store: DocumentStore, bulk_id: str) -> Members:
    found: dict[str, list[dict[str, Any]]] = {"order": [], "piece_check": [], "shipment": []}
    rows = store.db.execute(
        "SELECT doc_id, kind FROM bulk_members WHERE bulk_id = ? ORDER BY doc_id", [bulk_id]
    ).fetchall()
    for doc_id, kind in rows:
        row = store.row(doc_id)
        body = None if row is None or row.deleted else store.body(doc_id, row.winner)
        if body is not None and body.get("type") == kind:
            found[kind].append({**body, "_id": doc_id, "_rev": row.winner})
    return Members(found["order"], found["piece_check"], found["shipment"])


def totals(store: DocumentStore, bulk: dict[str, Any]) -> tuple[Members, dict[str, Any]]:
    """The bulk order's documents, and its totals (figures, per part, problems)."""
    found = members(store, bulk["_id"])
    return found, bulk_totals.totals(bulk, found.parts, found.checks, found.shipments)

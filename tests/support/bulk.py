"""Bulk orders' documents as the tests write them: valid bodies with their ids, in the
demo coordinator's cooperative unless told otherwise, and revisions carrying their
ancestry as a phone pushes an edit made offline."""

from __future__ import annotations

from typing import Any

from sync.store import revtree

COOP = "coop-taza-zerbia"
OTHER_COOP = "coop-essaouira-argan"
BUYER = "buy_claire"
COORDINATOR = "coo_naima"
ARTISANS = ("art_fatima", "art_khadija")
STAMP = "2026-12-01T09:00:00Z"
SHARE = 30_000  # what the artisan is paid per piece, in centimes
PRICE = 45_000  # what the buyer pays per piece


def step(status: str, by: str, role: str, at: str = STAMP) -> dict[str, str]:
    return {"status": status, "by": by, "role": role, "at": at}


def bulk_doc(
    bulk_id: str = "bulk:0001", status: str = "accepted", quantity: int = 20, **fields: Any
) -> dict[str, Any]:
    """A bulk order requested by the demo buyer; accepted (with the artisan's share) by
    the demo coordinator unless ``status`` is ``requested``."""
    history = [step("requested", BUYER, "buyer")]
    if status != "requested":
        history.append(step(status, COORDINATOR, "coordinator", "2026-12-01T10:00:00Z"))
    body = {
        "_id": bulk_id,
        "type": "bulk_order",
        "buyer": BUYER,
        "cooperative": COOP,
        "product_id": None,
        "title": {"fr": "Tapis pour l'hôtel", "en": "Rugs for the hotel"},
        "quantity": quantity,
        "unit_price_centimes": PRICE,
        "artisan_share_centimes": None if status == "requested" else SHARE,
        "due": "2027-03-01",
        "status": status,
        "history": history,
        "created_at": STAMP,
        "updated_at": history[-1]["at"],
    }
    return {**body, **fields}


def part_doc(
    part_id: str = "order:part-1",
    bulk_id: str = "bulk:0001",
    artisan: str = ARTISANS[0],
    quantity: int = 5,
    by: str = COORDINATOR,
    unit: int = SHARE,
    at: str = STAMP,
    **fields: Any,
) -> dict[str, Any]:
    """An artisan's part, placed by a coordinator and priced at her share per piece."""
    body = {
        "_id": part_id,
        "type": "order",
        "bulk_order": bulk_id,
        "buyer": BUYER,
        "artisan": artisan,
        "cooperative": COOP,
        "product_id": bulk_id,
        "product_title": {"fr": "Tapis pour l'hôtel"},
        "quantity": quantity,
        "options": [],
        "unit_price_centimes": unit,
        "total_centimes": unit * quantity,
        "currency": "MAD",
        "message": "",
        "status": "placed",
        "history": [step("placed", by, "coordinator", at)],
        "created_at": at,
        "updated_at": at,
    }
    return {**body, **fields}


def moved(body: dict[str, Any], status: str, by: str, role: str, at: str) -> dict[str, Any]:
    """``body`` after one more move (an order's or a bulk order's), as a phone makes it."""
    return {
        **body,
        "status": status,
        "history": [*body["history"], step(status, by, role, at)],
        "updated_at": at,
    }


def check_doc(
    check_id: str = "check:0001",
    part: str = "order:part-1",
    artisan: str = ARTISANS[0],
    passed: int = 3,
    refused: int = 0,
    bulk_id: str = "bulk:0001",
    by: str = COORDINATOR,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "_id": check_id,
        "type": "piece_check",
        "bulk_order": bulk_id,
        "part": part,
        "artisan": artisan,
        "cooperative": COOP,
        "passed": passed,
        "refused": refused,
        "by": by,
        "at": STAMP,
    }
    if refused:
        body.update(reason="finish", note="les bords")
    return {**body, **fields}


def shipment_doc(
    shipment_id: str = "shipment:0001",
    lines: list[tuple[str, str, int]] | None = None,
    bulk_id: str = "bulk:0001",
    by: str = COORDINATOR,
    **fields: Any,
) -> dict[str, Any]:
    """A parcel of ``lines``: (part, artisan, pieces) each, shipped."""
    lines = lines if lines is not None else [("order:part-1", ARTISANS[0], 2)]
    body = {
        "_id": shipment_id,
        "type": "shipment",
        "bulk_order": bulk_id,
        "cooperative": COOP,
        "buyer": BUYER,
        "pieces": [{"part": p, "artisan": a, "count": n} for p, a, n in lines],
        "tracking": "CP123456789MA",
        "status": "shipped",
        "by": by,
        "shipped_at": STAMP,
        "delivered_at": None,
        "delivered_by": None,
    }
    return {**body, **fields}


def delivered(shipment: dict[str, Any], by: str, at: str = "2026-12-05T12:00:00Z") -> dict:
    return {**shipment, "status": "delivered", "delivered_at": at, "delivered_by": by}


def payment_doc(
    earning_id: str = "earning:pay-1",
    artisan: str = ARTISANS[0],
    amount: int = 10_000,
    method: str = "transfer",
    reference: str | None = "VIR-2026-001",
    by: str = COORDINATOR,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "_id": earning_id,
        "type": "earning",
        "kind": "paid",
        "artisan": artisan,
        "cooperative": COOP,
        "amount_centimes": amount,
        "method": method,
        "at": STAMP,
        "by": by,
    }
    if reference is not None:
        body["reference"] = reference
    return {**body, **fields}


def correction_doc(
    earning_id: str = "earning:fix-1",
    artisan: str = ARTISANS[0],
    amount: int = -2_000,
    corrects: str = "earning:pay-1",
    note: str = "avance de décembre",
    by: str = COORDINATOR,
    **fields: Any,
) -> dict[str, Any]:
    body = {
        "_id": earning_id,
        "type": "earning",
        "kind": "correction",
        "artisan": artisan,
        "cooperative": COOP,
        "amount_centimes": amount,
        "corrects": corrects,
        "note": note,
        "at": STAMP,
        "by": by,
    }
    return {**body, **fields}


def revisions(doc_id: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One document's line of edits, each as replication carries it (``new_edits=false``):
    its revision id, and ``_revisions`` naming every ancestor, so any of them may arrive
    first."""
    found, parent, ids = [], None, []
    for body in bodies:
        content = {k: v for k, v in body.items() if not k.startswith("_")}
        rev = revtree.new_rev_id(parent, content, False)
        pos, digest = revtree.parse_rev(rev)
        ids = [digest, *ids]
        found.append(
            {**content, "_id": doc_id, "_rev": rev, "_revisions": {"start": pos, "ids": ids}}
        )
        parent = rev
    return found


def branch(doc_id: str, base: list[dict[str, Any]], body: dict[str, Any]) -> dict[str, Any]:
    """An edit made on another device on top of ``base`` (the revisions it had)."""
    parent = base[-1]
    content = {k: v for k, v in body.items() if not k.startswith("_")}
    rev = revtree.new_rev_id(parent["_rev"], content, False)
    pos, digest = revtree.parse_rev(rev)
    ids = [digest, *parent["_revisions"]["ids"]]
    return {**content, "_id": doc_id, "_rev": rev, "_revisions": {"start": pos, "ids": ids}}

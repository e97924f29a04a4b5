"""Many documents written straight through the store, fast: the list-plan test and the
list benchmark (bench/lists.py) fill a store with them.

Of every ten documents five are products (a quarter of them submitted), two photos, two
orders and one a review, spread over the demo artisans and over made-up ones
(``art_gen_*`` in ``coop-gen-*``): the demo coordinator's cooperative holds 30 % of
them, her artisan ``art_fatima`` 20 % and the demo buyer a fifth of the orders, so
their lists grow with the store, and from 1,000 documents on each of their lists has
more than 20 items. Written with ``bulk_docs`` in batches, as the server writes its own
documents (no user check), one transaction per batch.
"""

from __future__ import annotations

from typing import Any

from sync.store.documents import DocumentStore

# (artisan, cooperative), one per group of ten documents in turn.
ARTISANS = [
    ("art_fatima", "coop-taza-zerbia"),
    ("art_khadija", "coop-taza-zerbia"),
    ("art_fatima", "coop-taza-zerbia"),
    ("art_zahra", "coop-essaouira-argan"),
    ("art_aicha", "coop-marrakech-fakhar"),
    ("art_mina", "coop-oulouz-tamount"),
    *((f"art_gen_{n}", f"coop-gen-{n}") for n in range(4)),
]
BUYERS = ["buy_claire", *(f"buy_gen_{n}" for n in range(4))]
PRODUCT_STATUSES = [
    "approved",
    "submitted",
    "approved",
    "draft",
    "submitted",
    "changes_requested",
    "approved",
    "rejected",
]
ORDER_STATUSES = ["placed", "accepted", "placed", "shipped", "delivered", "placed"]
CATEGORIES = ["carpets", "pottery", "argan", "basketry", "embroidery", "weaving", "leather"]
STAMP = "2026-11-20T10:00:00.000Z"
DESCRIPTION = (
    "Tissé à la main sur un métier vertical, en laine de mouton lavée et filée au fuseau. "
    "Motifs berbères transmis de mère en fille; chaque pièce est unique. "
) * 2


def documents(start: int, count: int, prefix: str = "gen") -> list[dict[str, Any]]:
    """Documents number ``start`` to ``start + count - 1`` (the same ones every time)."""
    return [_document(n, prefix) for n in range(start, start + count)]


def fill(store: DocumentStore, count: int, prefix: str = "gen", batch: int = 2000) -> None:
    """Write ``count`` documents into ``store``, ``batch`` per transaction."""
    for start in range(0, count, batch):
        docs = documents(start, min(batch, count - start), prefix)
        for result in store.bulk_docs(docs, new_edits=True, check=None):
            if "error" in result:
                raise RuntimeError(f"{result['id']}: {result['reason']}")


def _document(n: int, prefix: str) -> dict[str, Any]:
    unit, slot = divmod(n, 10)
    artisan, coop = ARTISANS[unit % len(ARTISANS)]
    product_id = f"product:{prefix}{unit:07d}"
    if slot < 5:
        return _product(f"{product_id}-{slot}", artisan, coop, unit + slot)
    if slot < 7:
        return {
            "_id": f"photo:{prefix}{n:08d}",
            "type": "photo",
            "owner": artisan,
            "cooperative": coop,
            "product_id": f"{product_id}-0",
            "sha256": f"{n:064x}",
            "status": "ready",
        }
    if slot < 9:
        return _order(f"order:{prefix}{n:08d}", f"{product_id}-0", artisan, coop, 2 * unit + slot)
    return {
        "_id": f"review:{product_id}-1",
        "type": "review",
        "product_id": f"{product_id}-1",
        "artisan": artisan,
        "cooperative": coop,
        "decision": "approve",
        "reason_codes": [],
        "comment": "",
        "decided_by": "coo_naima",
        "decided_at": STAMP,
        "history": [],
    }


def _product(doc_id: str, artisan: str, coop: str, n: int) -> dict[str, Any]:
    return {
        "_id": doc_id,
        "type": "product",
        "owner": artisan,
        "cooperative": coop,
        "listed_by": artisan,
        "title": {"ar": f"زربية رقم {n}", "fr": f"Tapis n° {n}"},
        "description": {"fr": DESCRIPTION},
        "category": CATEGORIES[n % len(CATEGORIES)],
        "status": PRODUCT_STATUSES[n % len(PRODUCT_STATUSES)],
        "price_centimes": 10000 + 100 * (n % 500),
        "stock": {"mode": "in_stock", "quantity": 1 + n % 4},
        "photos": [],
        "created_at": STAMP,
        "updated_at": STAMP,
    }


def _order(doc_id: str, product_id: str, artisan: str, coop: str, n: int) -> dict[str, Any]:
    buyer = BUYERS[n % len(BUYERS)]
    status = ORDER_STATUSES[n % len(ORDER_STATUSES)]  # n: twice the group, plus 7 or 8
    return {
        "_id": doc_id,
        "type": "order",
        "buyer": buyer,
        "artisan": artisan,
        "cooperative": coop,
        "product_id": product_id,
        "product_rev": "1-0",
        "product_title": {"fr": "Tapis"},
        "stock_mode": "in_stock",
        "quantity": 1,
        "options": [],
        "unit_price_centimes": 45000,
        "total_centimes": 45000,
        "currency": "MAD",
        "delivery": {"name": "Client", "city": "Lyon", "country": "FR"},
        "message": "",
        "status": status,
        "history": [
            {"status": "placed", "by": buyer, "role": "buyer", "at": STAMP},
            *([] if status == "placed" else [{"status": status, "by": artisan, "at": STAMP}]),
        ],
        "created_at": STAMP,
        "updated_at": STAMP,
    }

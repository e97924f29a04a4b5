"""Materials and movements as the ledger tests write them."""

from __future__ import annotations

from typing import Any

COOP = "coop-taza-zerbia"
WOOL = f"material:{COOP}:wool"


def wool(**fields: Any) -> dict[str, Any]:
    return {
        "_id": WOOL,
        "type": "material",
        "cooperative": COOP,
        "name": {"ar": "صوف", "fr": "Laine", "en": "Wool"},
        "unit": "kg",
        "low_stock": 5000,
        **fields,
    }


def movement(doc_id: str, owner: str = "coo_naima", **fields: Any) -> dict[str, Any]:
    """A movement of wool in the demo coordinator's cooperative unless told otherwise."""
    body = {"type": "material_movement", "owner": owner, "cooperative": COOP, "material": WOOL}
    return {"_id": doc_id, **body, **fields}

"""Bodies of synced documents that pass Hirfa's access rules, for tests that write them
through /sync."""

from __future__ import annotations

from typing import Any

FATIMA, TAZA = "art_fatima", "coop-taza-zerbia"  # the demo artisan and her cooperative


def product_body(**extra: Any) -> dict[str, Any]:
    """A draft product of the demo artisan, with ``extra`` fields over it."""
    return {
        "type": "product",
        "owner": FATIMA,
        "cooperative": TAZA,
        "title": {"fr": "Tapis"},
        "category": "carpets",
        "status": "draft",
        **extra,
    }

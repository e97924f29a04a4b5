"""Movements stored under the first schema (float quantities, free units and names) are
written again in integers of a base unit, naming a material of the catalogue, and the
balances follow (migrations 15 and 16, api/services/ledger/legacy.py)."""

from __future__ import annotations

import sqlite_utils

from api import migrations
from api.services.ledger import reads
from sync.rules.access import channels_for
from sync.store.documents import DocumentStore

COOP = "coop-taza-zerbia"


def legacy(doc_id: str, quantity, unit: str, material: str = "Laine écrue") -> dict:
    return {
        "_id": doc_id,
        "type": "material_movement",
        "owner": "art_fatima",
        "cooperative": COOP,
        "material": material,
        "quantity": quantity,
        "unit": unit,
    }


def test_float_movements_become_integer_movements_of_a_catalogue_material(tmp_path):
    db = sqlite_utils.Database(tmp_path / "old.sqlite")
    migrations.runner.migrate(db, [m for m in migrations.MIGRATIONS if m[0] < 15])
    # As the server before this change stored them: no ledger, no rules of shape.
    old_store = DocumentStore(db, channels_for)
    results = old_store.bulk_docs(
        [
            legacy("mv-a", 2.5, "kg"),
            legacy("mv-b", -0.3, "kg"),
            legacy("mv-c", 0.0001, "kg"),  # rounds to nothing: moved nothing
            legacy("mv-d", 3, "bobbins", material="صوف"),  # unknown unit: pieces
        ]
    )
    assert all(r.get("ok") for r in results), results

    assert {15, 16} <= set(migrations.migrate(db))
    wool = f"material:{COOP}:laine-ecrue"
    store = DocumentStore(db, channels_for)
    a = store.winner_body("mv-a")
    assert (a["kind"], a["quantity"], a["to"], a["material"]) == (
        "receive",
        2500,
        "artisan:art_fatima",
        wool,
    )
    assert a["legacy"] == {"material": "Laine écrue", "quantity": 2.5, "unit": "kg"}
    b = store.winner_body("mv-b")
    assert (b["kind"], b["quantity"], b["from"]) == ("use", 300, "artisan:art_fatima")
    assert store.winner_body("mv-c") is None
    d = store.winner_body("mv-d")
    assert d["quantity"] == 3 and d["material"].startswith(f"material:{COOP}:material-")
    assert store.winner_body(wool)["unit"] == "kg"
    assert reads.balance(db, wool, "artisan:art_fatima") == 2200
    assert reads.balance(db, d["material"], "artisan:art_fatima") == 3
    # Done once: a second start converts nothing again.
    assert migrations.migrate(db) == []

"""The demo ledger `flask seed` writes (seed/ledger.py): idempotent, balances as planned,
one material low at Taza, bills of materials on the demo listings."""

from __future__ import annotations

from api.services.ledger import reads
from seed import populate
from seed.demo_products import populate_products
from seed.ledger import ARGAN_LOT, BILLS, MATERIALS, MOVEMENTS, populate_ledger
from sync.rules.ledger import balances

TAZA = "material:coop-taza-zerbia:"
ARGAN = "material:coop-essaouira-argan:"


def _seed(app, db):
    return populate(db, app.extensions["hirfa"].hasher, ledger=True)


def _seq(db) -> int:
    return db.execute("SELECT value FROM store_meta WHERE key = 'update_seq'").fetchone()[0]


def test_seeding_twice_writes_nothing_new(app, db):
    first = _seed(app, db)
    assert first["materials"] == len(MATERIALS) and first["movements"] == len(MOVEMENTS)
    seq = _seq(db)
    again = _seed(app, db)
    assert again == {"cooperatives": 0, "users": 0, "materials": 0, "movements": 0, "bills": 0}
    assert _seq(db) == seq


def test_balances_after_seeding(app, db):
    _seed(app, db)
    assert reads.balance(db, TAZA + "wool", "store") == 39_500  # a count took 1.5 kg off
    assert reads.balance(db, TAZA + "wool", "artisan:art_fatima") == 19_200
    assert reads.balance(db, TAZA + "wool", "artisan:art_khadija") == 19_000
    assert reads.balance(db, TAZA + "warp", "store") == 19
    assert reads.balance(db, ARGAN + "kernels", "store") == 58_000  # two pressings, a waste
    assert reads.balance(db, ARGAN + "oil", "store") == 9_000
    assert reads.balance(db, ARGAN + "oil", "artisan:art_zahra") == 3_000
    assert reads.balance(db, "material:coop-marrakech-fakhar:clay", "store") == 296_000
    # The mistaken 400 kg receipt is reversed: it counts for nothing.
    reversed_ = db.execute(
        "SELECT active FROM ledger_movements WHERE id = 'movement:seed-taza-wool-receive-2-typo'"
    ).fetchone()
    assert reversed_ == (0,)
    # The projection agrees with the ledger's definition of balances.
    expected = balances({m["_id"]: m for m in MOVEMENTS})
    stored = dict(
        ((m, p), q)
        for m, p, q in db.execute("SELECT material, place, quantity FROM material_balances")
        if q
    )
    assert stored == expected
    assert not [b for b in stored.values() if b < 0]
    assert reads.lots(db, "coop-essaouira-argan", [ARGAN_LOT]) == [
        {"lot": ARGAN_LOT, "produced_at": "2026-10-14T09:00:00.000Z"}
    ]
    wool = reads.material(db, TAZA + "wool")
    assert wool["average_cost_centimes"] == 8.2  # (4,800 + 3,400 MAD) / 100 kg, per gram


def test_the_low_material_is_flagged_and_its_coordinator_told(app, db):
    _seed(app, db)
    store = {b["material"]: b for b in reads.balances(db, "coop-taza-zerbia", place="store")}
    assert store[TAZA + "henna"]["low"] and store[TAZA + "henna"]["shown"] == "300 g"
    assert not store[TAZA + "wool"]["low"]
    told = db.execute(
        "SELECT user_id, json_extract(data, '$.material_id') FROM outbox WHERE kind = 'low_stock'"
    ).fetchall()
    assert ("coo_naima", TAZA + "henna") in told


def test_demo_listings_carry_their_bills_of_materials(app, db):
    settings = app.extensions["hirfa"].settings
    store = app.extensions["hirfa"].store(db)
    _seed(app, db)
    populate_products(store, settings.media_dir, settings.media_max_pixels)
    argan = store.get_doc("product:demo-argan-1")
    assert argan["lots"] == [ARGAN_LOT]
    assert argan["bill_of_materials"] == [
        {"material": ARGAN + "oil", "quantity": 100},
        {"material": ARGAN + "bottles", "quantity": 1},
    ]
    assert len(store.get_doc("product:demo-zerbia-2")["bill_of_materials"]) == len(
        BILLS["demo-zerbia-2"]
    )
    assert _seed(app, db)["bills"] == 0  # made with them: nothing to add


def test_a_listing_seeded_before_the_ledger_gets_its_bill(app, db):
    store = app.extensions["hirfa"].store(db)
    store.put(
        {
            "_id": "product:demo-zerbia-1",
            "type": "product",
            "owner": "art_fatima",
            "cooperative": "coop-taza-zerbia",
            "title": {"fr": "Tapis Beni Ouarain blanc"},
            "category": "carpets",
            "status": "draft",
        }
    )
    assert populate_ledger(store)["bills"] == 1
    assert store.get_doc("product:demo-zerbia-1")["bill_of_materials"][0] == {
        "material": TAZA + "wool",
        "quantity": 9_000,
    }
    assert populate_ledger(store)["bills"] == 0

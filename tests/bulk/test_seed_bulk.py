"""The demo bulk order `flask seed` writes (seed/bulk.py): forty baskets whose figures add
up, three artisans at different stages, what the shipped pieces earned, a payment and an
advance; seeding again writes nothing, and ``populate()`` alone seeds none of it."""

from __future__ import annotations

from api.services import accounts
from api.services.bulk import earnings, requests
from seed import populate
from seed.bulk import AICHA, FAKHAR, HAFSA, SAIDA, populate_bulk, seeded
from sync.rules.bulk_totals import PIECE_STATES


def _seq(db) -> int:
    return db.execute("SELECT value FROM store_meta WHERE key = 'update_seq'").fetchone()[0]


def test_populate_alone_seeds_no_bulk_order(app, db):
    populate(db, app.extensions["hirfa"].hasher)
    store = app.extensions["hirfa"].store(db)
    assert seeded(store) is None
    assert db.execute("SELECT COUNT(*) FROM earning_entries").fetchone()[0] == 0


def test_the_demo_bulk_order(app, db):
    hirfa = app.extensions["hirfa"]
    store = hirfa.store(db)
    assert populate_bulk(store, hirfa.hasher) == {"artisans": 2, "bulk_orders": 1}
    rachid = accounts.get_user(db, "coo_rachid")
    order = requests.get(store, rachid, seeded(store))
    figures = order["totals"]
    assert order["quantity"] == 40 and order["stage"] == "partly_shipped"
    assert sum(figures[s] for s in PIECE_STATES) + figures["to_assign"] == 40
    assert figures["excess"] == 0 and order["problems"] == []
    assert (figures["delivered"], figures["in_production"], figures["awaiting_answer"]) == (
        13, 15, 10,
    )  # fmt: skip
    assert (figures["refused"], figures["to_assign"]) == (2, 2)
    by_artisan = {(p["artisan"], p["status"]) for p in order["parts"]}
    assert by_artisan == {
        (AICHA, "delivered"), (HAFSA, "in_production"), (SAIDA, "declined"), (HAFSA, "placed"),
    }  # fmt: skip
    rows = {r["artisan"]: r for r in earnings.balances(db, rachid, FAKHAR)}
    assert set(rows) == {AICHA, HAFSA, SAIDA}
    assert rows[AICHA]["earned_centimes"] == 13 * 11_000
    assert rows[AICHA]["paid_centimes"] == 100_000 and rows[AICHA]["balance_centimes"] == 43_000
    assert rows[HAFSA]["balance_centimes"] == -30_000  # an advance
    kinds = db.execute("SELECT kind, COUNT(*) FROM earning_entries GROUP BY kind").fetchall()
    assert dict(kinds) == {"earned": 1, "paid": 2}

    seq = _seq(db)
    assert populate_bulk(store, hirfa.hasher) == {"artisans": 0, "bulk_orders": 0}
    assert _seq(db) == seq

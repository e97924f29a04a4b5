"""The demo workshops and visiting hours: published, sessions to come, idempotent."""

from __future__ import annotations

from api.services.visits import workshops
from seed.visits import populate_visits


def test_seed_visits_is_idempotent(store, db):
    assert populate_visits(store) == {"workshops": 2}
    assert populate_visits(store) == {"workshops": 0}
    for coop in ("coop-taza-zerbia", "coop-essaouira-argan"):
        assert len(workshops.upcoming(db, coop)) == 4
        profile = store.get_doc(f"cooperative:{coop}")
        assert profile["visiting_hours"]

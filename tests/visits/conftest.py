"""A Taza workshop with sessions to come and past, written as its coordinator would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from api import state
from api.services import accounts
from api.services.visits import workshops

TAZA = "coop-taza-zerbia"
WORKSHOP = "workshop:coop-taza-zerbia:weaving"
MOROCCO = timezone(timedelta(hours=1))


def at(days: float) -> str:
    return (
        (datetime.now(UTC) + timedelta(days=days)).astimezone(MOROCCO).isoformat(timespec="seconds")
    )


def workshop_doc(**fields) -> dict:
    return {
        "_id": WORKSHOP,
        "type": "workshop",
        "cooperative": TAZA,
        "title": {"ar": "ورشة نسج الزربية", "fr": "Atelier de tissage"},
        "duration_minutes": 180,
        "price_centimes": 35000,
        "languages": ["ary", "fr"],
        "capacity": 3,
        "sessions": [
            {"id": "soon", "starts_at": at(7)},
            {"id": "later", "starts_at": at(14), "capacity": 5},
            {"id": "past", "starts_at": at(-1)},
        ],
        "status": "published",
        **fields,
    }


@pytest.fixture
def hirfa(app):
    return state.of(app)


@pytest.fixture
def db(hirfa):
    conn = hirfa.open_db()
    yield conn
    conn.close()


@pytest.fixture
def store(hirfa, db):
    return hirfa.store(db)


@pytest.fixture
def workshop(store, db):
    coordinator = accounts.get_user(db, "coo_naima")
    body = {k: v for k, v in workshop_doc().items() if k not in ("_id", "type", "cooperative")}
    return workshops.create(store, coordinator, {**body, "code": "weaving"})


@pytest.fixture
def buyer(db):
    return accounts.get_user(db, "buy_claire")

"""Materials and movements as the ledger tests write them, and a store that checks each
write as a given user, through the same rules every path uses (sync/rules/access.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from api.services.directory import artisan_cooperative
from sync.rules.access import make_check, user_channels
from sync.store.write_checks import seeing

COOP = "coop-taza-zerbia"
WOOL = f"material:{COOP}:wool"


@dataclass(frozen=True)
class User:
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def user(user_id: str, role: str, *cooperatives: str) -> User:
    return User(user_id, role, cooperatives)


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


@contextmanager
def ledger_store(hirfa) -> Iterator[Any]:
    """The app's store on a connection of its own, with ``check_as(user)``: the check the
    sync endpoints build, which knows the channels its writer reads."""
    db = hirfa.open_db()
    store = hirfa.store(db)
    store.check_as = lambda who: seeing(
        make_check(who, lambda a: artisan_cooperative(db, a)), user_channels(who)
    )
    try:
        yield store
    finally:
        db.close()

"""Reference and demo data. ``populate(db)`` is used by `make run` and by the tests."""

from __future__ import annotations

import sqlite_utils

from api.services import accounts
from api.services.credentials import SecretHasher
from api.stores import document_store

from . import demo
from .bulk import WEAVERS
from .ledger import populate_ledger


def populate(
    db: sqlite_utils.Database, hasher: SecretHasher | None = None, *, ledger: bool = False
) -> dict[str, int]:
    """Create the demo cooperatives and accounts; idempotent (existing ones are kept).
    ``ledger``: also the demo materials and their movements (seed/ledger.py), as `flask
    seed` does; off by default, so the tests' apps start with an empty ledger."""
    hasher = hasher or SecretHasher(memory_kib=19456, time_cost=2)
    created = {"cooperatives": 0, "users": 0}
    for coop in demo.COOPERATIVES:
        if db.execute("SELECT 1 FROM cooperatives WHERE id = ?", [coop["id"]]).fetchone():
            continue
        accounts.create_cooperative(db, None, coop, coop_id=coop["id"])
        created["cooperatives"] += 1
    for user_id, role, phone, name, locale, coops in demo.PEOPLE:
        if db.execute("SELECT 1 FROM users WHERE id = ?", [user_id]).fetchone():
            continue
        secret, kind = demo.secret_for(role)
        accounts.create_user(
            db,
            hasher,
            role=role,
            phone=phone,
            display_name=name,
            secret=secret,
            secret_kind=kind,
            locale=locale,
            user_id=user_id,
            cooperative_id=coops[0] if role == "artisan" else None,
            cooperative_ids=coops if role == "coordinator" else (),
        )
        created["users"] += 1
    if ledger:
        created.update(populate_ledger(document_store(db)))
    return created


def demo_sign_ins() -> list[tuple[str, str, str, str]]:
    """(role, name, phone, secret) of every demo account, for the start-up banner."""
    people = [(r, n, p, demo.secret_for(r)[0]) for _, r, p, n, _, _ in demo.PEOPLE]
    # The bulk order's two more weavers, created by `flask seed` (seed/bulk.py).
    weavers = [("artisan", n, p, demo.ARTISAN_PIN) for _, p, n, _ in WEAVERS]
    return people + weavers

"""A store that checks each write as a given user, through the same rules every path
uses (sync/rules/access.py), with the channels its writer reads, as the sync endpoints
build it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from api.services.directory import artisan_cooperative
from sync.rules.access import make_check, user_channels
from sync.store.write_checks import seeing


@dataclass(frozen=True)
class User:
    id: str
    role: str
    cooperative_ids: tuple[str, ...]


def user(user_id: str, role: str, *cooperatives: str) -> User:
    return User(user_id, role, cooperatives)


@contextmanager
def checked_store(hirfa) -> Iterator[Any]:
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

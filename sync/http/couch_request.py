"""Who is asking a sync endpoint, and their view of the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g

from sync.rules.access import make_check, user_channels
from sync.store.documents import DocumentStore
from sync.store.write_checks import seeing

from .errors import CouchError
from .face import current


@dataclass
class SyncContext:
    user: Any
    store: DocumentStore
    visible: set[str] | None

    def check(self):
        # One lookup per artisan for the request's writes: a batch of a coordinator's
        # listings asks for the same few artisans again and again.
        cooperatives: dict[str, str | None] = {}
        cooperative_of = current().cooperative_of

        def directory(artisan_id: str) -> str | None:
            if not isinstance(artisan_id, str):  # a forged body: let the lookup say no
                return cooperative_of(self.store.db, artisan_id)
            if artisan_id not in cooperatives:
                cooperatives[artisan_id] = cooperative_of(self.store.db, artisan_id)
            return cooperatives[artisan_id]

        return seeing(make_check(self.user, directory), self.visible)


def context() -> SyncContext:
    """The signed-in user and the store seen through their channels; the app's
    authentication error (401, 403) otherwise."""
    if "sync_context" in g:
        return g.sync_context
    face = current()
    user = face.authenticate()
    g.sync_context = SyncContext(user, face.open_store(None), user_channels(user))
    return g.sync_context


def check_db(db: str) -> None:
    if db != current().settings.sync_db_name:
        raise CouchError(404, "not_found", "Database does not exist.")

"""The one way a DocumentStore is built, for the app, the CLI, the workers, services given
a connection, the migrations and the seed."""

from __future__ import annotations

import sqlite_utils

from sync.rules.access import channels_for
from sync.store.documents import ChangeNotifier, DocumentStore

from .config import Settings
from .services.bulk.projection import project as project_bulk
from .services.ledger.projection import project as project_ledger


def document_store(
    db: sqlite_utils.Database,
    settings: Settings | None = None,
    notifier: ChangeNotifier | None = None,
) -> DocumentStore:
    """The one way a DocumentStore is built (app, CLI, workers, seed): Hirfa's access
    rules decide each document's channels, the materials ledger's and the bulk orders'
    tables are kept in the transaction of every write, and every store setting applies.
    Without ``settings`` (a service or migration given only a connection), the
    defaults."""
    settings = settings or Settings()
    return DocumentStore(
        db,
        channels_for,
        revs_limit=settings.sync_revs_limit,
        max_attachment_bytes=settings.sync_max_attachment_bytes,
        max_id_length=settings.sync_max_id_length,
        notifier=notifier,
        projections=(project_ledger, project_bulk),
    )

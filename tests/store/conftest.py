"""The store the tests of this folder write to: a temp SQLite file, migrated, whose
documents are routed to the channel of their ``owner``."""

from __future__ import annotations

import pytest

from sync.store import migrations, schema_steps
from sync.store.database import connect
from sync.store.documents import DocumentStore


def owner_channels(doc_id, body):
    return {f"owner:{body['owner']}"} if body and "owner" in body else set()


@pytest.fixture
def store(tmp_path):
    db = connect(tmp_path / "store.sqlite3")
    migrations.migrate(db, schema_steps.MIGRATIONS)
    yield DocumentStore(db, owner_channels, revs_limit=5, max_attachment_bytes=1000)
    db.close()

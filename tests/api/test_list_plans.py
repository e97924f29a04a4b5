"""The lists read from indexes: every statement a list request runs, caught as SQLite runs
it (the connection's trace callback) on a seeded store, has a query plan with no scan of
the documents (``docs``, ``revs``) and no scan of any table without an index.

The statements are the ones the services really run, not copies: a list that goes back
to walking the documents fails here, whoever wrote it.
"""

from __future__ import annotations

import re
import time

import pytest

from api import state
from api.services.push import digest
from tests.support import bulk_store
from tests.support.apps import Auth, make_app

# (who, path, the table its page must come from)
LISTS = [
    ("artisan", "/api/v1/products", "list_index"),
    ("artisan", "/api/v1/products?status=submitted", "list_index"),
    ("artisan", "/api/v1/products?category=pottery", "list_index"),
    ("artisan", "/api/v1/products?status=approved&category=carpets", "list_index"),
    ("coordinator", "/api/v1/products?status=submitted", "list_index"),
    ("coordinator2", "/api/v1/products?status=submitted", "list_index"),
    ("admin", "/api/v1/products?status=submitted", "list_index"),
    ("buyer", "/api/v1/orders", "list_index"),
    ("artisan", "/api/v1/orders", "list_index"),
    ("coordinator", "/api/v1/orders", "list_index"),
    ("coordinator", "/api/v1/orders?status=placed", "list_index"),
    ("coordinator2", "/api/v1/orders", "list_index"),
    ("admin", "/api/v1/orders?status=placed", "list_index"),
    ("coordinator", "/api/v1/reviews/queue", "review_submissions"),
    ("coordinator", "/api/v1/reviews/queue?category=pottery", "review_submissions"),
    ("coordinator2", "/api/v1/reviews/queue?limit=5&offset=5", "review_submissions"),
    ("admin", "/api/v1/reviews/queue", "review_submissions"),
    ("admin", "/api/v1/reviews/queue?category=pottery", "review_submissions"),
    ("coordinator", "/api/v1/replication/conflicts", "replication_conflicts"),
    ("coordinator2", "/api/v1/replication/conflicts", "replication_conflicts"),
    ("admin", "/api/v1/replication/conflicts", "replication_conflicts"),
]
DOCUMENTS = ("docs", "revs")
QUERY = re.compile(r"^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """An app whose store holds 2,000 generated documents, some changed after the lists
    were first read (so the index catches up inside the traced requests), tombstones,
    and conflicts open and resolved."""
    app = make_app(tmp_path_factory.mktemp("plans"))
    hirfa = state.of(app)
    db = hirfa.open_db()
    store = hirfa.store(db)
    bulk_store.fill(store, 2000)
    client = app.test_client()
    auth = Auth(client)
    for who, path, _ in LISTS:  # the index is built here, untraced
        assert client.get(path, headers=auth.headers(who)).status_code == 200
    bulk_store.fill(store, 300, prefix="late")
    gone = store.get_doc("product:gen0000000-1")
    store.put({"_id": gone["_id"], "_rev": gone["_rev"], "_deleted": True})
    now = time.time()
    db.conn.executemany(
        "INSERT INTO replication_conflicts (doc_id, doc_type, cooperative, revs, reason, "
        "detected_at, resolved_at) VALUES (?, 'product', ?, '[]', 'test', ?, ?)",
        [
            (f"product:c{n}", coop, now - n, None if n % 3 else now)
            for n, coop in enumerate(["coop-taza-zerbia", "coop-essaouira-argan"] * 20)
        ],
    )
    db.close()
    return app, client, auth


def _traced(app, client, headers: dict, path: str) -> list[str]:
    """The SQL statements one request runs, as SQLite ran them (parameters inlined)."""
    pool = state.of(app).pool
    db = pool.acquire()
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    pool.release(db)  # the request takes it back: the test client runs in this thread
    try:
        response = client.get(path, headers=headers)
    finally:
        db.conn.set_trace_callback(None)
    assert response.status_code == 200, response.get_json()
    return [sql for sql in seen if QUERY.match(sql)]


KEYWORDS = {"WHERE", "JOIN", "LEFT", "INNER", "CROSS", "ON", "USING", "GROUP", "ORDER"}
KEYWORDS |= {"LIMIT", "UNION", "NATURAL", "WITH", "SELECT"}


def _tables_by_name(sql: str) -> dict[str, str]:
    """The name each table goes by in ``sql`` (its alias, or itself) -> the table."""
    named = {}
    for match in re.finditer(r"\b(?:FROM|JOIN)\s+(\w+)(?:\s+(?:AS\s+)?(\w+))?", sql, re.I):
        table, alias = match.group(1), match.group(2)
        named[table] = table
        if alias and alias.upper() not in KEYWORDS:
            named[alias] = table
    return named


def _scans(db, sql: str) -> list[str]:
    """The plan's scans of the documents, and its scans of a table with no index (a scan
    of the statement's own subquery or CTE is of rows it has already picked)."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    named = _tables_by_name(sql)
    bad = []
    for *_, detail in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall():
        match = re.match(r"SCAN (\w+)", detail)
        table = named.get(match.group(1), match.group(1)) if match else None
        if table in DOCUMENTS or (table in tables and " USING " not in detail):
            bad.append(detail)
    return bad


@pytest.mark.parametrize(("who", "path", "table"), LISTS)
def test_a_list_reads_indexes_never_the_documents(seeded, who, path, table):
    app, client, auth = seeded
    headers = auth.headers(who)
    statements = _traced(app, client, headers, path)
    assert any(table in sql for sql in statements), statements
    db = state.of(app).open_db()
    try:
        found = {sql: _scans(db, sql) for sql in statements}
    finally:
        db.close()
    assert {sql: scans for sql, scans in found.items() if scans} == {}


def test_the_index_catches_up_on_the_documents_without_scanning_them(seeded):
    """The first list read after writes brings the index up to date, in the request."""
    app, client, auth = seeded
    hirfa = state.of(app)
    db = hirfa.open_db()
    try:
        bulk_store.fill(hirfa.store(db), 100, prefix="again")
    finally:
        db.close()
    statements = _traced(app, client, auth.headers("coordinator"), "/api/v1/orders")
    assert any("INSERT OR REPLACE INTO list_index" in sql for sql in statements)
    db = hirfa.open_db()
    try:
        assert {sql: s for sql in statements if (s := _scans(db, sql))} == {}
    finally:
        db.close()


def test_a_page_reads_the_documents_it_returns_not_those_it_skips(seeded):
    """One jewellery listing among thousands of documents of the cooperative: the page
    finds it in the index, without reading the others' bodies one by one."""
    app, client, auth = seeded
    hirfa = state.of(app)
    db = hirfa.open_db()
    try:
        [doc] = bulk_store.documents(0, 1, prefix="rare")
        hirfa.store(db).put({**doc, "category": "jewellery", "status": "submitted"})
    finally:
        db.close()
    headers = auth.headers("coordinator")
    path = "/api/v1/products?status=submitted&category=jewellery"
    client.get(path, headers=headers)  # the index catches up
    statements = _traced(app, client, headers, path)
    page = client.get(path, headers=headers).get_json()
    assert [p["id"] for p in page["items"]] == [doc["_id"]]
    documents = [sql for sql in statements if re.search(r"\b(docs|revs)\b", sql)]
    assert len(documents) <= 5, documents


def test_the_coordinators_digest_counts_from_the_index(seeded):
    """The dispatcher's digest of listings waiting for review reads the index too."""
    app, _, _ = seeded
    db = state.of(app).open_db()
    try:
        seen: list[str] = []
        db.conn.set_trace_callback(seen.append)
        waiting = digest._waiting(db)
        db.conn.set_trace_callback(None)
        assert dict((coop, n) for coop, n, _ in waiting)["coop-taza-zerbia"] > 0
        statements = [sql for sql in seen if QUERY.match(sql)]
        assert {sql: s for sql in statements if (s := _scans(db, sql))} == {}
    finally:
        db.close()

"""What the per-request savings must not change: writes settled whoever made them, CORS
for browsers, the account read afresh on every request, cookie sessions for the pages."""

from __future__ import annotations

from api.services import accounts, order_feed
from api.stores import document_store
from sync.store.database import write_transaction

DB = "/sync/hirfa"


def order_feed_seq(db) -> int:
    return db.execute("SELECT value FROM order_feed WHERE key = 'seq'").fetchone()[0]


def write_products_elsewhere(app, count: int, start: int = 0) -> None:
    """Products written on a connection of its own, as another process (the replicator,
    a CLI command) would: no request, so no settling after it."""
    db = app.extensions["hirfa"].open_db()
    try:
        docs = [
            {"_id": f"product:elsewhere-{n:05d}", "type": "product", "owner": "art_fatima"}
            for n in range(start, start + count)
        ]
        document_store(db).bulk_docs(docs)
    finally:
        db.close()


def revs_diff(client, headers) -> None:
    """A request that writes nothing, after which the app still settles."""
    answer = client.post(f"{DB}/_revs_diff", json={"product:x": ["1-a"]}, headers=headers)
    assert answer.status_code == 200


def test_a_write_from_elsewhere_is_settled_by_the_next_request_that_writes_nothing(
    app, client, auth, db
):
    headers = auth.headers("artisan")
    revs_diff(client, headers)
    revs_diff(client, headers)  # nothing new: nothing to settle
    write_products_elsewhere(app, 3)
    assert order_feed_seq(db) < document_store(db).update_seq()
    revs_diff(client, headers)
    assert order_feed_seq(db) == document_store(db).update_seq()


def test_a_feed_stopped_at_a_full_batch_goes_on_at_the_next_request(app, client, auth, db):
    headers = auth.headers("artisan")
    revs_diff(client, headers)
    write_products_elsewhere(app, order_feed.BATCH + 1)
    revs_diff(client, headers)
    assert order_feed_seq(db) < document_store(db).update_seq()  # one batch
    revs_diff(client, headers)  # nothing written since, but the feed is behind
    assert order_feed_seq(db) == document_store(db).update_seq()


def test_cors_headers_for_a_browser_and_none_without_an_origin(client, auth):
    headers = auth.headers("artisan")
    for path in (f"{DB}/", "/api/v1/me"):
        browser = client.get(path, headers={**headers, "Origin": "https://app.example"})
        assert browser.headers["Access-Control-Allow-Origin"] == "https://app.example"
        assert "ETag" in browser.headers["Access-Control-Expose-Headers"]
        phone = client.get(path, headers=headers)
        assert "Access-Control-Allow-Origin" not in phone.headers
        assert "Origin" not in phone.headers.get("Vary", "")
    preflight = client.options(
        f"{DB}/_bulk_docs",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert preflight.headers["Access-Control-Max-Age"] == "86400"


def test_a_coordinators_cooperatives_are_read_afresh_on_every_request(client, auth, db):
    headers = auth.headers("coordinator2")
    me = client.get("/api/v1/me", headers=headers).get_json()
    assert me["cooperative_ids"] == ["coop-essaouira-argan", "coop-marrakech-fakhar"]
    with write_transaction(db):
        db.execute(
            "INSERT INTO coordinator_cooperatives (user_id, cooperative_id) VALUES (?, ?)",
            [me["id"], "coop-oulouz-tamount"],
        )
    again = client.get("/api/v1/me", headers=headers).get_json()
    assert again["cooperative_ids"] == [
        "coop-essaouira-argan",
        "coop-marrakech-fakhar",
        "coop-oulouz-tamount",
    ]
    assert accounts.get_user(db, me["id"]).cooperative_ids == tuple(again["cooperative_ids"])


def test_an_ended_session_or_a_disabled_account_is_refused_at_the_very_next_sync_request(
    client, auth, db
):
    artisan = auth.headers("artisan")
    assert client.get(f"{DB}/", headers=artisan).status_code == 200
    accounts.end_all_sessions(db, "art_fatima")
    assert client.get(f"{DB}/", headers=artisan).status_code == 401
    other = auth.headers("artisan2")
    user_id = client.get("/api/v1/me", headers=other).get_json()["id"]
    with write_transaction(db):
        db.execute("UPDATE users SET disabled_at = 1 WHERE id = ?", [user_id])
    refused = client.get(f"{DB}/", headers=other)
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"


def test_a_request_without_a_cookie_sets_none(client, auth):
    headers = auth.headers("artisan")
    for path in (f"{DB}/", "/api/v1/me", "/healthz"):
        answer = client.get(path, headers=headers)
        assert "Set-Cookie" not in answer.headers
        assert "Cookie" not in answer.headers.get("Vary", "")

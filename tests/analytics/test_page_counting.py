"""Views of the public pages counted per day, page and source: no cookie, no stored
address, robots left out, link previews apart, one write per flush."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils

from api import state
from api.services.analytics import counter as counting
from sync.store.database import StorageError
from tests.support.apps import make_app
from tests.support.listings import Listings

COOP = "coop-taza-zerbia"
BROWSER = (
    "Mozilla/5.0 (Linux; Android 10; SM-A105F) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
OTHER_BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"
ADDRESS = "203.0.113.77"
DAY_1 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.fixture
def pid(app, client):
    return Listings(app, client).published(title={"fr": "Tapis"})


def get(client, url, ua=BROWSER, address=ADDRESS, **headers):
    return client.get(
        url,
        headers={"User-Agent": ua, **headers},
        environ_base={"REMOTE_ADDR": address},
    )


def counts(app) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    """(kind, target, source) -> (views, previews, visitors), after a flush."""
    state.of(app).view_counter.flush()
    db = state.of(app).open_db()
    try:
        rows = db.execute("SELECT * FROM page_views").fetchall()
    finally:
        db.close()
    return {(r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in rows}


def test_each_view_is_counted_once_by_page_and_source(app, client, pid):
    short = pid.removeprefix("product:")
    for url, referrer in [
        (f"/p/{pid}?via=whatsapp", None),
        (f"/p/{short}?via=whatsapp", None),  # the short URL is the same page
        (f"/p/{pid}?utm_source=facebook&utm_medium=social", None),
        (f"/p/{pid}", "https://www.google.com/search?q=tapis"),
        (f"/p/{pid}", "http://localhost/catalog"),
        (f"/p/{pid}?via=forged", None),
        (f"/c/{COOP}?via=qr", None),
        ("/catalog", None),
        ("/catalog?q=tapis", None),
    ]:
        assert get(client, url, **({"Referer": referrer} if referrer else {})).status_code == 200
    assert counts(app) == {
        ("product", pid, "whatsapp"): (2, 0, 1),
        ("product", pid, "facebook"): (1, 0, 0),
        ("product", pid, "ref:google.com"): (1, 0, 0),
        ("product", pid, "internal"): (1, 0, 0),
        ("product", pid, "other"): (1, 0, 0),
        ("cooperative", COOP, "qr"): (1, 0, 1),
        ("catalog", "", "direct"): (2, 0, 1),
    }
    day = time.strftime("%Y-%m-%d", time.gmtime())
    db = state.of(app).open_db()
    assert {r[0] for r in db.execute("SELECT day FROM page_views")} == {day}
    db.close()


def test_a_304_counts_and_failures_heads_and_later_pages_do_not(app, client, pid):
    first = get(client, f"/p/{pid}")
    again = get(client, f"/p/{pid}", **{"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert get(client, f"/p/{pid}", **{"If-None-Match": "*"}).status_code == 304  # no browser
    assert get(client, "/p/product:nothing-here").status_code == 404
    assert client.head(f"/p/{pid}", headers={"User-Agent": BROWSER}).status_code == 200
    assert get(client, "/catalog?cursor=made-up").status_code == 400
    assert get(client, f"/c/{COOP}?cursor=made-up").status_code == 400
    assert counts(app) == {("product", pid, "direct"): (2, 0, 1)}


def test_robots_are_not_counted_and_previews_only_as_previews(app, client, pid):
    for ua in [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "curl/8.5.0",
        "python-requests/2.31.0",
        "",
    ]:
        assert get(client, f"/p/{pid}", ua=ua).status_code == 200
    for ua in ["WhatsApp/2.23.20.0 A", "facebookexternalhit/1.1", "TelegramBot (like TwitterBot)"]:
        assert get(client, f"/p/{pid}?via=whatsapp", ua=ua).status_code == 200
    assert counts(app) == {("product", pid, "whatsapp"): (0, 3, 0)}


def test_visitors_are_one_per_address_and_browser_a_day(app, client, pid):
    get(client, f"/p/{pid}?via=whatsapp")
    get(client, f"/p/{pid}")  # the same person again, by another way: counted as a view
    get(client, f"/p/{pid}", ua=OTHER_BROWSER)  # another browser at the same address
    state.of(app).view_counter.flush()
    get(client, f"/p/{pid}")  # after a flush: still known (the store decides)
    get(client, f"/p/{pid}", address="198.51.100.4")
    assert counts(app) == {
        ("product", pid, "whatsapp"): (1, 0, 1),  # a visitor counts where they first came by
        ("product", pid, "direct"): (4, 0, 2),
    }


def test_counting_sets_no_cookie_and_stores_no_address(app, client, pid, tmp_path):
    responses = [
        get(client, f"/p/{pid}", Referer="https://blog.example.org/"),
        get(client, f"/c/{COOP}?via=link"),
        get(client, "/catalog"),
    ]
    for response in responses:
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert sum(v for v, _, _ in counts(app).values()) == 3
    store = Path(state.of(app).settings.store_path)
    stored = b"".join(p.read_bytes() for p in store.parent.glob(store.name + "*"))
    assert b"page_views" in stored and b"ref:blog.example.org" in stored  # it is the store
    for needle in (ADDRESS.encode(), ADDRESS.encode("utf-16-le"), socket.inet_aton(ADDRESS)):
        assert needle not in stored
    db = state.of(app).open_db()
    try:
        # The visitors are 16-byte hashes; the address is in no table.
        assert {len(r[0]) for r in db.execute("SELECT visitor FROM view_visitors")} == {16}
        for table in db.table_names():
            for row in db.execute(f"SELECT * FROM [{table}]").fetchall():
                assert not any(ADDRESS in str(value) for value in row), table
    finally:
        db.close()


def test_the_day_change_forgets_the_old_salt_and_visitors(app):
    counter = state.of(app).view_counter
    counter.clock = lambda: DAY_1 + 3600
    db = state.of(app).open_db()

    def salts():
        return {r[0]: bytes(r[1]) for r in db.execute("SELECT day, salt FROM view_salts")}

    counter.record("product", "product:a", source="direct", address=ADDRESS, user_agent=BROWSER)
    counter.flush()
    first = salts()
    assert list(first) == ["2026-01-01"]
    assert db.execute("SELECT day FROM view_visitors").fetchall() == [("2026-01-01",)]

    counter.clock = lambda: DAY_1 + 86400 + 60
    counter.record("product", "product:a", source="direct", address=ADDRESS, user_agent=BROWSER)
    counter.flush()
    second = salts()
    assert list(second) == ["2026-01-02"]  # yesterday's salt is gone from the store...
    assert second["2026-01-02"] != first["2026-01-01"]
    assert counter._salt._current == ("2026-01-02", second["2026-01-02"])  # ...and memory
    assert db.execute("SELECT day FROM view_visitors").fetchall() == [("2026-01-02",)]
    assert db.execute("SELECT day, views, visitors FROM page_views ORDER BY day").fetchall() == [
        ("2026-01-01", 1, 1),
        ("2026-01-02", 1, 1),  # nothing links today's visitor to yesterday's
    ]
    db.close()


def test_a_flush_is_one_transaction_summing_many_threads_exactly(app):
    counter = state.of(app).view_counter
    threads, per_thread = 16, 500
    start = threading.Barrier(threads)

    def visit(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            counter.record(
                "product",
                f"product:{i % 5}",
                source=("whatsapp", "direct")[i % 2],
                address=f"10.0.{n}.{i % 3}",
                user_agent=BROWSER,
            )
            if i % 50 == 0:
                counter.record(
                    "product", "product:0", source="qr", address="x", user_agent="Twitterbot/1.0"
                )

    workers = [threading.Thread(target=visit, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    db = state.of(app).open_db()
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    assert counter.flush(db) == 11
    db.conn.set_trace_callback(None)
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert [s for s in statements if s == "COMMIT"] == ["COMMIT"]
    views, previews = db.execute("SELECT sum(views), sum(previews) FROM page_views").fetchone()
    assert (views, previews) == (threads * per_thread, threads * per_thread // 50)
    # Each (address, product) pair is one visitor: 16 threads x 3 addresses x 5 products.
    assert db.execute("SELECT sum(visitors) FROM page_views").fetchone()[0] == threads * 3 * 5
    assert counter.pending() == 0 and counter.flush(db) == 0
    db.close()


def test_a_failed_flush_keeps_its_counts_for_the_next(app):
    counter = state.of(app).view_counter
    counter.record("catalog", "", source="direct", address=ADDRESS, user_agent=BROWSER)
    with pytest.raises(StorageError):
        counter.flush(sqlite_utils.Database(memory=True))  # no tables: the write fails
    assert counter.pending() == 1
    assert counts(app) == {("catalog", "", "direct"): (1, 0, 1)}


def test_the_thread_flushes_every_few_seconds_and_when_stopped(app):
    counter = state.of(app).view_counter
    counter.flush_seconds = 0.05
    counter.start()
    try:
        counter.record("catalog", "", source="direct", address=ADDRESS, user_agent=BROWSER)
        deadline = time.monotonic() + 5
        while counter.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert counter.pending() == 0
    finally:
        counter.record("catalog", "", source="qr", address=ADDRESS, user_agent=BROWSER)
        counter.stop()
    assert counts(app) == {("catalog", "", "direct"): (1, 0, 1), ("catalog", "", "qr"): (1, 0, 0)}


def test_counting_off_counts_nothing(tmp_path):
    app = make_app(tmp_path, count_views=False)
    client = app.test_client()
    pid = Listings(app, client).published(title={"fr": "Tapis"})
    assert get(client, f"/p/{pid}?via=whatsapp").status_code == 200
    assert get(client, "/catalog").status_code == 200
    assert state.of(app).view_counter.flush() == 0
    assert counts(app) == {}


def test_absurd_requests_never_fail_and_store_bounded_values(app, client, pid):
    huge = "A" * 200_000
    answers = [
        get(client, f"/p/{pid}?via={huge}&utm_source={huge}", Referer="https://" + huge),
        get(client, f"/p/{pid}?{'x=1&' * 20_000}", ua="Mozilla/5.0 " + huge),
        get(client, f"/p/{pid}", Referer="http://[" + huge),
        get(client, f"/p/{pid}", Referer="https://ex\x00ample.com/\udcff"),
        get(client, f"/p/product:{huge}"),
        get(client, f"/c/{huge}?via=qr"),
        get(client, f"/catalog?q={huge}&category={huge}&utm_source=%ff%fe"),
    ]
    assert all(a.status_code < 500 for a in answers), [a.status_code for a in answers]
    got = counts(app)
    assert all(
        len(source) <= 60 and len(target) <= counting.TARGET_MAX for _, target, source in got
    )
    assert sum(v for v, _, _ in got.values()) == 5

"""Booking places on the home server: one transaction, all or nothing. Twenty buyers
racing for the last place get one booking; refusals store nothing; a cancellation gives
the places back and tells the other side; a server that is not the home server refuses."""

from __future__ import annotations

import threading

import pytest

from api.errors import AppError
from api.services import accounts
from api.services.directory_docs import SERVER, cooperative_doc_id
from api.services.visits import bookings, workshops
from sync.rules.access import make_check

from .conftest import TAZA, WORKSHOP

HERE = ""  # this server's public_url in the tests' configuration


def booked(db, session: str = "soon") -> tuple[int, int]:
    return db.execute(
        "SELECT capacity, booked FROM session_places WHERE workshop_id = ? AND session_id = ?",
        [WORKSHOP, session],
    ).fetchone()


def stored_bookings(db) -> int:
    return db.execute(
        "SELECT count(*) FROM docs WHERE id LIKE 'booking:%' AND deleted = 0"
    ).fetchone()[0]


def outbox(db, kind: str) -> list[tuple[str, str]]:
    return db.execute("SELECT user_id, kind FROM outbox WHERE kind = ?", [kind]).fetchall()


def refused(code: str, run) -> AppError:
    with pytest.raises(AppError) as caught:
        run()
    assert caught.value.code == code, caught.value
    return caught.value


def test_booking_takes_places_and_tells_the_coordinators(store, db, workshop, buyer):
    made = bookings.book(store, buyer, WORKSHOP, "soon", 2, "en taxi", public_url=HERE)
    assert made["status"] == "confirmed" and made["places"] == 2
    assert made["contact_name"] == "Claire Martin"
    assert booked(db) == (3, 2)
    assert outbox(db, "booking_made") == [("coo_naima", "booking_made")]
    left = {s["session_id"]: s["places_left"] for s in workshops.upcoming(db, TAZA)}
    assert left == {"soon": 1, "later": 5}  # the past session is not offered
    assert bookings.for_buyer(store, buyer)[0]["id"] == made["id"]
    naima = accounts.get_user(db, "coo_naima")
    assert [b["id"] for b in bookings.for_cooperative(store, naima, TAZA)] == [made["id"]]


def test_twenty_buyers_race_for_the_last_place(hirfa, app, store, db, workshop, buyer):
    bookings.book(store, buyer, WORKSHOP, "soon", 2, None, public_url=HERE)
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt():
        own = hirfa.open_db()
        try:
            mine = hirfa.store(own)
            start.wait()
            try:
                bookings.book(mine, buyer, WORKSHOP, "soon", 1, None, public_url=HERE)
                outcome = "booked"
            except AppError as exc:
                outcome = exc.code
        finally:
            own.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["booked"] + ["session_full"] * 19
    assert stored_bookings(db) == 2
    assert booked(db) == (3, 3)
    assert len(outbox(db, "booking_made")) == 2


def test_refusals_store_nothing(store, db, workshop, buyer):
    full = refused(
        "session_full",
        lambda: bookings.book(store, buyer, WORKSHOP, "soon", 4, None, public_url=HERE),
    )
    assert full.details["places_left"] == 3
    refused(
        "session_past",
        lambda: bookings.book(store, buyer, WORKSHOP, "past", 1, None, public_url=HERE),
    )
    naima = accounts.get_user(db, "coo_naima")
    current = workshops.get(store, naima, WORKSHOP)
    body = {k: v for k, v in current.items() if not k.startswith("_")}
    workshops.update(store, naima, WORKSHOP, current["_rev"], {**body, "status": "cancelled"})
    refused(
        "workshop_not_open",
        lambda: bookings.book(store, buyer, WORKSHOP, "later", 1, None, public_url=HERE),
    )
    assert stored_bookings(db) == 0
    assert outbox(db, "booking_made") == []
    assert booked(db) == (3, 0)


def test_a_double_submit_makes_one_booking(store, db, workshop, buyer):
    first = bookings.book(store, buyer, WORKSHOP, "soon", 1, None, "form-1", public_url=HERE)
    again = bookings.book(store, buyer, WORKSHOP, "soon", 1, None, "form-1", public_url=HERE)
    assert again["id"] == first["id"]
    assert stored_bookings(db) == 1 and booked(db) == (3, 1)


def test_capacity_follows_the_workshop(store, db, workshop, buyer):
    naima = accounts.get_user(db, "coo_naima")
    bookings.book(store, buyer, WORKSHOP, "soon", 3, None, public_url=HERE)
    current = workshops.get(store, naima, WORKSHOP)
    body = {k: v for k, v in current.items() if not k.startswith("_")}
    workshops.update(store, naima, WORKSHOP, current["_rev"], {**body, "capacity": 5})
    assert booked(db) == (5, 3)
    bookings.book(store, buyer, WORKSHOP, "soon", 2, None, public_url=HERE)
    assert booked(db) == (5, 5)


def test_cancelling_frees_the_places_and_tells_the_other_side(store, db, workshop, buyer):
    made = bookings.book(store, buyer, WORKSHOP, "soon", 3, None, public_url=HERE)
    cancelled = bookings.cancel(store, buyer, made["id"], "Notre vol est annulé", public_url=HERE)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelled"]["role"] == "buyer"
    assert booked(db) == (3, 0)
    assert outbox(db, "booking_cancelled") == [("coo_naima", "booking_cancelled")]
    # again: nothing changes
    bookings.cancel(store, buyer, made["id"], "encore", public_url=HERE)
    assert booked(db) == (3, 0)

    other = bookings.book(store, buyer, WORKSHOP, "soon", 1, None, public_url=HERE)
    naima = accounts.get_user(db, "coo_naima")
    bookings.cancel(store, naima, other["id"], "La tisserande est malade", public_url=HERE)
    assert ("buy_claire", "booking_cancelled") in outbox(db, "booking_cancelled")
    itto = accounts.get_user(db, "coo_itto")
    refused("not_found", lambda: bookings.cancel(store, itto, other["id"], "x", public_url=HERE))


def test_a_server_that_is_not_the_home_server_refuses(store, db, workshop, buyer):
    profile = store.get_doc(cooperative_doc_id(TAZA))
    store.put(
        {**profile, "home_server": "https://taza.hirfa.example/"},
        check=make_check(SERVER, lambda _a: None),
    )
    error = refused(
        "book_on_home_server",
        lambda: bookings.book(
            store, buyer, WORKSHOP, "soon", 1, None, public_url="https://rabat.hirfa.example"
        ),
    )
    assert error.details["home_server"] == "https://taza.hirfa.example"
    assert error.details["url"] == f"https://taza.hirfa.example/buy/book/{WORKSHOP}/soon"
    assert stored_bookings(db) == 0
    # The home server itself books.
    made = bookings.book(
        store, buyer, WORKSHOP, "soon", 1, None, public_url="https://taza.hirfa.example"
    )
    assert made["status"] == "confirmed"

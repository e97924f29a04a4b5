"""Moves an artisan makes offline arrive through /sync and pass the same checks as REST;
concurrent moves converge to the same order whichever arrives first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.orders import approved_product, move, place, product, push_branch, rows

DB = "/sync/hirfa"


@pytest.fixture
def order(app, client, auth):
    approved_product(app)
    return place(client, auth).get_json()


def _doc(client, auth, order_id, who="artisan"):
    response = client.get(f"{DB}/{order_id}?conflicts=true", headers=auth.headers(who))
    assert response.status_code == 200
    return response.get_json()


def _offline_step(doc, status, at="2026-11-22T08:00:00Z", by="art_fatima", role="artisan"):
    """What the artisan's phone writes offline: its copy with one more step."""
    edited = {k: v for k, v in doc.items() if k != "_conflicts"}
    edited["history"] = [*doc["history"], {"status": status, "by": by, "role": role, "at": at}]
    edited["status"] = status
    return edited


def _with_last(doc, **extra):
    return {**doc, "history": [*doc["history"][:-1], {**doc["history"][-1], **extra}]}


JUNK = [
    {"status": "accepted", "by": "x", "role": "artisan", "at": f"2026-11-{n % 28 + 1:02d}"}
    for n in range(200)
]


def test_an_offline_accept_arrives_by_sync_and_counts(app, client, auth, order):
    doc = _doc(client, auth, order["id"])
    response = client.put(
        f"{DB}/{order['id']}", json=_offline_step(doc, "accepted"), headers=auth.headers("artisan")
    )
    assert response.status_code == 201, response.get_json()
    seen = client.get(f"/api/v1/orders/{order['id']}", headers=auth.headers("buyer")).get_json()
    assert seen["status"] == "accepted"
    # The same consequences as a REST accept: stock reserved, the buyer notified.
    assert product(app, "product:zerbia")["stock"]["quantity"] == 2
    assert rows(app, "SELECT user_id, kind FROM outbox WHERE dedup_key LIKE '%:accepted'") == [
        ("buy_claire", "order_moved")
    ]


@pytest.mark.parametrize(
    "forge, reason",
    [
        (lambda d: {**_offline_step(d, "cancelled", by="buy_claire", role="buyer")}, "own"),
        (lambda d: {**_offline_step(d, "shipped")}, "cannot move"),
        (lambda d: {**_offline_step(d, "accepted"), "total_centimes": 1}, "total_centimes"),
        (lambda d: {**_offline_step(d, "accepted"), "status": "delivered"}, "last step"),
        (lambda d: {**_offline_step(d, "accepted", at="yesterday")}, "ISO 8601"),
        (lambda d: {**d, "_deleted": True}, "kept"),
        (lambda d: _with_last(_offline_step(d, "accepted"), note="x" * 5000), "exactly"),
        (lambda d: {**_offline_step(d, "accepted", at="2999-01-01T00:00:00Z")}, "later than"),
        (lambda d: {**_offline_step(d, "accepted"), "superseded": JUNK}, "superseded"),
        (lambda d: {**_offline_step(d, "accepted"), "updated_at": "9999"}, "updated_at"),
        (lambda d: _with_last(_offline_step(d, "accepted"), by=["art_fatima"]), "string"),
        (lambda d: _with_last(_offline_step(d, "accepted"), role={"r": 1}), "string"),
        (lambda d: _with_last(_offline_step(d, "accepted"), at=["2026"]), "string"),
    ],
)
def test_sync_writes_pass_the_same_checks(client, auth, order, forge, reason):
    doc = _doc(client, auth, order["id"])
    response = client.put(f"{DB}/{order['id']}", json=forge(doc), headers=auth.headers("artisan"))
    assert response.status_code == 403
    assert reason in response.get_json()["reason"]


@pytest.mark.parametrize("status", [["accepted"], {"s": "accepted"}, 3])
def test_a_step_whose_status_is_not_a_string_is_refused_not_a_crash(client, auth, order, status):
    doc = _doc(client, auth, order["id"])
    # The order's own status is valid (the schema checks it); a step before the last is not.
    forged = _offline_step(_with_last(_offline_step(doc, "accepted"), status=status), "accepted")
    response = client.put(f"{DB}/{order['id']}", json=forged, headers=auth.headers("artisan"))
    assert response.status_code == 403, response.get_json()
    assert "string" in response.get_json()["reason"]


def test_a_phone_clock_a_few_hours_ahead_is_fine_and_its_time_may_date_the_order(
    client, auth, order
):
    ahead = (datetime.now(UTC) + timedelta(hours=20)).isoformat().replace("+00:00", "Z")
    doc = _doc(client, auth, order["id"])
    body = {**_offline_step(doc, "accepted", at=ahead), "updated_at": ahead}
    response = client.put(f"{DB}/{order['id']}", json=body, headers=auth.headers("artisan"))
    assert response.status_code == 201, response.get_json()


def test_the_buyer_cannot_accept_by_sync_nor_anyone_create_an_order(client, auth, order):
    doc = _doc(client, auth, order["id"], who="buyer")
    forged = _offline_step(doc, "accepted", by="buy_claire", role="buyer")
    response = client.put(f"{DB}/{order['id']}", json=forged, headers=auth.headers("buyer"))
    assert response.status_code == 403
    fresh = {k: v for k, v in doc.items() if not k.startswith("_")}
    created = client.put(f"{DB}/order:mine", json=fresh, headers=auth.headers("buyer"))
    assert created.status_code == 403
    assert "POST /api/v1/orders" in created.get_json()["reason"]


def _converge(app, client, auth, order, accept_first: bool):
    placed = _doc(client, auth, order["id"])
    accept = _offline_step(placed, "accepted")
    if accept_first:
        push_branch(client, auth, placed, accept)
        cancel = move(client, auth, "buyer", order["id"], "cancelled", if_match=placed["_rev"])
    else:
        cancel = move(client, auth, "buyer", order["id"], "cancelled", if_match=placed["_rev"])
        push_branch(client, auth, placed, accept)
    assert cancel.status_code == 200, cancel.get_json()
    return _doc(client, auth, order["id"])


def test_concurrent_accept_and_cancel_converge_in_both_arrival_orders(app, client, auth):
    approved_product(app)
    first = place(client, auth).get_json()
    second = place(client, auth).get_json()
    a = _converge(app, client, auth, first, accept_first=True)
    b = _converge(app, client, auth, second, accept_first=False)
    for doc in (a, b):
        assert doc["status"] == "cancelled"
        assert "_conflicts" not in doc  # settled: one live revision
        assert [s["status"] for s in doc["history"]] == ["placed", "cancelled"]
        assert [(s["status"], s["by"]) for s in doc["superseded"]] == [("accepted", "art_fatima")]
    # The stock the accept took (when it came first) is given back; none is held.
    assert product(app, "product:zerbia")["stock"]["quantity"] == 3
    assert rows(app, "SELECT count(*) FROM stock_reservations WHERE released_at IS NULL") == [(0,)]
    # The artisan learns of the cancellation, once per order.
    told = rows(app, "SELECT user_id FROM outbox WHERE dedup_key LIKE '%:cancelled'")
    assert told == [("art_fatima",), ("art_fatima",)]


def test_a_rewrite_of_history_on_the_current_revision_is_settled_like_a_branch(client, auth, order):
    cancelled = move(client, auth, "buyer", order["id"], "cancelled").get_json()
    doc = _doc(client, auth, order["id"])
    rewrite = {**doc, "history": doc["history"][:1]}
    rewrite = _offline_step(rewrite, "accepted")
    response = client.put(f"{DB}/{order['id']}", json=rewrite, headers=auth.headers("artisan"))
    assert response.status_code == 201  # looks like an offline branch to the check...
    after = _doc(client, auth, order["id"])
    assert after["status"] == cancelled["status"] == "cancelled"  # ...and loses like one


def _race(app, client, auth, first: str, remote_first: bool):
    """A concurrent pair on a fresh order: the artisan's offline accept comes by /sync;
    ``first`` ("cancelled" by the buyer, "declined" by the coordinator) over REST with the
    revision it was decided on. ``remote_first``: the accept arrives before it."""
    order = place(client, auth).get_json()
    placed = _doc(client, auth, order["id"])
    who = "buyer" if first == "cancelled" else "coordinator"
    accept = _offline_step(placed, "accepted")
    if remote_first:
        push_branch(client, auth, placed, accept)
    answer = move(client, auth, who, order["id"], first, if_match=placed["_rev"])
    if not remote_first:
        push_branch(client, auth, placed, accept)
    assert answer.status_code == 200, answer.get_json()
    return _doc(client, auth, order["id"])


@pytest.mark.parametrize("refusal", ["cancelled", "declined"])
@pytest.mark.parametrize("remote_first", [True, False])
def test_a_refusal_beats_an_acceptance_in_either_arrival_order(
    app, client, auth, refusal, remote_first
):
    approved_product(app)
    doc = _race(app, client, auth, refusal, remote_first)
    assert doc["status"] == refusal and "_conflicts" not in doc
    assert [s["status"] for s in doc["history"]] == ["placed", refusal]
    assert [s["status"] for s in doc["superseded"]] == ["accepted"]
    assert product(app, "product:zerbia")["stock"]["quantity"] == 3
    assert rows(app, "SELECT count(*) FROM stock_reservations WHERE released_at IS NULL") == [(0,)]


SELLER_LINE = [
    ("accepted", "artisan"),
    ("in_production", "artisan"),
    ("ready", "artisan"),
    ("shipped", "artisan"),
    ("delivered", "buyer"),
]


def test_a_cancel_or_decline_cannot_undo_a_delivered_order(app, client, auth, order):
    oid = order["id"]
    placed = _doc(client, auth, oid)
    for status, who in SELLER_LINE:
        assert move(client, auth, who, oid, status).status_code == 200
    delivered = _doc(client, auth, oid)
    # Over REST, the stale If-Match is answered as any other: 412 and the order as it is.
    late = move(client, auth, "buyer", oid, "cancelled", if_match=placed["_rev"])
    assert late.status_code == 412, late.get_json()
    assert late.get_json()["error"]["details"]["current"]["status"] == "delivered"
    refused = move(client, auth, "coordinator", oid, "declined", if_match=placed["_rev"])
    assert refused.status_code == 412
    # By /sync, an offline decline on the placed revision is refused as it arrives.
    [result] = push_branch(client, auth, placed, _offline_step(placed, "declined"))
    assert result["error"] == "forbidden" and "cannot undo" in result["reason"]
    after = _doc(client, auth, oid)
    assert after["_rev"] == delivered["_rev"] and after["status"] == "delivered"
    assert "_conflicts" not in after
    # The piece left: its stock stays taken.
    assert product(app, "product:zerbia")["stock"]["quantity"] == 2


def test_a_delivered_line_cannot_undo_a_cancellation(app, client, auth, order):
    oid = order["id"]
    placed = _doc(client, auth, oid)
    assert move(client, auth, "buyer", oid, "cancelled").status_code == 200
    line = placed
    for status, _ in SELLER_LINE:  # the artisan's phone, offline, went all the way
        line = _offline_step(line, status)
    [result] = push_branch(client, auth, placed, line)
    assert result["error"] == "forbidden" and "cannot undo" in result["reason"]
    after = _doc(client, auth, oid)
    assert after["status"] == "cancelled" and "_conflicts" not in after
    assert product(app, "product:zerbia")["stock"]["quantity"] == 3


def test_a_stale_if_match_still_moves_when_the_move_is_open_now(client, auth, order):
    oid = order["id"]
    placed = _doc(client, auth, oid)
    move(client, auth, "artisan", oid, "accepted")
    # Decided on `placed`, but open from `accepted` too: it applies to the order as it is.
    answer = move(client, auth, "coordinator", oid, "in_production", if_match=placed["_rev"])
    assert answer.status_code == 200
    assert [s["status"] for s in answer.get_json()["history"]] == [
        "placed",
        "accepted",
        "in_production",
    ]


def test_an_accept_arriving_twice_reserves_once(app, client, auth, order):
    oid = order["id"]
    placed = _doc(client, auth, oid)
    push_branch(client, auth, placed, _offline_step(placed, "accepted"))  # the phone's
    again = move(client, auth, "artisan", oid, "accepted", if_match=placed["_rev"])
    assert again.status_code == 412  # done already: the answer shows it
    assert again.get_json()["error"]["details"]["current"]["status"] == "accepted"
    assert product(app, "product:zerbia")["stock"]["quantity"] == 2  # 3 - 1, once
    assert rows(app, "SELECT order_id, quantity FROM stock_reservations") == [(oid, 1)]

"""Orders over REST: pricing by the server, idempotent placement, the state machine and
its permissions, stock reservation, who sees which orders."""

from __future__ import annotations

import pytest

from tests.support.orders import DELIVERY, approved_product, move, place, product, rows


@pytest.fixture
def product_id(app):
    return approved_product(app)


def test_price_comes_from_the_product_and_options_never_the_client(client, auth, product_id):
    forged = place(client, auth, quantity=2, total_centimes=1)
    assert forged.status_code == 400
    assert "total_centimes" in forged.get_json()["error"]["details"]["fields"]
    order = place(client, auth, quantity=2).get_json()
    assert order["unit_price_centimes"] == 450000 + 5000
    assert order["total_centimes"] == 2 * 455000
    assert order["options"] == [
        {"code": "colour", "choice": "indigo", "price_delta_centimes": 5000}
    ]


@pytest.mark.parametrize(
    "options, reason",
    [({}, "colour"), ({"colour": "pink"}, "colour"), ({"colour": "natural", "size": "xl"}, "size")],
)
def test_options_are_checked_against_the_product(client, auth, product_id, options, reason):
    response = place(client, auth, options=options)
    assert response.status_code == 400
    assert reason in response.get_json()["error"]["details"]["fields"]["options"]


def test_only_approved_products_can_be_ordered(app, client, auth):
    approved_product(app, "product:draft", status="submitted")
    response = place(client, auth, "product:draft")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "not_orderable"
    assert place(client, auth, "product:nothing").status_code == 404


def test_not_more_than_the_stock(client, auth, product_id):
    response = place(client, auth, quantity=4)
    assert response.status_code == 409
    assert response.get_json()["error"]["details"] == {"available": 3}


def test_a_retried_placement_makes_one_order(app, client, auth, product_id):
    first = place(client, auth, key="retry-1")
    again = place(client, auth, key="retry-1")
    assert first.status_code == again.status_code == 201
    assert first.get_json()["id"] == again.get_json()["id"]
    assert rows(app, "SELECT count(*) FROM docs WHERE id LIKE 'order:%'") == [(1,)]
    assert rows(app, "SELECT count(*) FROM outbox WHERE kind = 'order_placed'") == [(1,)]
    other = place(client, auth, key="retry-1", quantity=2)
    assert other.status_code == 422


def test_placing_an_order_requires_an_idempotency_key(app, client, auth, product_id):
    body = {"product_id": product_id, "options": {"colour": "indigo"}, "delivery": DELIVERY}
    for headers in ({}, {"Idempotency-Key": "  "}):
        response = client.post(
            "/api/v1/orders", json=body, headers={**auth.headers("buyer"), **headers}
        )
        assert response.status_code == 428
        error = response.get_json()["error"]
        assert error["code"] == "idempotency_key_required"
        assert "Idempotency-Key" in error["message"]
    assert rows(app, "SELECT count(*) FROM docs WHERE id LIKE 'order:%'") == [(0,)]


def test_only_buyers_place_orders(client, auth, product_id):
    response = client.post(
        "/api/v1/orders",
        json={"product_id": product_id, "options": {"colour": "natural"}, "delivery": {}},
        headers=auth.headers("artisan"),
    )
    assert response.status_code == 403


def test_the_happy_path_each_move_by_its_role_with_its_time(client, auth, product_id):
    order = place(client, auth).get_json()
    oid = order["id"]
    assert move(client, auth, "buyer", oid, "accepted").status_code == 403
    assert move(client, auth, "artisan", oid, "shipped").status_code == 409
    for who, status in [
        ("artisan", "accepted"),
        ("coordinator", "in_production"),
        ("artisan", "ready"),
        ("artisan", "shipped"),
        ("buyer", "delivered"),
    ]:
        response = move(client, auth, who, oid, status)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["status"] == status
    history = client.get(f"/api/v1/orders/{oid}", headers=auth.headers("buyer")).get_json()[
        "history"
    ]
    assert [(s["status"], s["by"], s["role"]) for s in history] == [
        ("placed", "buy_claire", "buyer"),
        ("accepted", "art_fatima", "artisan"),
        ("in_production", "coo_naima", "coordinator"),
        ("ready", "art_fatima", "artisan"),
        ("shipped", "art_fatima", "artisan"),
        ("delivered", "buy_claire", "buyer"),
    ]
    assert all(s["at"].endswith("Z") for s in history)
    final = move(client, auth, "buyer", oid, "cancelled")
    assert final.status_code == 409
    assert final.get_json()["error"]["details"]["allowed"] == []


def test_buyer_cancels_before_acceptance_only(client, auth, product_id):
    first = place(client, auth).get_json()["id"]
    assert move(client, auth, "artisan", first, "cancelled").status_code == 403
    assert move(client, auth, "buyer", first, "cancelled").get_json()["status"] == "cancelled"
    second = place(client, auth).get_json()["id"]
    move(client, auth, "artisan", second, "accepted")
    assert move(client, auth, "buyer", second, "cancelled").status_code == 409


def test_strangers_do_not_see_or_move_an_order(client, auth, product_id):
    oid = place(client, auth).get_json()["id"]
    for who in ("artisan2", "coordinator2", "artisan_other_coop"):
        assert client.get(f"/api/v1/orders/{oid}", headers=auth.headers(who)).status_code == 404
        assert move(client, auth, who, oid, "accepted").status_code == 404


def test_accepting_reserves_stock_and_a_decline_reserves_none(app, client, auth, product_id):
    accepted = place(client, auth, quantity=2).get_json()["id"]
    declined = place(client, auth).get_json()["id"]
    move(client, auth, "artisan", accepted, "accepted")
    assert product(app, product_id)["stock"]["quantity"] == 1
    move(client, auth, "artisan", declined, "declined")
    assert product(app, product_id)["stock"]["quantity"] == 1
    third = place(client, auth, quantity=1).get_json()["id"]
    move(client, auth, "artisan", third, "accepted")
    assert product(app, product_id)["stock"]["quantity"] == 0
    fourth = place(client, auth, quantity=1)
    assert fourth.status_code == 409  # nothing left to order


def test_made_to_order_has_no_stock_to_reserve(app, client, auth):
    pid = approved_product(
        app, "product:tajine", stock={"mode": "made_to_order", "production_days": 10}
    )
    oid = place(client, auth, pid, quantity=5).get_json()["id"]
    assert move(client, auth, "artisan", oid, "accepted").status_code == 200
    assert product(app, pid)["stock"] == {"mode": "made_to_order", "production_days": 10}
    assert rows(app, "SELECT count(*) FROM stock_reservations") == [(0,)]


def test_each_party_lists_the_orders_they_may_see(app, client, auth, product_id):
    approved_product(app, "product:argan", owner="art_zahra", cooperative="coop-essaouira-argan")
    mine = place(client, auth).get_json()["id"]
    other = place(client, auth, "product:argan").get_json()["id"]

    def listed(who, **params):
        response = client.get("/api/v1/orders", headers=auth.headers(who), query_string=params)
        return {o["id"] for o in response.get_json()["items"]}

    assert listed("buyer") == {mine, other}
    assert listed("coordinator") == {mine}  # her cooperative's
    assert listed("coordinator2") == {other}
    assert listed("artisan") == {mine}
    assert listed("artisan2") == set()
    assert listed("buyer", status="accepted") == set()

"""Bulk orders and the artisans' earnings over REST: forty pieces from the buyer's
request to delivery, what the shipped pieces earn, payments (an advance among them), a
correction, the CSV adding up to the balances; and every bad input refused with its
code while nothing is written."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import pytest

COOP = "coop-taza-zerbia"
FATIMA, KHADIJA, ZAHRA = "art_fatima", "art_khadija", "art_zahra"
PRICE = 45_000
SHARE = 31_500  # the price less the cooperative's 30 %
DUE = (date.today() + timedelta(days=60)).isoformat()
DELIVERY = {
    "name": "Hôtel Atlas",
    "phone": "+212522000000",
    "address": "1 av. Hassan II",
    "city": "Fès",
}


def _request(client, auth, quantity=40, key=None, **body):
    headers = {**auth.headers("buyer"), "Idempotency-Key": key or f"bulk-{uuid.uuid4()}"}
    payload = {
        "cooperative": COOP,
        "piece": {"fr": "Panier en doum"},
        "quantity": quantity,
        "unit_price_centimes": PRICE,
        "due": DUE,
        "delivery": DELIVERY,
    }
    return client.post("/api/v1/bulk-orders", json={**payload, **body}, headers=headers)


def _post(client, auth, who, path, body=None, status=(200, 201)):
    response = client.post(f"/api/v1{path}", json=body, headers=auth.headers(who))
    assert response.status_code in status, (path, response.get_json())
    return response.get_json()


def _view(client, auth, who, bulk_id):
    response = client.get(f"/api/v1/bulk-orders/{bulk_id}", headers=auth.headers(who))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _error(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code, response.get_json()
    return response.get_json()["error"]


def _docs(db) -> int:
    return db.execute("SELECT count(*) FROM docs").fetchone()[0]


def _mad(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, rest = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int(rest))


@pytest.fixture
def accepted(client, auth):
    """A bulk order of 40, accepted with a 30 % margin, and a part of 15 for Fatima which
    she accepted: (bulk id, part id)."""
    bulk = _request(client, auth).get_json()
    path = f"/bulk-orders/{bulk['id']}"
    _post(
        client, auth, "coordinator", f"{path}/moves", {"status": "accepted", "margin_percent": 30}
    )
    part = _post(client, auth, "coordinator", f"{path}/parts", {"artisan": FATIMA, "quantity": 15})
    _post(client, auth, "artisan", f"/orders/{part['id']}/moves", {"status": "accepted"})
    return bulk["id"], part["id"]


def test_forty_pieces_from_request_to_delivery(client, auth):
    asked = _request(client, auth, key="hotel-40")
    assert asked.status_code == 201, asked.get_json()
    bulk = asked.get_json()
    again = _request(client, auth, key="hotel-40")
    assert again.get_json()["id"] == bulk["id"]
    bulk_id, path = bulk["id"], f"/bulk-orders/{bulk['id']}"
    assert asked.headers["ETag"] == f'"{bulk["rev"]}"'
    assert (bulk["stage"], bulk["totals"]["to_assign"]) == ("requested", 40)

    accepted = _post(
        client, auth, "coordinator", f"{path}/moves", {"status": "accepted", "margin_percent": 30}
    )
    assert accepted["artisan_share_centimes"] == SHARE and accepted["status"] == "accepted"
    parts = [
        _post(client, auth, "coordinator", f"{path}/parts", {"artisan": who, "quantity": n})
        for who, n in ((FATIMA, 15), (KHADIJA, 15), (FATIMA, 10))
    ]
    assert [p["total_centimes"] for p in parts] == [15 * SHARE, 15 * SHARE, 10 * SHARE]
    assert all(p["bulk_order"] == bulk_id and p["status"] == "placed" for p in parts)
    assert _view(client, auth, "coordinator", bulk_id)["totals"]["awaiting_answer"] == 40

    # Each artisan answers her part as any order; Khadija declines, hers go back.
    for part in (parts[0], parts[2]):
        _post(client, auth, "artisan", f"/orders/{part['id']}/moves", {"status": "accepted"})
    _post(client, auth, "artisan2", f"/orders/{parts[1]['id']}/moves", {"status": "declined"})
    totals = _view(client, auth, "coordinator", bulk_id)["totals"]
    assert (totals["to_assign"], totals["in_production"]) == (15, 25)
    again = _post(client, auth, "coordinator", f"{path}/parts", {"artisan": FATIMA, "quantity": 15})
    _post(client, auth, "artisan", f"/orders/{again['id']}/moves", {"status": "accepted"})

    # Checks: two of the first part refused, with a reason; they go back to be assigned.
    check = _post(
        client,
        auth,
        "coordinator",
        f"{path}/checks",
        {"part": parts[0]["id"], "passed": 13, "refused": 2, "reason": "finish", "note": "bords"},
    )
    assert check["id"].startswith("check:") and (check["passed"], check["reason"]) == (13, "finish")
    for part, n in ((parts[2], 10), (again, 15)):
        _post(client, auth, "coordinator", f"{path}/checks", {"part": part["id"], "passed": n})
    totals = _view(client, auth, "coordinator", bulk_id)["totals"]
    assert (totals["checked"], totals["refused"], totals["to_assign"]) == (38, 2, 2)

    # Two parcels: 23 pieces named, then every checked piece waiting.
    lines = [{"part": parts[0]["id"], "count": 13}, {"part": parts[2]["id"], "count": 10}]
    first = _post(
        client, auth, "coordinator", f"{path}/shipments", {"pieces": lines, "tracking": "CP1"}
    )
    assert (first["count"], first["status"]) == (23, "shipped")
    second = _post(client, auth, "coordinator", f"{path}/shipments", {})
    assert second["pieces"] == [{"part": again["id"], "artisan": FATIMA, "count": 15}]
    done = _post(client, auth, "buyer", f"{path}/shipments/{first['id']}/delivered")
    assert done["status"] == "delivered" and done["delivered_by"] == "buy_claire"

    theirs, mine = (
        _view(client, auth, "buyer", bulk_id),
        _view(client, auth, "coordinator", bulk_id),
    )
    assert theirs["totals"] == mine["totals"]
    assert (theirs["totals"]["delivered"], theirs["totals"]["shipped"]) == (23, 15)
    assert theirs["stage"] == mine["stage"] == "partly_shipped"
    for hidden in ("parts", "checks", "artisan_share_centimes"):
        assert hidden not in theirs
    assert [s["count"] for s in theirs["shipments"]] == [23, 15]
    assert all("pieces" not in s for s in theirs["shipments"])
    assert {p["id"]: p["status"] for p in mine["parts"]}[parts[1]["id"]] == "declined"
    assert len(mine["parts"]) == 4 and len(mine["checks"]) == 3

    # What the shipped pieces earned Fatima, written after the shipments.
    hers = client.get("/api/v1/earnings", headers=auth.headers("artisan")).get_json()
    earned = [e for e in hers["items"] if e["kind"] == "earned"]
    assert sorted(e["pieces"] for e in earned) == [10, 13, 15]
    assert all(e["unit_centimes"] == SHARE for e in earned)
    assert hers["balance_centimes"] == 38 * SHARE


def test_payments_an_advance_a_correction_and_the_csv(client, auth, accepted, db):
    bulk_id, part_id = accepted
    path = f"/bulk-orders/{bulk_id}"
    _post(client, auth, "coordinator", f"{path}/checks", {"part": part_id, "passed": 15})
    _post(client, auth, "coordinator", f"{path}/shipments", {})
    owed = 15 * SHARE
    paid = _post(
        client,
        auth,
        "coordinator",
        "/earnings/payments",
        {"artisan": FATIMA, "amount_centimes": owed + 5_000, "method": "transfer",
         "reference": "VIR-1"},
    )  # fmt: skip
    assert (paid["kind"], paid["advance_centimes"], paid["signed_centimes"]) == (
        "paid",
        5_000,
        -(owed + 5_000),
    )
    cash = _post(
        client,
        auth,
        "coordinator",
        "/earnings/payments",
        {"artisan": KHADIJA, "amount_centimes": 10_000, "method": "cash"},
    )
    assert cash["advance_centimes"] == 10_000
    hers = client.get("/api/v1/earnings", headers=auth.headers("artisan")).get_json()
    assert hers["balance_centimes"] == -5_000
    [earned] = [e for e in hers["items"] if e["kind"] == "earned"]
    fixed = _post(
        client,
        auth,
        "coordinator",
        "/earnings/corrections",
        {"corrects": earned["id"], "amount_centimes": -1_500, "note": "une pièce tachée"},
    )
    assert (fixed["kind"], fixed["corrects"]) == ("correction", earned["id"])

    listed = client.get(
        "/api/v1/earnings", query_string={"artisan": FATIMA}, headers=auth.headers("coordinator")
    ).get_json()
    assert listed["balance_centimes"] == -6_500 and len(listed["items"]) == 3
    page = client.get(
        "/api/v1/earnings", query_string={"artisan": FATIMA, "limit": 2},
        headers=auth.headers("coordinator"),
    ).get_json()  # fmt: skip
    assert page["more"] and len(page["items"]) == 2
    rest = client.get(
        "/api/v1/earnings", query_string={"artisan": FATIMA, "since": page["next"]},
        headers=auth.headers("coordinator"),
    ).get_json()  # fmt: skip
    assert [e["id"] for e in page["items"] + rest["items"]] == [e["id"] for e in listed["items"]]
    balances = client.get("/api/v1/earnings/balances", headers=auth.headers("coordinator"))
    by_artisan = {b["artisan"]: b for b in balances.get_json()["items"]}
    assert by_artisan[FATIMA]["balance_centimes"] == -6_500
    assert by_artisan[FATIMA]["paid_centimes"] == owed + 5_000
    assert by_artisan[KHADIJA]["balance_centimes"] == -10_000

    answer = client.get("/api/v1/earnings.csv?lang=fr", headers=auth.headers("coordinator"))
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [r["kind"] for r in rows] == ["earned", "paid", "paid", "correction"]
    for artisan, balance in by_artisan.items():
        in_csv = sum(_mad(r["amount_mad"]) for r in rows if r["artisan"] == artisan)
        assert in_csv == balance["balance_centimes"], artisan
    assert rows[1]["method_name"] == "Virement" and rows[1]["advance_mad"] == "50.00"
    _error(client.get("/api/v1/earnings.csv", headers=auth.headers("artisan")), 403, "forbidden")


# Bad input: each refused with its code, and nothing written.


def _refused(db, response, status, code):
    before = _docs(db)
    _error(response(), status, code)
    assert _docs(db) == before


def test_a_part_for_an_artisan_of_another_cooperative(client, auth, accepted, db):
    bulk_id, _ = accepted
    url = f"/api/v1/bulk-orders/{bulk_id}/parts"
    coordinator = auth.headers("coordinator")
    _refused(
        db,
        lambda: client.post(url, json={"artisan": ZAHRA, "quantity": 5}, headers=coordinator),
        403,
        "artisan_of_another_cooperative",
    )


@pytest.mark.parametrize(
    "quantity, status, code", [(0, 400, "validation_error"), (26, 409, "beyond_bulk_order")]
)
def test_a_part_of_no_pieces_or_beyond_what_is_left(
    client, auth, accepted, db, quantity, status, code
):
    bulk_id, _ = accepted
    url = f"/api/v1/bulk-orders/{bulk_id}/parts"
    before = _view(client, auth, "coordinator", bulk_id)["totals"]
    body = {"artisan": KHADIJA, "quantity": quantity}
    _refused(
        db, lambda: client.post(url, json=body, headers=auth.headers("coordinator")), status, code
    )
    assert _view(client, auth, "coordinator", bulk_id)["totals"] == before


def test_a_buyer_does_not_assign_parts(client, auth, accepted, db):
    bulk_id, _ = accepted
    url = f"/api/v1/bulk-orders/{bulk_id}/parts"
    body = {"artisan": KHADIJA, "quantity": 5}
    _refused(
        db, lambda: client.post(url, json=body, headers=auth.headers("buyer")), 403, "forbidden"
    )


def test_a_check_of_more_pieces_than_the_part_has(client, auth, accepted, db):
    bulk_id, part_id = accepted
    url = f"/api/v1/bulk-orders/{bulk_id}/checks"
    body = {"part": part_id, "passed": 14, "refused": 2, "reason": "size"}
    _refused(
        db,
        lambda: client.post(url, json=body, headers=auth.headers("coordinator")),
        409,
        "more_than_part",
    )


def test_a_shipment_of_more_than_checked(client, auth, accepted, db):
    bulk_id, part_id = accepted
    _post(
        client,
        auth,
        "coordinator",
        f"/bulk-orders/{bulk_id}/checks",
        {"part": part_id, "passed": 5},
    )
    url = f"/api/v1/bulk-orders/{bulk_id}/shipments"
    body = {"pieces": [{"part": part_id, "count": 6}]}
    _refused(
        db,
        lambda: client.post(url, json=body, headers=auth.headers("coordinator")),
        409,
        "more_than_checked",
    )


@pytest.mark.parametrize("amount", [12.5, "100", True, None])
def test_amounts_that_are_not_integers(client, auth, accepted, db, amount):
    headers = auth.headers("coordinator")
    payment = {"artisan": FATIMA, "amount_centimes": amount, "method": "cash"}
    _refused(
        db,
        lambda: client.post("/api/v1/earnings/payments", json=payment, headers=headers),
        400,
        "validation_error",
    )
    correction = {"corrects": "earning:x", "amount_centimes": amount, "note": "x"}
    _refused(
        db,
        lambda: client.post("/api/v1/earnings/corrections", json=correction, headers=headers),
        400,
        "validation_error",
    )
    bulk_id, _ = accepted
    share = {"status": "accepted", "artisan_share_centimes": amount}
    _refused(
        db,
        lambda: client.post(f"/api/v1/bulk-orders/{bulk_id}/moves", json=share, headers=headers),
        400,
        "validation_error",
    )
    _refused(
        db, lambda: _request(client, auth, unit_price_centimes=amount), 400, "validation_error"
    )
    _refused(db, lambda: _request(client, auth, quantity=amount), 400, "validation_error")


def test_a_payment_to_an_artisan_of_another_cooperative(client, auth, db):
    body = {"artisan": ZAHRA, "amount_centimes": 1_000, "method": "cash"}
    _refused(
        db,
        lambda: client.post(
            "/api/v1/earnings/payments", json=body, headers=auth.headers("coordinator")
        ),
        403,
        "artisan_of_another_cooperative",
    )


def test_moves_that_are_not_allowed(client, auth, accepted, db):
    bulk_id, _ = accepted
    url = f"/api/v1/bulk-orders/{bulk_id}/moves"
    for who, status in (
        ("coordinator", "declined"),
        ("coordinator", "accepted"),
        ("buyer", "declined"),
    ):
        body = {"status": status, "margin_percent": 10}
        _refused(
            db,
            lambda b=body, w=who: client.post(url, json=b, headers=auth.headers(w)),
            409,
            "invalid_transition",
        )
    buyer = {"status": "cancelled"}
    _refused(
        db, lambda: client.post(url, json=buyer, headers=auth.headers("buyer")), 403, "forbidden"
    )


def test_a_correction_of_an_unknown_entry(client, auth, db):
    body = {"corrects": "earning:nothing", "amount_centimes": -100, "note": "?"}
    _refused(
        db,
        lambda: client.post(
            "/api/v1/earnings/corrections", json=body, headers=auth.headers("coordinator")
        ),
        404,
        "not_found",
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"product_id": "product:zerbia"}, "product_id"),
        ({"cooperative": None, "piece": None}, "product_id"),
        ({"piece": None}, "piece"),
        ({"due": "01/03/2027"}, "due"),
        ({"quantity": 100_001}, "quantity"),
    ],
)
def test_a_request_names_one_piece_once(client, auth, db, change, field):
    before = _docs(db)
    body = {k: v for k, v in change.items() if v is not None}
    gone = [k for k, v in change.items() if v is None]
    headers = {**auth.headers("buyer"), "Idempotency-Key": str(uuid.uuid4())}
    payload = {"cooperative": COOP, "piece": {"fr": "x"}, "quantity": 4, "unit_price_centimes": 1,
               "due": DUE, "delivery": DELIVERY, **body}  # fmt: skip
    for name in gone:
        payload.pop(name)
    response = client.post("/api/v1/bulk-orders", json=payload, headers=headers)
    assert field in _error(response, 400, "validation_error")["details"]["fields"]
    assert _docs(db) == before


def test_a_request_needs_an_idempotency_key_and_a_buyer(client, auth, db):
    before = _docs(db)
    body = {"cooperative": COOP, "piece": {"fr": "x"}, "quantity": 4, "unit_price_centimes": 1,
            "due": DUE, "delivery": DELIVERY}  # fmt: skip
    no_key = client.post("/api/v1/bulk-orders", json=body, headers=auth.headers("buyer"))
    _error(no_key, 428, "idempotency_key_required")
    as_coordinator = {**auth.headers("coordinator"), "Idempotency-Key": "k"}
    _error(client.post("/api/v1/bulk-orders", json=body, headers=as_coordinator), 403, "forbidden")
    assert _docs(db) == before


def test_a_delivery_of_a_shipment_of_another_bulk_order(client, auth, accepted, db):
    bulk_id, part_id = accepted
    path = f"/bulk-orders/{bulk_id}"
    _post(client, auth, "coordinator", f"{path}/checks", {"part": part_id, "passed": 3})
    shipment = _post(client, auth, "coordinator", f"{path}/shipments", {})
    other = _request(client, auth).get_json()["id"]
    url = f"/api/v1/bulk-orders/{other}/shipments/{shipment['id']}/delivered"
    _refused(db, lambda: client.post(url, headers=auth.headers("buyer")), 404, "not_found")
    stale = {**auth.headers("buyer"), "If-Match": '"1-stale"'}
    url = f"/api/v1{path}/shipments/{shipment['id']}/delivered"
    _refused(db, lambda: client.post(url, headers=stale), 412, "precondition_failed")

"""The raw-materials ledger over REST: materials written with If-Match, movements recorded
(units converted, counts filled, reversals), balances, paging, filters, the CSV, and
every bad input refused with its code while the ledger stays as it was."""

from __future__ import annotations

import csv
import io

import pytest

COOP = "coop-taza-zerbia"
WOOL = f"material:{COOP}:wool"
ARGAN = "material:coop-essaouira-argan:kernels"


@pytest.fixture
def wool(client, auth):
    body = {
        "code": "wool",
        "name": {"ar": "صوف", "fr": "Laine"},
        "unit": "kg",
        "low_stock": 5000,
        "supplier": "Azrou",
    }
    response = client.post("/api/v1/materials", json=body, headers=auth.headers("coordinator"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _move(client, auth, who="coordinator", **body):
    return client.post("/api/v1/movements", json=body, headers=auth.headers(who))


def _balances(client, auth, who="coordinator", **params):
    response = client.get("/api/v1/balances", query_string=params, headers=auth.headers(who))
    assert response.status_code == 200, response.get_json()
    return {(b["material"], b["place"]): b["quantity"] for b in response.get_json()["items"]}


def _error(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code, response.get_json()
    return response.get_json()["error"]


def test_a_coordinator_creates_reads_edits_and_archives_a_material(client, auth, wool):
    headers = auth.headers("coordinator")
    assert wool["id"] == WOOL and wool["base_unit"] == "g" and wool["code"] == "wool"
    again = client.post(
        "/api/v1/materials",
        json={"code": "wool", "name": {"fr": "x"}, "unit": "g"},
        headers=headers,
    )
    _error(again, 409, "material_exists")
    got = client.get(f"/api/v1/materials/{WOOL}", headers=auth.headers("artisan"))
    assert got.status_code == 200 and got.headers["ETag"] == f'"{wool["rev"]}"'
    assert got.get_json()["name"]["ar"] == "صوف"
    edit = {"name": {"fr": "Laine écrue"}, "unit": "g", "low_stock": 100}
    url = f"/api/v1/materials/{WOOL}"
    _error(client.put(url, json=edit, headers=headers), 428, "precondition_required")
    stale = client.put(url, json=edit, headers={**headers, "If-Match": '"1-stale"'})
    assert _error(stale, 412, "precondition_failed")["details"]["current"]["rev"] == wool["rev"]
    other_family = client.put(
        url, json={**edit, "unit": "l"}, headers={**headers, "If-Match": wool["rev"]}
    )
    _error(other_family, 409, "unit_family_changed")
    done = client.put(url, json=edit, headers={**headers, "If-Match": f'"{wool["rev"]}"'})
    assert done.status_code == 200 and done.get_json()["unit"] == "g"
    listed = client.get("/api/v1/materials", headers=auth.headers("artisan")).get_json()
    assert [m["id"] for m in listed["items"]] == [WOOL]
    archive = {**edit, "archived": True}
    archived = client.put(
        url, json=archive, headers={**headers, "If-Match": done.get_json()["rev"]}
    )
    assert archived.status_code == 200 and archived.get_json()["archived"] is True
    assert client.get("/api/v1/materials", headers=headers).get_json()["items"] == []
    everything = client.get("/api/v1/materials?archived=true", headers=headers).get_json()
    assert [m["id"] for m in everything["items"]] == [WOOL]
    gone = client.delete(url, headers=headers)
    assert "archived" in _error(gone, 405, "method_not_allowed")["message"]


def test_materials_of_another_cooperative_are_not_a_coordinators(client, auth, wool):
    other = client.post(
        "/api/v1/materials",
        json={"cooperative": "coop-essaouira-argan", "code": "x", "name": {"fr": "X"}, "unit": "g"},
        headers=auth.headers("coordinator"),
    )
    _error(other, 403, "forbidden")
    admin = client.post(
        "/api/v1/materials",
        json={
            "cooperative": "coop-essaouira-argan",
            "code": "kernels",
            "name": {"fr": "Amandons"},
            "unit": "kg",
        },
        headers=auth.headers("admin"),
    )
    assert admin.status_code == 201
    rev = admin.get_json()["rev"]
    write = client.put(
        f"/api/v1/materials/{ARGAN}",
        json={"name": {"fr": "Pris"}, "unit": "kg"},
        headers={**auth.headers("coordinator"), "If-Match": rev},
    )
    _error(write, 403, "forbidden")
    read = client.get(f"/api/v1/materials/{ARGAN}", headers=auth.headers("coordinator"))
    _error(read, 404, "not_found")
    artisan_write = client.post(
        "/api/v1/materials",
        json={"code": "y", "name": {"fr": "Y"}, "unit": "g"},
        headers=auth.headers("artisan"),
    )
    _error(artisan_write, 403, "forbidden")


def test_movements_make_balances_with_units_converted(client, auth, wool):
    received = _move(
        client,
        auth,
        kind="receive",
        material=WOOL,
        quantity=12.5,
        unit="kg",
        to="store",
        cost_centimes=96050,
        supplier="Azrou",
    )
    assert received.status_code == 201, received.get_json()
    body = received.get_json()
    assert body["quantity"] == 12500 and body["owner"] == "coo_naima"
    assert body["cooperative"] == COOP and body["id"].startswith("movement:")
    given = _move(
        client,
        auth,
        kind="transfer",
        material=WOOL,
        quantity=3000,
        **{"from": "store", "to": "artisan:art_fatima"},
    )
    assert given.status_code == 201, given.get_json()
    used = _move(
        client,
        auth,
        "artisan",
        kind="use",
        material=WOOL,
        quantity=0.5,
        unit="kg",
        **{"from": "artisan:art_fatima"},
    )
    assert used.status_code == 201, used.get_json()
    assert _balances(client, auth) == {
        (WOOL, "store"): 9500,
        (WOOL, "artisan:art_fatima"): 2500,
    }
    mine = client.get("/api/v1/balances", headers=auth.headers("artisan")).get_json()["items"]
    assert [(b["place"], b["quantity"], b["shown"]) for b in mine] == [
        ("artisan:art_fatima", 2500, "2.5 kg")
    ]
    assert mine[0]["name"]["ar"] == "صوف" and mine[0]["unit"] == "kg"
    assert mine[0]["negative"] is False and mine[0]["low"] is False
    _error(
        client.get("/api/v1/balances?place=store", headers=auth.headers("artisan")),
        403,
        "forbidden",
    )
    got = client.get(f"/api/v1/movements/{body['id']}", headers=auth.headers("coordinator"))
    assert got.status_code == 200 and got.get_json()["reversed"] is False
    assert got.headers["ETag"] == f'"{body["rev"]}"'
    hidden = client.get(f"/api/v1/movements/{body['id']}", headers=auth.headers("artisan"))
    _error(hidden, 404, "not_found")  # the store's receipt is not hers


def test_a_retry_with_the_same_id_returns_the_movement_recorded(client, auth, wool):
    body = {
        "id": "movement:phone-1",
        "kind": "receive",
        "material": WOOL,
        "quantity": 700,
        "to": "store",
    }
    first = _move(client, auth, **body)
    assert first.status_code == 201
    again = _move(client, auth, **body)
    assert again.status_code == 200 and again.get_json()["rev"] == first.get_json()["rev"]
    _error(_move(client, auth, **{**body, "quantity": 701}), 409, "id_taken")
    assert _balances(client, auth) == {(WOOL, "store"): 700}


def test_paging_and_filters(client, auth, wool):
    for n in range(5):
        assert (
            _move(
                client, auth, kind="receive", material=WOOL, quantity=n + 1, to="store"
            ).status_code
            == 201
        )
    _move(
        client,
        auth,
        kind="transfer",
        material=WOOL,
        quantity=1,
        **{"from": "store", "to": "artisan:art_khadija"},
    )
    headers = auth.headers("coordinator")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/movements", query_string=query, headers=headers).get_json()
        seen += page["items"]
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == 6 and seen[0]["kind"] == "transfer"
    assert [m["quantity"] for m in seen[1:]] == [5, 4, 3, 2, 1]
    kinds = client.get("/api/v1/movements?kind=transfer", headers=headers).get_json()["items"]
    assert [m["to"] for m in kinds] == ["artisan:art_khadija"]
    placed = client.get(
        "/api/v1/movements", query_string={"place": "artisan:art_khadija"}, headers=headers
    ).get_json()["items"]
    assert len(placed) == 1 and placed[0]["from"] == "store"
    by_material = client.get(
        "/api/v1/movements",
        query_string={"material": "material:coop-taza-zerbia:nothing"},
        headers=headers,
    ).get_json()["items"]
    assert by_material == []
    khadija = client.get("/api/v1/movements", headers=auth.headers("artisan2")).get_json()
    assert [m["kind"] for m in khadija["items"]] == ["transfer"]
    fatima = client.get("/api/v1/movements", headers=auth.headers("artisan")).get_json()
    assert fatima["items"] == []
    _error(client.get("/api/v1/movements?limit=201", headers=headers), 400, "bad_request")


def test_a_count_without_expected_is_filled_with_the_balance(client, auth, wool):
    _move(client, auth, kind="receive", material=WOOL, quantity=2000, to="store")
    counted = _move(client, auth, kind="count", material=WOOL, at="store", counted=1.8, unit="kg")
    assert counted.status_code == 201, counted.get_json()
    assert counted.get_json()["expected"] == 2000 and counted.get_json()["counted"] == 1800
    assert _balances(client, auth) == {(WOOL, "store"): 1800}


def test_a_reversal_undoes_a_movement_once(client, auth, wool):
    received = _move(client, auth, kind="receive", material=WOOL, quantity=900, to="store")
    mid = received.get_json()["id"]
    reversal = _move(client, auth, kind="reversal", reverses=mid, note="wrong sack")
    assert reversal.status_code == 201, reversal.get_json()
    assert reversal.get_json()["id"] == f"reversal:{mid}"
    assert _balances(client, auth) == {(WOOL, "store"): 0}
    got = client.get(f"/api/v1/movements/{mid}", headers=auth.headers("coordinator"))
    assert got.get_json()["reversed"] is True
    before = _balances(client, auth)
    _error(_move(client, auth, kind="reversal", reverses=mid), 409, "already_reversed")
    _error(_move(client, auth, kind="reversal", reverses="movement:nope"), 404, "not_found")
    _error(_move(client, auth, kind="reversal", reverses=f"reversal:{mid}"), 409, "not_reversible")
    assert _balances(client, auth) == before


def test_an_artisan_reverses_only_her_own(client, auth, wool):
    given = _move(
        client,
        auth,
        kind="transfer",
        material=WOOL,
        quantity=500,
        **{"from": "store", "to": "artisan:art_fatima"},
    )
    used = _move(
        client,
        auth,
        "artisan",
        kind="use",
        material=WOOL,
        quantity=100,
        **{"from": "artisan:art_fatima"},
    )
    theirs = _move(client, auth, "artisan", kind="reversal", reverses=given.get_json()["id"])
    _error(theirs, 403, "forbidden")
    mine = _move(client, auth, "artisan", kind="reversal", reverses=used.get_json()["id"])
    assert mine.status_code == 201, mine.get_json()
    assert _balances(client, auth, "artisan") == {(WOOL, "artisan:art_fatima"): 500}


def test_a_coordinators_reversal_reaches_the_artisan_it_concerns(client, auth, wool):
    given = _move(
        client,
        auth,
        kind="transfer",
        material=WOOL,
        quantity=500,
        **{"from": "store", "to": "artisan:art_fatima"},
    ).get_json()
    reversal = _move(client, auth, kind="reversal", reverses=given["id"]).get_json()
    # It restates the places it undoes, so it is in her channel, and in her list.
    assert (reversal["from"], reversal["to"]) == ("store", "artisan:art_fatima")
    hers = client.get(f"/api/v1/movements/{reversal['id']}", headers=auth.headers("artisan"))
    assert hers.status_code == 200, hers.get_json()
    listed = client.get(
        "/api/v1/movements",
        query_string={"place": "artisan:art_fatima"},
        headers=auth.headers("artisan"),
    ).get_json()
    assert [m["id"] for m in listed["items"]] == [reversal["id"], given["id"]]


def test_the_ledger_as_csv(client, auth, wool):
    _move(
        client,
        auth,
        kind="receive",
        material=WOOL,
        quantity=1.25,
        unit="kg",
        to="store",
        cost_centimes=96005,
        supplier="=cmd()",
    )
    mistake = _move(client, auth, kind="receive", material=WOOL, quantity=10, to="store")
    _move(client, auth, kind="reversal", reverses=mistake.get_json()["id"])
    response = client.get("/api/v1/ledger.csv?lang=ar", headers=auth.headers("coordinator"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"ledger-{COOP}-" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(raw.decode("utf-8"))))[0][0] == "\ufeffdate"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [r["kind"] for r in rows] == ["receive", "receive", "reversal"]
    first, second, third = rows
    assert first["material_name"] == "صوف" and first["quantity"] == "1250"
    assert first["quantity_shown"] == "1.25 kg" and first["cost_mad"] == "960.05"
    assert first["supplier"] == "'=cmd()" and first["recorded_by"] == "coo_naima"
    assert first["reversed"] == "no" and second["reversed"] == "yes"
    assert third["reverses"] == second["id"]
    french = client.get("/api/v1/ledger.csv?lang=fr", headers=auth.headers("coordinator"))
    assert "Laine" in french.get_data().decode("utf-8-sig")
    _error(client.get("/api/v1/ledger.csv", headers=auth.headers("artisan")), 403, "forbidden")


@pytest.mark.parametrize(
    "who, body, status, code, field",
    [
        (
            "coordinator",
            {"kind": "receive", "material": WOOL, "quantity": 5, "unit": "lb", "to": "store"},
            400,
            "validation_error",
            "unit",
        ),
        (
            "coordinator",
            {"kind": "receive", "material": WOOL, "quantity": 5, "unit": "l", "to": "store"},
            400,
            "validation_error",
            "unit",
        ),
        (
            "coordinator",
            {"kind": "receive", "material": WOOL, "quantity": 2.5, "to": "store"},
            400,
            "validation_error",
            "quantity",
        ),
        (
            "coordinator",
            {"kind": "receive", "material": WOOL, "quantity": 2.0005, "unit": "kg", "to": "store"},
            400,
            "validation_error",
            "quantity",
        ),
        (
            "coordinator",
            {"kind": "receive", "material": WOOL, "quantity": 10**9 + 1, "to": "store"},
            400,
            "validation_error",
            "quantity",
        ),
        (
            "coordinator",
            {
                "kind": "receive",
                "material": WOOL,
                "quantity": 2_000_000,
                "unit": "kg",
                "to": "store",
            },
            400,
            "validation_error",
            "quantity",
        ),
        (
            "coordinator",
            {"kind": "receive", "material": WOOL, "to": "store"},
            400,
            "validation_error",
            "quantity",
        ),
        (
            "coordinator",
            {
                "kind": "transfer",
                "material": WOOL,
                "quantity": 5,
                "from": "store",
                "to": "artisan:art_zahra",
            },
            403,
            "place_outside_cooperative",
            None,
        ),
        (
            "coordinator",
            {"kind": "receive", "material": ARGAN, "quantity": 5, "to": "store"},
            403,
            "material_of_another_cooperative",
            None,
        ),
        (
            "coordinator",
            {
                "kind": "receive",
                "material": f"material:{COOP}:nothing",
                "quantity": 5,
                "to": "store",
            },
            404,
            "unknown_material",
            None,
        ),
        (
            "coordinator",
            {
                "kind": "receive",
                "cooperative": "coop-essaouira-argan",
                "material": ARGAN,
                "quantity": 5,
                "to": "store",
            },
            403,
            "forbidden",
            None,
        ),
        (
            "artisan",
            {"kind": "receive", "material": WOOL, "quantity": 5, "to": "store"},
            403,
            "forbidden",
            None,
        ),
        (
            "coordinator",
            {"kind": "reversal", "reverses": "movement:unknown"},
            404,
            "not_found",
            None,
        ),
        (
            "coordinator",
            {"kind": "reversal", "reverses": "movement:x", "material": WOOL},
            400,
            "validation_error",
            "material",
        ),
    ],
)
def test_bad_movements_are_refused_and_change_nothing(
    client, auth, wool, who, body, status, code, field
):
    _move(client, auth, kind="receive", material=WOOL, quantity=4000, to="store")
    before = _balances(client, auth)
    error = _error(_move(client, auth, who, **body), status, code)
    assert error["message"]
    if field:
        assert field in error["details"]["fields"], error
    assert _balances(client, auth) == before
    listed = client.get("/api/v1/movements", headers=auth.headers("coordinator")).get_json()
    assert len(listed["items"]) == 1


def test_bad_materials_are_refused(client, auth):
    headers = auth.headers("coordinator")
    for body, field in [
        ({"code": "Wool!", "name": {"fr": "L"}, "unit": "kg"}, "code"),
        ({"code": "wool", "name": {"fr": "L"}, "unit": "lb"}, "unit"),
        ({"code": "wool", "name": {"fr": "L"}, "unit": "kg", "low_stock": 1.5}, "low_stock"),
    ]:
        error = _error(
            client.post("/api/v1/materials", json=body, headers=headers), 400, "validation_error"
        )
        assert field in error["details"]["fields"]
    assert client.get("/api/v1/materials", headers=headers).get_json()["items"] == []

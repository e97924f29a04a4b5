"""A piece's materials cost, the use movements an accepted order proposes, and the lots
a public product names (issue 14): exact figures in centimes, the messages in the
caller's language, and who may ask."""

from __future__ import annotations

from api.web import i18n
from tests.support.orders import approved_product, move, place

DB = "/sync/hirfa"
TAZA, ARGAN = "coop-taza-zerbia", "coop-essaouira-argan"
WOOL, HENNA, SILK = (f"material:{TAZA}:{code}" for code in ("wool", "henna", "silk"))
KERNELS, OIL = f"material:{ARGAN}:kernels", f"material:{ARGAN}:oil"
NNBSP = "\u202f"


def put(client, auth, who: str, doc: dict) -> dict:
    response = client.put(f"{DB}/{doc['_id']}", json=doc, headers=auth.headers(who))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def material(client, auth, material_id: str, name: dict, unit: str, who="coordinator"):
    coop = material_id.split(":")[1]
    put(
        client,
        auth,
        who,
        {"_id": material_id, "type": "material", "cooperative": coop, "name": name, "unit": unit},
    )


def receive(client, auth, movement_id: str, material_id: str, quantity: int, cost: int):
    put(
        client,
        auth,
        "coordinator",
        {
            "_id": movement_id,
            "type": "material_movement",
            "owner": "coo_naima",
            "cooperative": TAZA,
            "kind": "receive",
            "material": material_id,
            "quantity": quantity,
            "to": "store",
            "cost_centimes": cost,
        },
    )


def wool_bought(client, auth) -> None:
    """12 kg of wool for 960 MAD: 8 centimes a gram."""
    material(client, auth, WOOL, {"ar": "صوف", "fr": "Laine", "en": "Wool"}, "kg")
    receive(client, auth, "mv1", WOOL, 12000, 96000)


def cost_of(client, auth, who: str, product_id: str = "product:zerbia"):
    return client.get(f"/api/v1/products/{product_id}/materials-cost", headers=auth.headers(who))


def speak(client, auth, who: str, locale: str) -> None:
    response = client.patch("/api/v1/me", json={"locale": locale}, headers=auth.headers(who))
    assert response.status_code == 200, response.get_json()


# -- the materials cost -------------------------------------------------------------------


def test_the_cost_is_the_bill_at_the_average_purchase_cost(app, client, auth):
    wool_bought(client, auth)
    approved_product(app, bill_of_materials=[{"material": WOOL, "quantity": 9000}])
    response = cost_of(client, auth, "artisan")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["lines"] == [
        {
            "material": WOOL,
            "name": {"ar": "صوف", "fr": "Laine", "en": "Wool"},
            "quantity": 9000,
            "unit": "kg",
            "shown": "9 kg",
            "average_cost_centimes": 8.0,
            "cost_centimes": 72000,
        }
    ]
    assert body["total_centimes"] == 72000 and body["complete"] is True
    assert body["price_centimes"] == 450000 and body["currency"] == "MAD"
    # fatima reads Arabic (her account's locale)
    assert body["message"] == "تكلفة مواد هذه القطعة 720 درهم؛ ثمنك 4500 درهم."
    speak(client, auth, "artisan", "fr")
    assert cost_of(client, auth, "artisan").get_json()["message"] == (
        f"Les matières de cette pièce coûtent 720 MAD ; vous demandez 4{NNBSP}500 MAD."
    )
    speak(client, auth, "artisan", "en")
    assert cost_of(client, auth, "artisan").get_json()["message"] == (
        "The materials of this piece cost 720 MAD; you ask 4,500 MAD."
    )


def test_costs_are_weighted_by_receipts_and_rounded_once_half_to_even(app, client, auth):
    wool_bought(client, auth)
    material(client, auth, HENNA, {"ar": "حناء", "fr": "Henné"}, "g")
    # 1 kg at 10.01 MAD, then 1 kg at 30.03 MAD: 2.002 centimes a gram (not 2.002 in float)
    receive(client, auth, "mv2", HENNA, 1000, 1001)
    receive(client, auth, "mv3", HENNA, 1000, 3003)
    bill = [
        {"material": WOOL, "quantity": 9000},
        {"material": HENNA, "quantity": 250},  # 500.5 centimes
        {"material": HENNA, "quantity": 125},  # 250.25 centimes
    ]
    approved_product(app, bill_of_materials=bill, price_centimes=450050)
    body = cost_of(client, auth, "coordinator").get_json()
    assert [line["cost_centimes"] for line in body["lines"]] == [72000, 500, 250]
    assert [line["shown"] for line in body["lines"]] == ["9 kg", "250 g", "125 g"]
    # 72000 + 500.5 + 250.25 = 72750.75 -> 72751, rounded once (the lines add to 72750)
    assert body["total_centimes"] == 72751 and body["complete"] is True
    speak(client, auth, "coordinator", "fr")
    message = cost_of(client, auth, "coordinator").get_json()["message"]
    assert message == (
        f"Les matières de cette pièce coûtent 727,51 MAD ; vous demandez 4{NNBSP}500,50 MAD."
    )


def test_half_a_centime_rounds_to_even(app, client, auth):
    material(client, auth, HENNA, {"fr": "Henné"}, "g")
    receive(client, auth, "mv2", HENNA, 10, 1)  # 0.1 centime a gram
    approved_product(app, bill_of_materials=[{"material": HENNA, "quantity": 25}])
    assert cost_of(client, auth, "artisan").get_json()["total_centimes"] == 2  # 2.5 -> 2
    approved_product(app, "product:other", bill_of_materials=[{"material": HENNA, "quantity": 35}])
    body = cost_of(client, auth, "artisan", "product:other").get_json()
    assert body["total_centimes"] == 4  # 3.5 -> 4


def test_a_material_never_bought_makes_the_cost_incomplete(app, client, auth):
    wool_bought(client, auth)
    material(client, auth, SILK, {"ar": "حرير", "fr": "Soie"}, "g")
    bill = [{"material": WOOL, "quantity": 9000}, {"material": SILK, "quantity": 200}]
    approved_product(app, bill_of_materials=bill)
    body = cost_of(client, auth, "artisan").get_json()
    assert body["complete"] is False and body["total_centimes"] == 72000
    silk = body["lines"][1]
    assert silk["cost_centimes"] is None and silk["average_cost_centimes"] is None
    assert silk["shown"] == "200 g"
    assert body["message"] == (
        "تكلفة مواد هذه القطعة 720 درهم على الأقل (لا نعرف ثمن شراء: حرير)؛ ثمنك 4500 درهم."
    )
    speak(client, auth, "artisan", "fr")
    assert cost_of(client, auth, "artisan").get_json()["message"] == (
        "Les matières de cette pièce coûtent au moins 720 MAD (prix d'achat inconnu : Soie) ; "
        f"vous demandez 4{NNBSP}500 MAD."
    )


def test_no_bill_or_no_price(app, client, auth):
    approved_product(app)
    body = cost_of(client, auth, "artisan").get_json()
    assert body["lines"] == [] and body["total_centimes"] == 0 and body["complete"] is False
    assert body["message"] == "لم تُسجَّل مواد هذه القطعة بعد."
    wool_bought(client, auth)
    approved_product(
        app,
        "product:unpriced",
        price_centimes=None,
        bill_of_materials=[{"material": WOOL, "quantity": 4500}],
    )
    speak(client, auth, "artisan", "fr")
    body = cost_of(client, auth, "artisan", "product:unpriced").get_json()
    assert body["price_centimes"] is None and body["total_centimes"] == 36000
    assert body["message"] == (
        "Les matières de cette pièce coûtent 360 MAD ; vous n'avez pas encore fixé de prix."
    )


def test_only_her_and_her_coordinators_see_the_cost(app, client, auth):
    wool_bought(client, auth)
    approved_product(app, bill_of_materials=[{"material": WOOL, "quantity": 9000}])
    assert cost_of(client, auth, "artisan").status_code == 200
    assert cost_of(client, auth, "coordinator").status_code == 200
    assert cost_of(client, auth, "admin").status_code == 200
    # another artisan of the cooperative, another cooperative's coordinator: not theirs
    for who in ("artisan2", "coordinator2", "artisan_other_coop"):
        response = cost_of(client, auth, who)
        assert response.status_code == 404, who
        assert response.get_json()["error"]["code"] == "not_found"
    # a buyer sees the public listing, never what it costs to make
    response = cost_of(client, auth, "buyer")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert cost_of(client, auth, "artisan", "product:nothing").status_code == 404


# -- the use movements an accepted order proposes ----------------------------------------


def uses_of(client, auth, who: str, order_id: str):
    return client.get(f"/api/v1/orders/{order_id}/material-uses", headers=auth.headers(who))


def test_accepting_proposes_the_uses_times_the_pieces(app, client, auth):
    wool_bought(client, auth)
    material(client, auth, HENNA, {"ar": "حناء", "fr": "Henné"}, "g")
    bill = [
        {"material": WOOL, "quantity": 4500},
        {"material": HENNA, "quantity": 150},
        {"material": WOOL, "quantity": 4500},  # the same material twice: one movement
    ]
    approved_product(app, bill_of_materials=bill)
    placed = place(client, auth, quantity=2)
    assert placed.status_code == 201, placed.get_json()
    order_id = placed.get_json()["id"]
    hex_id = order_id.removeprefix("order:")
    expected = [
        {
            "movement": {
                "id": f"use:{hex_id}:wool",
                "cooperative": TAZA,
                "kind": "use",
                "material": WOOL,
                "quantity": 18000,
                "from": "artisan:art_fatima",
                "order_id": order_id,
                "product_id": "product:zerbia",
            },
            "name": {"ar": "صوف", "fr": "Laine", "en": "Wool"},
            "unit": "kg",
            "shown": "18 kg",
        },
        {
            "movement": {
                "id": f"use:{hex_id}:henna",
                "cooperative": TAZA,
                "kind": "use",
                "material": HENNA,
                "quantity": 300,
                "from": "artisan:art_fatima",
                "order_id": order_id,
                "product_id": "product:zerbia",
            },
            "name": {"ar": "حناء", "fr": "Henné"},
            "unit": "g",
            "shown": "300 g",
        },
    ]
    for who in ("artisan", "coordinator"):
        response = uses_of(client, auth, who, order_id)
        assert response.status_code == 200, response.get_json()
        assert response.get_json() == {"order_id": order_id, "proposed_material_uses": expected}
    accepted = move(client, auth, "artisan", order_id, "accepted")
    assert accepted.status_code == 200, accepted.get_json()
    body = accepted.get_json()
    assert body["status"] == "accepted" and body["proposed_material_uses"] == expected
    # proposed, not recorded: nothing was used until she confirms
    wool_id, henna_id = (p["movement"]["id"] for p in expected)
    assert client.get(f"{DB}/{wool_id}", headers=auth.headers("admin")).status_code == 404
    # confirmed as proposed: over REST as it is, through /sync with type and owner added
    posted = client.post(
        "/api/v1/movements", json=expected[0]["movement"], headers=auth.headers("artisan")
    )
    assert posted.status_code == 201, posted.get_json()
    assert posted.get_json()["quantity"] == 18000 and posted.get_json()["owner"] == "art_fatima"
    again = client.post(
        "/api/v1/movements", json=expected[0]["movement"], headers=auth.headers("artisan")
    )
    assert again.status_code == 200  # a second confirmation is a retry, not twice the wool
    synced = {k: v for k, v in expected[1]["movement"].items() if k != "id"}
    doc = {**synced, "_id": henna_id, "type": "material_movement", "owner": "art_fatima"}
    put(client, auth, "artisan", doc)
    # other moves carry no proposals
    production = move(client, auth, "artisan", order_id, "in_production")
    assert production.status_code == 200
    assert "proposed_material_uses" not in production.get_json()


def test_the_uses_follow_the_product_as_ordered(app, client, auth):
    wool_bought(client, auth)
    approved_product(app, bill_of_materials=[{"material": WOOL, "quantity": 9000}])
    order_id = place(client, auth).get_json()["id"]
    # the bill changes after the order: the order was for the piece as it was
    rev = client.get("/api/v1/products/product:zerbia", headers=auth.headers("artisan"))
    edited = client.patch(
        "/api/v1/products/product:zerbia",
        json={"bill_of_materials": [{"material": WOOL, "quantity": 1000}]},
        headers={**auth.headers("artisan"), "If-Match": rev.headers["ETag"]},
    )
    assert edited.status_code == 200, edited.get_json()
    [use] = uses_of(client, auth, "artisan", order_id).get_json()["proposed_material_uses"]
    assert use["movement"]["quantity"] == 9000 and use["shown"] == "9 kg"


def test_no_bill_proposes_nothing(app, client, auth):
    approved_product(app)
    order_id = place(client, auth).get_json()["id"]
    assert uses_of(client, auth, "artisan", order_id).get_json()["proposed_material_uses"] == []
    accepted = move(client, auth, "coordinator", order_id, "accepted").get_json()
    assert accepted["proposed_material_uses"] == []


def test_only_her_and_her_coordinators_see_the_uses(app, client, auth):
    wool_bought(client, auth)
    approved_product(app, bill_of_materials=[{"material": WOOL, "quantity": 9000}])
    order_id = place(client, auth).get_json()["id"]
    for who in ("artisan2", "coordinator2", "artisan_other_coop"):
        assert uses_of(client, auth, who, order_id).status_code == 404, who
    # the buyer sees her order, not its materials
    response = uses_of(client, auth, "buyer", order_id)
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


# -- lots on the public product ------------------------------------------------------------


def argan_with_a_batch(app, client, auth) -> None:
    material(client, auth, KERNELS, {"ar": "لوز الأركان", "fr": "Amandons"}, "kg", "coordinator2")
    material(client, auth, OIL, {"ar": "زيت الأركان", "fr": "Huile d'argan"}, "l", "coordinator2")
    approved_product(
        app,
        "product:argan-oil",
        owner="art_zahra",
        cooperative=ARGAN,
        listed_by="art_zahra",
        category="cosmetics",
        title={"ar": "زيت الأركان", "fr": "Huile d'argan"},
        options=[],
        lots=["ARG-2026-10-A", "ARG-2026-11-B"],
    )
    # the catalogue indexed the product before its batch synced
    assert client.get("/api/v1/catalog/product:argan-oil").get_json()["lots"] == []
    put(
        client,
        auth,
        "coordinator2",
        {
            "_id": "batch1",
            "type": "material_movement",
            "owner": "coo_rachid",
            "cooperative": ARGAN,
            "kind": "batch",
            "at": "store",
            "inputs": [{"material": KERNELS, "quantity": 30000}],
            "outputs": [{"material": OIL, "quantity": 1000}],
            "lot": "ARG-2026-10-A",
            "occurred_at": "2026-10-12T09:00:00Z",
        },
    )


def test_the_public_product_shows_its_lots_and_their_dates(app, client, auth):
    argan_with_a_batch(app, client, auth)
    response = client.get("/api/v1/catalog/product:argan-oil")
    assert response.status_code == 200
    # only a lot an active batch produced: ARG-2026-11-B was never made here
    assert response.get_json()["lots"] == [
        {"lot": "ARG-2026-10-A", "produced_at": "2026-10-12T09:00:00Z"}
    ]
    french = client.get("/p/product:argan-oil?lang=fr").get_data(as_text=True)
    assert "Lots de production" in french and "ARG-2026-10-A" in french
    assert "produit le 12 octobre 2026" in french and "ARG-2026-11-B" not in french
    arabic = client.get("/p/product:argan-oil?lang=ar").get_data(as_text=True)
    assert "دفعات الإنتاج" in arabic and "ARG-2026-10-A" in arabic
    assert "أُنتجت في 12 أكتوبر 2026" in arabic
    english = client.get("/p/product:argan-oil?lang=en").get_data(as_text=True)
    assert "Production lots" in english and "produced on 12 October 2026" in english


def test_a_batch_changes_the_cached_page_and_a_reversal_takes_the_lot_off(app, client, auth):
    material(client, auth, KERNELS, {"fr": "Amandons"}, "kg", "coordinator2")
    material(client, auth, OIL, {"fr": "Huile d'argan"}, "l", "coordinator2")
    approved_product(
        app,
        "product:argan-oil",
        owner="art_zahra",
        cooperative=ARGAN,
        category="cosmetics",
        options=[],
        lots=["ARG-2026-10-A"],
    )
    first = client.get("/p/product:argan-oil?lang=fr")
    assert "Lots de production" not in first.get_data(as_text=True)
    tag = first.headers["ETag"]
    batch = {
        "_id": "batch1",
        "type": "material_movement",
        "owner": "coo_rachid",
        "cooperative": ARGAN,
        "kind": "batch",
        "at": "store",
        "inputs": [{"material": KERNELS, "quantity": 30000}],
        "outputs": [{"material": OIL, "quantity": 1000}],
        "lot": "ARG-2026-10-A",
        "occurred_at": "2026-10-12T09:00:00Z",
    }
    put(client, auth, "coordinator2", batch)
    again = client.get("/p/product:argan-oil?lang=fr", headers={"If-None-Match": tag})
    assert again.status_code == 200 and "ARG-2026-10-A" in again.get_data(as_text=True)
    reversal = {
        "_id": "reversal:batch1",
        "type": "material_movement",
        "owner": "coo_rachid",
        "cooperative": ARGAN,
        "kind": "reversal",
        "reverses": "batch1",
    }
    put(client, auth, "coordinator2", reversal)
    after = client.get(
        "/p/product:argan-oil?lang=fr", headers={"If-None-Match": again.headers["ETag"]}
    )
    assert after.status_code == 200 and "ARG-2026-10-A" not in after.get_data(as_text=True)


def test_dates_are_written_out_in_each_language():
    assert i18n.date("2026-05-03T23:30:00Z", "ar") == "3 ماي 2026"
    assert i18n.date("2026-08-01", "fr") == "1 août 2026"
    assert i18n.date(None, "en") == "" and i18n.date("soon", "en") == ""

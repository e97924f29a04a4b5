"""The coordinator's bulk-order and earnings pages: behind the review sign-in, in three
languages, every form a POST with a message, bad input refused with nothing written."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest

from api.services import accounts, order_states, orders
from api.services.bulk import requests
from api.services.ledger.materials import check_for
from api.services.products import now_iso
from seed.bulk import AICHA, HAFSA, add_weavers, populate_bulk, seeded
from tests.support.listings import Reviewer, page

LIST, EARNINGS = "/review/bulk", "/review/earnings"
FAKHAR = "coop-marrakech-fakhar"
LTR = '<bdi dir="ltr">'  # an amount is isolated left-to-right, even in Arabic


@pytest.fixture
def reviewer(client):
    return Reviewer(client)


class Shop:
    """The app's store and demo people, to set a scene as the phones and REST would."""

    def __init__(self, app):
        self.hirfa = app.extensions["hirfa"]
        self.db = self.hirfa.open_db()
        self.store = self.hirfa.store(self.db)
        add_weavers(self.store, self.hirfa.hasher)

    def user(self, user_id):
        return accounts.get_user(self.db, user_id)

    def order(self, bulk_id):
        return requests.get(self.store, self.user("coo_rachid"), bulk_id)

    def request(self, quantity=40):
        due = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
        data = {"cooperative": FAKHAR, "piece": {"fr": "Panier", "ar": "سلة"},
                "quantity": quantity, "due": due, "unit_price_centimes": 18_000,
                "delivery": {"name": "Claire", "phone": "+33600000001", "address": "12 rue",
                             "city": "Lyon", "country": "FR"},
                "message": "<b>Vite</b>"}  # fmt: skip
        return requests.create(self.store, self.user("buy_claire"), data)["id"]

    def offline_part(self, bulk_id, artisan, quantity):
        """A part a coordinator's phone wrote offline: no server bound on what is left."""
        user, stamp = self.user("coo_rachid"), now_iso()
        bulk = self.store.winner_body(bulk_id)
        part = {
            "_id": f"order:{secrets.token_hex(8)}", "type": "order", "bulk_order": bulk_id,
            "buyer": bulk["buyer"], "artisan": artisan, "cooperative": FAKHAR,
            "product_id": "", "product_title": bulk["title"], "stock_mode": None,
            "quantity": quantity, "options": [],
            "unit_price_centimes": bulk["artisan_share_centimes"],
            "total_centimes": bulk["artisan_share_centimes"] * quantity, "currency": "MAD",
            "due": bulk["due"], "status": "placed",
            "history": [order_states.step(user, "placed", stamp)],
            "created_at": stamp, "updated_at": stamp,
        }  # fmt: skip
        self.store.put(part, check=check_for(self.store, user))
        return part["_id"]


@pytest.fixture
def shop(app):
    found = Shop(app)
    yield found
    found.db.close()


def _post(client, path, **data):
    csrf = page(client.get(LIST)).hidden["csrf"]
    response = client.post(path, data={"csrf": csrf, **data})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_pages_need_a_coordinator(app, client, reviewer, shop):
    populate_bulk(shop.store, shop.hirfa.hasher)
    token = seeded(shop.store).removeprefix("bulk:")
    for path in (LIST, f"{LIST}/{token}", EARNINGS):
        asked = client.get(path)
        body = asked.get_data(as_text=True)
        assert asked.status_code == 200 and 'action="/review/sign-in"' in body
        assert page(asked).hidden["back"] == path and "Panier" not in body
    for who in ("artisan", "buyer"):
        assert reviewer.sign_in(who).status_code == 403
        assert 'action="/review/sign-in"' in client.get(LIST).get_data(as_text=True)
    refused = client.post(f"{LIST}/{token}/ship", data={"csrf": "nope"})
    assert refused.status_code == 400
    reviewer.sign_in("coordinator")  # Naïma, of Taza: not this order's cooperative
    assert client.get(f"{LIST}/{token}").status_code == 404
    assert token not in client.get(LIST).get_data(as_text=True)


@pytest.mark.parametrize(
    "lang,words",
    [
        ("ar", ["شُحن جزء منها", "1430.00 درهم", f"تسبيق: {LTR}300.00 درهم", "حفصة الورزازي"]),
        ("fr", ["Expédiée en partie", "1430,00 DH", f"Avance : {LTR}300,00 DH", "Saïda Boukhris"]),
        ("en", ["Partly shipped", "1430.00 MAD", f"Advance: {LTR}300.00 MAD", "Finish not good"]),
    ],
)
def test_the_pages_in_three_languages(client, reviewer, shop, lang, words):
    populate_bulk(shop.store, shop.hirfa.hasher)
    token = seeded(shop.store).removeprefix("bulk:")
    reviewer.sign_in("coordinator2")
    shown = ""
    for path in (LIST, f"{LIST}/{token}", EARNINGS):
        response = client.get(f"{path}?lang={lang}")
        assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
        assert page(response).html_attrs["dir"] == ("rtl" if lang == "ar" else "ltr")
        assert "<script" not in response.get_data(as_text=True)
        shown += response.get_data(as_text=True)
    for word in words:
        assert word in shown, word
    assert f"{EARNINGS}/earnings.csv?cooperative={FAKHAR}" in shown
    assert 'id="bulk-link"' in client.get("/review").get_data(as_text=True)


def test_answer_share_out_check_ship_and_deliver(client, reviewer, shop):
    bulk_id = shop.request()
    here = f"{LIST}/{bulk_id.removeprefix('bulk:')}"
    reviewer.sign_in("coordinator2")
    listed = client.get(f"{LIST}?lang=en").get_data(as_text=True)
    assert "Needing action" in listed and bulk_id.removeprefix("bulk:") in listed
    rev = shop.order(bulk_id)["rev"]
    for share, margin in (("12.345", ""), ("abc", ""), ("", ""), ("100", "20"), ("", "101")):
        body = _post(client, f"{here}/answer?lang=en", to="accepted", rev=rev, share=share,
                     margin=margin)  # fmt: skip
        assert 'class="flash error"' in body
    assert shop.order(bulk_id)["status"] == "requested"
    body = _post(client, f"{here}/answer", to="accepted", rev=rev, share="110,5")
    assert "Order accepted" in body and shop.order(bulk_id)["artisan_share_centimes"] == 11_050
    stale = _post(client, f"{here}/answer", to="cancelled", rev=rev)
    assert "changed meanwhile" in stale and shop.order(bulk_id)["status"] == "accepted"

    for count in ("abc", "0", "-3", "41"):
        body = _post(client, f"{here}/assign", artisan=AICHA, count=count)
        assert 'class="flash error"' in body
    assert "Only 40 pieces are left to assign." in body
    assert "Choose an artisan" in _post(client, f"{here}/assign", artisan="", count="5")
    assert "not of this cooperative" in _post(
        client, f"{here}/assign", artisan="art_fatima", count="5"
    )
    assert shop.order(bulk_id)["parts"] == []
    assert "30 pieces assigned to" in _post(client, f"{here}/assign", artisan=AICHA, count="30")
    _post(client, f"{here}/assign", artisan=HAFSA, count="10")
    aicha, hafsa = shop.order(bulk_id)["parts"]
    body = _post(client, f"{here}/cancel-part", part=hafsa["id"], rev=hafsa["rev"])
    assert "Part cancelled" in body and shop.order(bulk_id)["totals"]["to_assign"] == 10

    assert "Only the pieces of a part" in _post(
        client, f"{here}/check", part=aicha["id"], passed="1", refused="0"
    )
    for status in ("accepted", "in_production"):
        orders.move(shop.store, shop.user(AICHA), aicha["id"], status, None)
    for passed, refused, reason in (("x", "0", ""), ("0", "0", ""), ("5", "2", ""),
                                    ("29", "2", "finish")):  # fmt: skip
        body = _post(client, f"{here}/check", part=aicha["id"], passed=passed,
                     refused=refused, reason=reason)  # fmt: skip
        assert 'class="flash error"' in body
    assert "only 30 pieces left to check" in body and shop.order(bulk_id)["checks"] == []
    body = _post(client, f"{here}/check", part=aicha["id"], passed="28", refused="2",
                 reason="finish", note="Anses")  # fmt: skip
    assert "Check recorded" in body and "28 checked pieces are waiting" in body
    body = _post(client, f"{here}/ship", tracking="CX1")
    assert "Parcel recorded" in body and "No checked pieces" in body
    assert "No checked pieces" in _post(client, f"{here}/ship", tracking="")
    [parcel] = shop.order(bulk_id)["shipments"]
    body = _post(client, f"{here}/deliver", shipment=parcel["id"], rev=parcel["rev"])
    assert "Delivery recorded" in body
    assert "already recorded delivered" in _post(
        client, f"{here}/deliver", shipment=parcel["id"], rev=""
    )
    figures = shop.order(bulk_id)["totals"]
    assert (figures["delivered"], figures["refused"], figures["to_assign"]) == (28, 2, 12)
    earned = shop.db.execute("SELECT SUM(signed_centimes) FROM earning_entries").fetchone()[0]
    assert earned == 28 * 11_050  # the bulk feed ran after the form's request


def test_an_excess_is_said_in_plain_words(client, reviewer, shop):
    bulk_id = shop.request(quantity=10)
    requests.move(shop.store, shop.user("coo_rachid"), bulk_id, "accepted", None, share=9_000)
    shop.offline_part(bulk_id, AICHA, 8)
    shop.offline_part(bulk_id, HAFSA, 6)
    reviewer.sign_in("coordinator2")
    body = client.get(f"{LIST}/{bulk_id.removeprefix('bulk:')}?lang=en").get_data(as_text=True)
    assert "4 pieces more than ordered are assigned: cancel a part still waiting" in body
    assert body.count('class="cancel-part"') == 2
    listed = client.get(f"{LIST}?lang=en").get_data(as_text=True)
    assert "More than ordered" in listed


def test_recording_a_payment(client, reviewer, shop):
    populate_bulk(shop.store, shop.hirfa.hasher)
    reviewer.sign_in("coordinator2")
    count = "SELECT COUNT(*) FROM earning_entries WHERE kind = 'paid'"
    before = shop.db.execute(count).fetchone()[0]
    for amount, method, reference, said in (
        ("12.345", "cash", "", "at most two digits"),
        ("abc", "cash", "", "at most two digits"),
        ("0", "cash", "", "at most two digits"),
        ("50", "mobile_money", "", "needs its reference"),
        ("50", "cheque", "", "Choose how she was paid"),
    ):
        body = _post(client, f"{EARNINGS}/pay?lang=en", cooperative=FAKHAR, artisan=AICHA,
                     amount=amount, method=method, reference=reference)  # fmt: skip
        assert said in body, amount
    body = _post(client, f"{EARNINGS}/pay", cooperative=FAKHAR, artisan="art_fatima",
                 amount="5", method="cash")  # fmt: skip
    assert "not a member of your cooperatives" in body or "not of this cooperative" in body
    assert shop.db.execute(count).fetchone()[0] == before
    body = _post(client, f"{EARNINGS}/pay", cooperative=FAKHAR, artisan=AICHA,
                 amount="430,5", method="transfer", reference="VIR-9")  # fmt: skip
    assert "Payment recorded" in body
    row = shop.db.execute(
        "SELECT signed_centimes FROM earning_entries WHERE kind = 'paid' ORDER BY seq DESC"
    ).fetchone()
    assert row[0] == -43_050
    assert "-0.50 MAD" in client.get(f"{EARNINGS}?lang=en").get_data(as_text=True)


def test_the_earnings_csv_with_the_page_sign_in(client, reviewer, shop):
    populate_bulk(shop.store, shop.hirfa.hasher)
    csv_path = f"{EARNINGS}/earnings.csv"
    assert 'action="/review/sign-in"' in client.get(f"{csv_path}?cooperative={FAKHAR}").text
    reviewer.sign_in("coordinator2")
    found = client.get(f"{csv_path}?cooperative={FAKHAR}&lang=fr")
    assert found.status_code == 200 and found.mimetype == "text/csv"
    assert "attachment" in found.headers["Content-Disposition"] and "MT-2026-0042" in found.text
    assert client.get(f"{csv_path}?cooperative=coop-taza-zerbia").status_code == 403

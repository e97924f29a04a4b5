"""The coordinator's raw-materials page: behind the review sign-in, her cooperatives only,
low stock first, negative balances explained, movements in words, three languages."""

from __future__ import annotations

import html
import re

import pytest

from api.services import accounts
from api.services.directory import artisan_cooperative
from sync.rules.access import make_check
from tests.support.apps import DEMO
from tests.support.listings import Reviewer, page

PAGE = "/review/inventory"
TAZA, ARGAN = "coop-taza-zerbia", "coop-essaouira-argan"
WOOL, HENNA = f"material:{TAZA}:wool", f"material:{TAZA}:henna"
KERNELS = f"material:{ARGAN}:kernels"


class Ledger:
    """Writes materials and movements through the store, as the coordinator's phone would."""

    def __init__(self, app):
        self.app = app

    def put(self, who: str, *docs: dict) -> None:
        hirfa = self.app.extensions["hirfa"]
        db = hirfa.open_db()
        try:
            store = hirfa.store(db)
            user = accounts.get_user(db, who)
            check = make_check(user, lambda a: artisan_cooperative(db, a))
            for doc in docs:
                store.put(doc, check=check)
        finally:
            db.close()

    def material(self, who, doc_id, coop, name, unit="kg", **extra):
        body = {"type": "material", "cooperative": coop, "name": name, "unit": unit}
        self.put(who, {"_id": doc_id, **body, **extra})

    def move(self, who, doc_id, coop, kind, **body):
        doc = {"_id": doc_id, "type": "material_movement", "owner": who, "cooperative": coop}
        self.put(who, {**doc, "kind": kind, **body})


def demo_ledger(app) -> Ledger:
    """Taza's wool runs low in the store, Fatima holds some, Khadija's use of henna
    arrived before its transfer; a mistaken use was reversed. Essaouira has its own."""
    ledger = Ledger(app)
    wool = {"ar": "صوف", "fr": "Laine", "en": "Wool"}
    ledger.material("coo_naima", WOOL, TAZA, wool, low_stock=5000)
    ledger.material(
        "coo_naima", HENNA, TAZA, {"ar": "حناء", "fr": "Henné", "en": "Henna"}, unit="g"
    )
    ledger.move(
        "coo_naima", "mv-1", TAZA, "receive", material=WOOL, quantity=12000, to="store",
        cost_centimes=96000, supplier="Coopérative lainière d'Azrou",
        occurred_at="2026-11-02T09:30:00Z",
    )  # fmt: skip
    ledger.move(
        "coo_naima", "mv-2", TAZA, "transfer", material=WOOL, quantity=8000, **{"from": "store"},
        to="artisan:art_fatima",
    )  # fmt: skip
    ledger.move(
        "coo_naima", "mv-3", TAZA, "use", material=HENNA, quantity=250,
        **{"from": "artisan:art_khadija"},
    )  # fmt: skip
    ledger.move(
        "coo_naima", "mv-4", TAZA, "use", material=WOOL, quantity=1500,
        **{"from": "artisan:art_fatima"}, note="<script>alert(1)</script>",
    )  # fmt: skip
    ledger.move("coo_naima", "reversal:mv-4", TAZA, "reversal", reverses="mv-4")
    ledger.material(
        "coo_rachid", KERNELS, ARGAN, {"ar": "لوز الأركان", "fr": "Amandons d'argan"},
        low_stock=100000,
    )  # fmt: skip
    ledger.move(
        "coo_rachid", "mv-argan", ARGAN, "receive", material=KERNELS, quantity=30000, to="store"
    )
    return ledger


@pytest.fixture
def reviewer(client):
    return Reviewer(client)


def test_the_page_needs_the_coordinator_sign_in_and_returns_to_it(app, client, reviewer):
    demo_ledger(app)
    short = client.get("/inventory?lang=fr")
    assert short.status_code == 302 and short.headers["Location"] == f"{PAGE}?lang=fr"
    asked = client.get(f"{PAGE}?lang=ar")
    form, body = page(asked), asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'action="/review/sign-in"' in body
    assert "صوف" not in body and "مخزون المواد الأولية" in body
    assert form.hidden["back"] == PAGE
    signed = client.post(
        "/review/sign-in",
        data={"csrf": form.hidden["csrf"], "back": PAGE, "phone": "+212600000010",
              "password": "x" * 3},
    )  # fmt: skip
    assert signed.status_code == 401  # a wrong password: the same form, still going back
    assert page(signed).hidden["back"] == PAGE
    signed = reviewer.sign_in("coordinator")
    assert signed.headers["Location"] == "/review"  # without back: the queue, as before
    assert "صوف" in client.get(PAGE).get_data(as_text=True)


def test_sign_in_goes_back_to_the_inventory_and_nowhere_else(client, reviewer):
    phone, secret = DEMO["coordinator"]
    for back, landing in [(PAGE, PAGE), ("https://evil.example/", "/review"), ("", "/review")]:
        client.delete_cookie("hirfa_access", path="/review")
        signed = client.post(
            "/review/sign-in",
            data={"csrf": reviewer.csrf(), "back": back, "phone": phone, **secret},
        )
        assert signed.status_code == 303 and signed.headers["Location"] == landing


def test_a_coordinator_sees_her_cooperative_only(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator")
    response = client.get(f"{PAGE}?lang=en")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    assert 'data-place="store"' in body and 'data-place="artisan:art_fatima"' in body
    assert "فاطمة أيت علي" in body and "خديجة بنعلي" in body  # names, not user ids
    fatima = section(body, "artisan:art_fatima")
    assert "Wool" in fatima and '<bdi dir="ltr">8</bdi>\u00a0kg' in fatima
    assert KERNELS not in body and "Amandons" not in body and "mv-argan" not in body
    assert f"/review/inventory/ledger.csv?cooperative={TAZA}" in body
    theirs = client.get(f"{PAGE}?cooperative={ARGAN}&lang=en")
    assert theirs.status_code == 403 and "Amandons" not in theirs.get_data(as_text=True)


def test_a_coordinator_of_several_cooperatives_chooses_one(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator2")
    first = client.get(f"{PAGE}?lang=fr").get_data(as_text=True)
    assert f'<option value="{ARGAN}" selected>' in first
    assert '<option value="coop-marrakech-fakhar">' in first
    assert "Amandons d&#39;argan" in first and "Laine" not in first
    other = client.get(f"{PAGE}?cooperative=coop-marrakech-fakhar&lang=fr")
    assert other.status_code == 200 and "Amandons" not in other.get_data(as_text=True)
    assert client.get(f"{PAGE}?cooperative={TAZA}").status_code == 403


def test_low_stock_comes_first_and_is_marked(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator")
    body = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    low = re.search(r'<section class="low" id="low".*?</section>', body, re.S).group(0)
    assert f'data-material="{WOOL}"' in low and HENNA not in low
    assert "Running low" in low and '<span class="badge low">low</span>' in low
    # 12 kg in, 8 kg out: 4 kg left, under the 5 kg threshold
    assert '<bdi dir="ltr">4</bdi>\u00a0kg left in the store' in low
    assert '<bdi dir="ltr">5</bdi>\u00a0kg' in low
    assert body.index('id="low"') < body.index('data-place="store"')
    store = section(body, "store")
    assert f'<tr data-material="{WOOL}" class="low">' in store


def test_a_negative_balance_is_flagged_and_explained(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator")
    body = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    khadija = section(body, "artisan:art_khadija")
    assert f'<tr data-material="{HENNA}" class="negative">' in khadija
    assert '<bdi dir="ltr">-250</bdi>\u00a0g' in khadija and "below zero" in khadija
    assert 'id="negative-note"' in body
    assert "a use was recorded before the transfer that brought the material synced" in body


def test_movements_in_words_reversed_struck_and_escaped(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator")
    body = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    moves = movements(body)
    assert list(moves) == ["reversal:mv-4", "mv-4", "mv-3", "mv-2", "mv-1"]  # newest first
    assert text(moves["mv-2"]).startswith("Wool: فاطمة أيت علي received 8 kg from the store")
    assert text(moves["mv-1"]).startswith(
        "Wool: The store received 12 kg from Coopérative lainière d'Azrou"
    )
    assert "2026-11-02 09:30" in moves["mv-1"] and "recorded by" in moves["mv-1"]
    assert "960" in moves["mv-1"]  # the cost, in dirhams
    assert "<del>" in moves["mv-4"] and 'class="use reversed"' in moves["mv-4"]
    assert "cancelled" in moves["mv-4"] and "<del>" not in moves["mv-3"]
    assert "Correction: an earlier movement was cancelled" in text(moves["reversal:mv-4"])
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_more_movements_follow_the_cursor(app, client, reviewer):
    ledger = demo_ledger(app)
    for i in range(32):
        ledger.move(
            "coo_naima", f"bulk-{i:02d}", TAZA, "use", material=HENNA, quantity=1,
            **{"from": "store"},
        )  # fmt: skip
    reviewer.sign_in("coordinator")
    first = client.get(f"{PAGE}?lang=en").get_data(as_text=True)
    shown = list(movements(first))
    assert len(shown) == 30 and shown[0] == "bulk-31"
    older = re.search(r'<a href="([^"]+)#movements" rel="next"', first).group(1)
    older = older.replace("&amp;", "&")
    assert older.startswith(f"{PAGE}?cooperative={TAZA}&before=")
    rest = client.get(older + "&lang=en").get_data(as_text=True)
    assert list(movements(rest)) == [
        "bulk-01", "bulk-00", "reversal:mv-4", "mv-4", "mv-3", "mv-2", "mv-1",
    ]  # fmt: skip
    assert 'rel="next"' not in rest and "Latest movements</a>" in rest
    assert client.get(f"{PAGE}?before=%C2%B2").status_code == 200  # not a number: page one


def test_arabic_page_is_right_to_left_with_arabic_names(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator")
    body = client.get(f"{PAGE}?lang=ar").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in body
    assert "مخزون المواد الأولية" in body and "صوف" in body and "حناء" in body
    assert '<bdi dir="ltr">4</bdi>\u00a0كغ' in body
    assert "استلمت <bdi>فاطمة أيت علي</bdi>" in body  # the movement, in Arabic words
    assert "تعاونية" in body  # her cooperative's Arabic name


def test_french_page_in_french_words(app, client, reviewer):
    demo_ledger(app)
    reviewer.sign_in("coordinator")
    body = client.get(f"{PAGE}?lang=fr").get_data(as_text=True)
    assert '<html lang="fr" dir="ltr">' in body
    for words in ("Stock des matières premières", "Matières bientôt épuisées", "Le magasin",
                  "Laine", "sous zéro", "a reçu", "du magasin", "annulé"):  # fmt: skip
        assert words in body, words
    assert '<bdi dir="ltr">0,25</bdi>' not in body  # henna is counted in g: no decimals
    assert '<bdi dir="ltr">-250</bdi>\u00a0g' in body


def test_artisans_and_buyers_cannot_open_it(app, client, auth, reviewer):
    demo_ledger(app)
    for who in ("artisan", "buyer"):
        refused = reviewer.sign_in(who)  # the form itself refuses them
        assert refused.status_code == 403 and "hirfa_access" not in str(refused.headers)
        # and a token of theirs in the cookie does not open the page either
        client.set_cookie("hirfa_access", auth.token(who), path="/review")
        response = client.get(f"{PAGE}?lang=en")
        body = response.get_data(as_text=True)
        assert response.status_code == 403 and "cooperative coordinators" in body
        assert "Wool" not in body and "فاطمة" not in body
        client.delete_cookie("hirfa_access", path="/review")


def section(body: str, place: str) -> str:
    found = re.search(rf'<section class="place" data-place="{re.escape(place)}">.*?</section>',
                      body, re.S)  # fmt: skip
    assert found, place
    return found.group(0)


def movements(body: str) -> dict[str, str]:
    """Each movement's list item by id, in the page's order."""
    found = re.finditer(r'<li data-id="([^"]+)".*?</li>', body, re.S)
    return {m.group(1): m.group(0) for m in found}


def text(markup: str) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", "", markup)).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", plain).strip()


def test_the_ledger_downloads_from_the_page_with_its_sign_in(app, client, reviewer):
    demo_ledger(app)
    csv_url = f"{PAGE}/ledger.csv?cooperative={TAZA}&lang=ar"
    assert "text/csv" not in client.get(csv_url).headers["Content-Type"]  # the sign-in form
    reviewer.sign_in("coordinator")
    response = client.get(csv_url)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith("\ufeff".encode()) and "صوف".encode() in data
    theirs = client.get(f"{PAGE}/ledger.csv?cooperative={ARGAN}")
    assert theirs.status_code == 403 and b"Amandons" not in theirs.get_data()

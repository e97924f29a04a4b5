"""Ordering on the web: the buyer's cookie session under /buy, the order form, her orders.

Every refused form is checked twice: the answer says what to fix, and nothing is stored.
"""

from __future__ import annotations

import re

import requests

from api.services import accounts
from tests.support.apps import DEMO
from tests.support.listings import Page, page
from tests.support.orders import DELIVERY, approved_product, place, rows
from tests.support.pouch_device import PouchDevice

PID = "product:zerbia"
FORM = f"/buy/p/{PID}"


def set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def hidden(client, path: str) -> dict[str, str]:
    return page(client.get(path)).hidden


def sign_in(client, who: str = "buyer", back: str | None = None):
    phone, secret = DEMO[who]
    form = {"csrf": hidden(client, "/buy/register")["csrf"], "phone": phone, **secret}
    if back:
        form["back"] = back
    return client.post("/buy/sign-in", data=form)


def order_form(**changes) -> dict:
    form = {
        "opt_colour": "indigo",
        "quantity": "2",
        **{f"d_{k}": v for k, v in DELIVERY.items()},
        "message": "Pour un cadeau <b>merci</b>",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def submit(client, path: str = FORM, **changes):
    """The order form as the page rendered it (its csrf and idempotency key), sent."""
    kept = hidden(client, path)
    return client.post(path, data={**kept, **order_form(**changes)})


def order_count(app) -> int:
    return rows(app, "SELECT count(*) FROM outbox WHERE kind = 'order_placed'")[0][0]


def orders_of(client, auth, who="artisan") -> list[dict]:
    got = client.get("/api/v1/orders", headers=auth.headers(who))
    assert got.status_code == 200, got.get_json()
    return got.get_json()["items"]


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the session ----------------------------------------------------------------------


def test_sign_in_sets_cookies_scoped_to_buy_and_returns_to_the_form(app, client):
    approved_product(app)
    signed_out = client.get(FORM)
    assert signed_out.status_code == 200 and 'action="/buy/sign-in"' in text(signed_out)
    assert page(signed_out).hidden["back"] == FORM
    assert f"/buy/register?back={FORM.replace(':', '%3A').replace('/', '%2F')}" in text(signed_out)
    signed = sign_in(client, back=FORM)
    assert signed.status_code == 303 and signed.headers["Location"] == FORM
    cookies = set_cookies(signed)
    for name in ("hirfa_access", "hirfa_refresh", "hirfa_device"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Path=/buy" in cookies[name]
    form = client.get(FORM)
    assert form.status_code == 200 and "no-store" in form.headers["Cache-Control"]
    assert 'name="opt_colour"' in text(form)
    # The cookies are /buy's: the review page does not see a session.
    assert 'action="/review/sign-in"' in text(client.get("/review"))


def test_a_forged_back_address_is_ignored(client):
    signed = sign_in(client, back="https://evil.example/buy")
    assert signed.headers["Location"] == "/buy"
    assert sign_in(client, back="/buy/p/x/../../review").headers["Location"] == "/buy"


def test_a_coordinator_is_refused_and_her_session_ended(app, client):
    refused = sign_in(client, "coordinator")
    assert refused.status_code == 403 and "hirfa_access" not in set_cookies(refused)
    open_sessions = rows(
        app,
        "SELECT count(*) FROM refresh_tokens r JOIN users u ON u.id = r.user_id "
        "WHERE u.phone = '+212600000010' AND r.revoked_at IS NULL",
    )[0][0]
    assert open_sessions == 0


def test_wrong_password_gets_the_sign_in_form_again(client):
    csrf = hidden(client, "/buy/sign-in")["csrf"]
    wrong = client.post(
        "/buy/sign-in?lang=fr", data={"csrf": csrf, "phone": DEMO["buyer"][0], "password": "nope"}
    )
    assert wrong.status_code == 401 and "incorrect" in text(wrong)
    assert client.post("/buy/sign-in", data={"phone": DEMO["buyer"][0]}).status_code == 400


def test_sign_out_needs_the_csrf_token_and_ends_the_session(client):
    sign_in(client)
    assert client.post("/buy/sign-out", data={}).status_code == 400
    assert "sign-out" in text(client.get("/buy/orders"))  # still in
    out = client.post("/buy/sign-out", data={"csrf": hidden(client, "/buy/orders")["csrf"]})
    assert out.status_code == 303
    assert 'action="/buy/sign-in"' in text(client.get("/buy/orders"))


# --- registering ----------------------------------------------------------------------


def test_register_keeps_what_was_typed_and_says_what_to_fix(app, client):
    approved_product(app)
    csrf = hidden(client, "/buy/register")["csrf"]
    sent = {"csrf": csrf, "phone": "12", "password": "short", "display_name": "", "back": FORM}
    refused = client.post("/buy/register?lang=fr", data={**sent, "locale": "fr"})
    body = text(refused)
    assert refused.status_code == 400
    assert "Numéro invalide" in body and "Mot de passe trop court" in body
    assert "Ce champ est obligatoire" in body and 'value="12"' in body
    assert 'aria-invalid="true"' in body and 'value="fr" lang="fr" selected' in body
    taken = client.post(
        "/buy/register?lang=en",
        data={**sent, "phone": DEMO["buyer"][0], "password": "long-enough", "display_name": "X"},
    )
    assert taken.status_code == 409 and "already has this number" in text(taken)
    assert rows(app, "SELECT count(*) FROM users WHERE role = 'buyer'")[0][0] == 1  # the seed's

    made = client.post(
        "/buy/register",
        data={
            **sent,
            "phone": "0611223344",
            "password": "argan-oil-2026",
            "display_name": "Amina <i>",
            "locale": "fr",
        },
    )
    assert made.status_code == 303 and made.headers["Location"] == FORM
    assert "Path=/buy" in set_cookies(made)["hirfa_access"]
    assert "lang=fr" in set_cookies(made)["lang"]
    form = text(client.get(FORM))
    assert "Amina &lt;i&gt;" in form and "Passer la commande" in form
    # The same account rules as POST /api/v1/buyers: that number is now taken there too.
    again = client.post(
        "/api/v1/buyers",
        json={"phone": "+212611223344", "password": "argan-oil-2026", "display_name": "A"},
    )
    assert again.status_code == 409


# --- ordering -------------------------------------------------------------------------


def test_an_order_from_the_form_is_priced_by_the_server_and_placed_once(app, client, auth):
    approved_product(app)
    sign_in(client)
    form = text(client.get(f"{FORM}?lang=fr"))
    assert 'type="radio" name="opt_colour" value="indigo"' in form
    assert re.search(r'class="delta">\+50\xa0DH<', form)  # the choice's price difference
    kept = hidden(client, FORM)
    first = client.post(FORM, data={**kept, **order_form()})
    again = client.post(FORM, data={**kept, **order_form()})  # a double click
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    (order,) = orders_of(client, auth)
    assert first.headers["Location"] == f"/buy/orders/{order['id']}"
    assert (order["unit_price_centimes"], order["total_centimes"]) == (455000, 910000)
    indigo = {"code": "colour", "choice": "indigo", "price_delta_centimes": 5000}
    assert order["options"] == [indigo]
    assert order["delivery"] == DELIVERY and order["status"] == "placed"
    assert order["message"] == "Pour un cadeau <b>merci</b>"
    shown = client.get(first.headers["Location"] + "?lang=fr")
    body = text(shown)
    assert shown.status_code == 200 and 'data-status="placed"' in body
    assert "9 100" in body.replace("\u202f", " ") and "Indigo" in body
    assert "Pour un cadeau &lt;b&gt;merci&lt;/b&gt;" in body  # escaped
    assert "Votre commande est arrivée" in body
    # A fresh form is a fresh order.
    assert submit(client, quantity="1").status_code == 303
    assert len(orders_of(client, auth)) == 2
    assert order_count(app) == 2  # each woke the artisan's phone, once


def test_refused_orders_say_what_to_fix_and_store_nothing(app, client, auth):
    approved_product(app)
    approved_product(app, "product:waiting", status="submitted")
    sign_in(client)
    assert client.get("/buy/p/product:waiting").status_code == 404
    assert client.get("/buy/p/product:nothing").status_code == 404

    no_choice = submit(client, opt_colour=None)
    assert no_choice.status_code == 400
    unknown = submit(client, FORM + "?lang=en", opt_colour="purple")
    assert unknown.status_code == 400 and 'id="opt_colour-error"' in text(unknown)
    assert "Please choose one." in text(unknown)
    no_option = submit(client, opt_size="xl")
    assert no_option.status_code == 400 and 'id="form-error"' in text(no_option)

    too_many = submit(client, FORM + "?lang=fr", quantity="4")
    body = text(too_many)
    assert too_many.status_code == 400 and "Il n’en reste que 3 en stock." in body
    assert 'value="Claire Martin"' in body and 'value="indigo" checked' in body  # kept
    zero = submit(client, quantity="0")
    assert zero.status_code == 400 and 'id="quantity-error"' in text(zero)

    blank = submit(client, FORM + "?lang=ar", d_address="", d_phone="abc", d_country="France")
    body = text(blank)
    assert blank.status_code == 400
    assert "هذا الحقل مطلوب." in body and "رقم هاتف غير صالح" in body and "رمز البلد" in body
    assert 'value="abc"' in body and "Lyon" in body

    kept = hidden(client, FORM)
    assert client.post(FORM, data={**order_form(), "key": kept["key"]}).status_code == 400
    forged = {**order_form(), "key": kept["key"], "csrf": "guessed"}
    assert client.post(FORM, data=forged).status_code == 400
    no_key = client.post(FORM, data={**order_form(), "csrf": kept["csrf"]})
    assert no_key.status_code == 400

    not_approved = client.post(
        "/buy/p/product:waiting", data={**hidden(client, FORM), **order_form()}
    )
    assert not_approved.status_code == 409

    assert orders_of(client, auth) == [] and order_count(app) == 0  # nothing stored


def test_stock_gone_between_form_and_order_is_a_conflict(app, client, auth):
    approved_product(app)
    sign_in(client)
    kept = hidden(client, FORM)
    with app.app_context():  # sold elsewhere meanwhile
        store = app.extensions["hirfa"].store()
        doc = store.get_doc(PID)
        store.put({**doc, "stock": {"mode": "in_stock", "quantity": 1}})
    answer = client.post(FORM + "?lang=en", data={**kept, **order_form(quantity="2")})
    assert answer.status_code == 400 and "Only 1 left in stock." in text(answer)
    assert orders_of(client, auth) == []


# --- her orders -----------------------------------------------------------------------


def test_her_orders_the_progress_and_cancelling(app, client, auth):
    approved_product(app)
    sign_in(client)
    assert "no-orders" in text(client.get("/buy/orders"))
    path = submit(client).headers["Location"]
    order_id = path.rsplit("/", 1)[1]
    listing = text(client.get("/buy/orders?lang=fr"))
    assert f'href="{path}"' in listing and "Commandée" in listing

    detail = text(client.get(path + "?lang=en"))
    steps = re.findall(r'<li class="(\w+)[^"]*" data-status="(\w+)"', detail)
    assert steps == [
        ("done", "placed"),
        ("todo", "accepted"),
        ("todo", "ready"),
        ("todo", "shipped"),
        ("todo", "delivered"),
    ]
    assert 'id="cancel"' in detail

    cancel = f"{path}/cancel"
    assert client.post(cancel, data={}).status_code == 400
    assert orders_of(client, auth)[0]["status"] == "placed"
    done = client.post(cancel, data={"csrf": hidden(client, path)["csrf"]})
    assert done.status_code == 303 and done.headers["Location"] == path
    after = text(client.get(path + "?lang=en"))
    assert "Order cancelled." in after and 'data-status="cancelled"' in after
    assert 'id="cancel"' not in after
    rest = client.get(f"/api/v1/orders/{order_id}", headers=auth.headers("buyer"))
    assert rest.get_json()["status"] == "cancelled"
    assert [s["status"] for s in rest.get_json()["history"]] == ["placed", "cancelled"]
    again = client.post(cancel, data={"csrf": hidden(client, path)["csrf"]})
    assert again.status_code == 303
    assert "can no longer be cancelled" in text(client.get(path + "?lang=en"))


def test_another_buyers_order_is_not_found(app, client, auth):
    approved_product(app)
    placed = place(client, auth).get_json()  # the demo buyer's, over REST
    with app.app_context():
        hirfa = app.extensions["hirfa"]
        db = hirfa.open_db()
        try:
            accounts.create_user(
                db,
                hirfa.hasher,
                role="buyer",
                phone="+33600000099",
                display_name="Other",
                secret="other-password",
                secret_kind="password",
            )
        finally:
            db.close()
    csrf = hidden(client, "/buy/sign-in")["csrf"]
    client.post(
        "/buy/sign-in", data={"csrf": csrf, "phone": "+33600000099", "password": "other-password"}
    )
    path = f"/buy/orders/{placed['id']}"
    seen = client.get(path)
    assert seen.status_code == 404 and "Claire" not in text(seen)
    assert placed["id"] not in text(client.get("/buy/orders"))
    cancel = client.post(f"{path}/cancel", data={"csrf": hidden(client, "/buy/orders")["csrf"]})
    assert cancel.status_code == 404
    mine = client.get(f"/api/v1/orders/{placed['id']}", headers=auth.headers("buyer"))
    assert mine.get_json()["status"] == "placed"


def test_pages_are_small_and_escape_what_people_typed(app, client):
    approved_product(app, title={"fr": "<script>alert(1)</script>"})
    sign_in(client)
    form = client.get(FORM + "?lang=fr")
    assert len(form.get_data()) < 60_000
    assert "<script>alert" not in text(form) and "&lt;script&gt;" in text(form)
    path = submit(client).headers["Location"]
    for url in (path, "/buy/orders"):
        shown = client.get(url + "?lang=ar")
        assert len(shown.get_data()) < 60_000 and "<script>alert" not in text(shown)
        assert page(shown).html_attrs == {"lang": "ar", "dir": "rtl"}


# --- the artisan's phone --------------------------------------------------------------


def test_a_web_order_reaches_the_artisans_pouchdb_phone(live_server, tmp_path):
    app = live_server.app
    approved_product(app)
    web = requests.Session()
    url = live_server.url

    def csrf_of(path: str) -> dict[str, str]:
        return Page(web.get(url + path, timeout=10).text).hidden

    phone, secret = DEMO["buyer"]
    signed = web.post(
        f"{url}/buy/sign-in",
        data={**csrf_of("/buy/sign-in"), "phone": phone, **secret},
        timeout=30,
    )
    assert signed.status_code == 200 and signed.url == f"{url}/buy/orders"
    placed = web.post(f"{url}{FORM}", data={**csrf_of(FORM), **order_form()}, timeout=30)
    assert placed.status_code == 200
    order_id = placed.url.rsplit("/", 1)[1]
    assert order_id.startswith("order:")

    device = PouchDevice(tmp_path / "fatima-phone")
    pulled = device.result(
        {
            "op": "replicate",
            "direction": "pull",
            "url": live_server.sync_url(),
            "headers": live_server.headers("artisan"),
        }
    )
    assert pulled["ok"], pulled
    doc = device.result({"op": "get", "id": order_id, "conflicts": True})["doc"]
    assert doc["status"] == "placed" and doc["total_centimes"] == 910000
    assert doc["artisan"] == "art_fatima" and doc["delivery"]["city"] == "Lyon"
    pushes = rows(
        app,
        "SELECT user_id, priority FROM outbox WHERE kind = 'order_placed' AND data LIKE ?",
        [f"%{order_id}%"],
    )
    assert pushes == [("art_fatima", "high")]

"""The coordinator's review page: cookies, CSRF, roles, decisions and token refresh."""

from __future__ import annotations

import time

import pytest

from api.services import accounts, tokens
from tests.support.listings import Listings, Reviewer, page
from tests.support.sign_in import Clock, Device, guess_until_locked


@pytest.fixture
def listings(app, client):
    return Listings(app, client)


@pytest.fixture
def reviewer(client):
    return Reviewer(client)


def set_cookies(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_sign_in_sets_httponly_lax_cookies_and_shows_the_queue(client, listings, reviewer):
    photo, sha = listings.photo()
    pid = listings.product(title={"ar": "زربية للمراجعة"}, photos=[photo])
    signed = reviewer.sign_in("coordinator")
    assert signed.status_code == 303 and signed.headers["Location"] == "/review"
    cookies = set_cookies(signed)
    for name in ("hirfa_access", "hirfa_refresh"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Path=/review" in cookies[name]
    queue = client.get("/review")
    body = queue.get_data(as_text=True)
    assert queue.status_code == 200 and "no-store" in queue.headers["Cache-Control"]
    assert f'data-id="{pid}"' in body and "زربية للمراجعة" in body
    assert f"/media/{sha}/thumb" in body  # the thumbnail
    assert "فاطمة أيت علي" in body  # whose it is
    for label in ("الصورة غير واضحة", "الصورة مظلمة جدًا", "السعر غير موجود", "سبب آخر"):
        assert label in body
    french = client.get("/review?lang=fr").get_data(as_text=True)
    assert "Photo floue" in french and "Mauvaise catégorie" in french


def test_approve_from_the_page_moves_the_product(client, listings, reviewer):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    decided = reviewer.decide(pid, "approve", reasons=["photo_blurry"])
    assert decided.status_code == 303
    assert listings.status(pid) == "approved"
    after = client.get("/review?lang=en").get_data(as_text=True)
    assert "Product approved." in after and f'data-id="{pid}"' not in after
    review = client.get(f"/api/v1/reviews/{pid}", headers=listings.auth.headers("artisan"))
    assert review.get_json()["reason_codes"] == []  # a ticked box only counts for changes
    assert client.get(f"/p/{pid}").status_code == 200


def test_request_changes_needs_a_reason_and_carries_the_comment(client, listings, reviewer):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    reviewer.decide(pid, "request_changes")
    assert listings.status(pid) == "submitted"
    assert "Cochez au moins une raison" in client.get("/review?lang=fr").get_data(as_text=True)
    reviewer.decide(pid, "request_changes", ["photo_too_dark", "price_missing"], "Plus de lumière")
    assert listings.status(pid) == "changes_requested"
    review = client.get(f"/api/v1/reviews/{pid}", headers=listings.auth.headers("artisan"))
    assert review.get_json()["reason_codes"] == ["photo_too_dark", "price_missing"]
    assert review.get_json()["comment"] == "Plus de lumière"
    again = reviewer.decide(pid, "reject")  # no longer submitted: 409 in the API
    assert again.status_code == 303 and listings.status(pid) == "changes_requested"
    flash = client.get("/review?lang=fr").get_data(as_text=True)
    assert 'class="flash error"' in flash and "plus en attente de revue" in flash


def test_a_decision_without_the_csrf_token_is_refused(client, listings, reviewer):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    form = {"product_id": pid, "decision": "reject"}
    assert client.post("/review/decide", data=form).status_code == 400
    wrong = client.post("/review/decide", data={**form, "csrf": "guessed"})
    assert wrong.status_code == 400
    assert listings.status(pid) == "submitted"  # nothing decided
    assert client.post("/review/sign-out", data={}).status_code == 400
    assert f'data-id="{pid}"' in client.get("/review").get_data(as_text=True)  # still in


def test_sign_in_without_the_csrf_token_is_refused(client):
    phone = "+212600000010"
    refused = client.post("/review/sign-in", data={"phone": phone, "password": "x"})
    assert refused.status_code == 400
    assert "hirfa_access" not in set_cookies(refused)


def test_an_artisan_signing_in_is_refused_and_her_session_ended(app, client, reviewer):
    refused = reviewer.sign_in("artisan")
    assert refused.status_code == 403
    assert "hirfa_access" not in set_cookies(refused)
    assert "هذه الصفحة خاصة بمنسقات التعاونيات" in refused.get_data(as_text=True)
    db = app.extensions["hirfa"].open_db()
    try:
        open_sessions = db.execute(
            "SELECT count(*) FROM refresh_tokens WHERE user_id = 'art_fatima' "
            "AND revoked_at IS NULL"
        ).fetchone()[0]
    finally:
        db.close()
    assert open_sessions == 0
    assert page(client.get("/review")).hidden.keys() == {"csrf"}  # the sign-in form again


def test_wrong_password_and_unknown_phone_get_the_same_answer(client, reviewer):
    wrong = reviewer.sign_in("coordinator", secret="not-the-password")
    unknown = client.post(
        "/review/sign-in",
        data={"csrf": reviewer.csrf(), "phone": "not a phone", "password": "x"},
    )
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "رقم الهاتف أو كلمة السر غير صحيح" in response.get_data(as_text=True)
        assert "hirfa_access" not in set_cookies(response)


def test_an_expired_access_cookie_is_refreshed_on_the_server(app, client, listings, reviewer):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    old_refresh = client.get_cookie("hirfa_refresh", path="/review").value
    hirfa = app.extensions["hirfa"]
    with app.app_context():
        user = accounts.get_user(hirfa.db(), "coo_naima")
    expired = tokens.issue_access_token(hirfa.settings, user, now=time.time() - 3600)
    client.set_cookie("hirfa_access", expired, path="/review")
    refreshed = client.get("/review")
    assert refreshed.status_code == 200 and f'data-id="{pid}"' in refreshed.get_data(as_text=True)
    cookies = set_cookies(refreshed)
    assert "hirfa_access" in cookies and "hirfa_refresh" in cookies
    new_refresh = client.get_cookie("hirfa_refresh", path="/review").value
    assert new_refresh != old_refresh  # rotated, as POST /auth/refresh would
    # A broken refresh cookie signs the browser out instead of failing.
    client.set_cookie("hirfa_access", "garbage", path="/review")
    client.set_cookie("hirfa_refresh", "garbage.garbage", path="/review")
    out = client.get("/review")
    assert out.status_code == 200 and 'name="password"' in out.get_data(as_text=True)
    assert client.get_cookie("hirfa_access", path="/review") is None


def test_sign_out_ends_the_session(app, client, reviewer):
    reviewer.sign_in("coordinator")
    refresh = client.get_cookie("hirfa_refresh", path="/review").value
    out = client.post("/review/sign-out", data={"csrf": reviewer.csrf()})
    assert out.status_code == 303
    assert client.get_cookie("hirfa_access", path="/review") is None
    assert 'name="password"' in client.get("/review").get_data(as_text=True)
    replayed = client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    assert replayed.status_code == 401  # the server ended it, not only the browser


def test_a_coordinator_cannot_decide_for_another_cooperative(client, listings, reviewer):
    pid = listings.product("artisan_other_coop", title={"fr": "Huile"}, category="argan")
    reviewer.sign_in("coordinator")
    assert f'data-id="{pid}"' not in client.get("/review").get_data(as_text=True)
    reviewer.decide(pid, "approve")
    assert listings.status(pid, "artisan_other_coop") == "submitted"
    assert "لا يمكنك مراجعة هذا المنتج" in client.get("/review").get_data(as_text=True)


def test_the_queue_pages_oldest_first(client, listings, reviewer):
    made = [listings.product(title={"fr": f"Tapis {n}"}) for n in range(12)]
    reviewer.sign_in("coordinator")
    first = client.get("/review")
    body = first.get_data(as_text=True)
    shown = [pid for pid in made if f'data-id="{pid}"' in body]
    assert shown == made[:10]
    assert body.index(made[0]) < body.index(made[9])  # waiting longest comes first
    next_url = [h for h in page(first).links if "offset=10" in h]
    assert len(next_url) == 1
    rest = client.get(next_url[0]).get_data(as_text=True)
    assert [pid for pid in made if f'data-id="{pid}"' in rest] == made[10:]


@pytest.mark.parametrize("offset", ["²", "99999999999999999999", "-1", "abc"])
def test_an_odd_offset_shows_the_first_page(client, listings, reviewer, offset):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    response = client.get("/review", query_string={"offset": offset})
    assert response.status_code == 200
    assert f'data-id="{pid}"' in response.get_data(as_text=True)


def test_a_decision_on_a_revision_since_replaced_is_refused(client, listings, reviewer):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    shown = page(client.get("/review")).hidden
    assert shown["product_rev"].startswith("1-")
    headers = listings.auth.headers("artisan")
    current = client.get(f"/api/v1/products/{pid}", headers=headers).get_json()
    edited = client.patch(
        f"/api/v1/products/{pid}",
        json={"price_centimes": 1},
        headers={**headers, "If-Match": current["rev"]},
    )
    assert edited.status_code == 200
    form = {"csrf": shown["csrf"], "product_id": pid, "product_rev": shown["product_rev"]}
    decided = client.post("/review/decide", data={**form, "decision": "approve"})
    assert decided.status_code == 303
    assert listings.status(pid) == "submitted"  # not approved unseen
    shown_again = client.get("/review?lang=en").get_data(as_text=True)
    assert 'class="flash error"' in shown_again and "changed since you opened" in shown_again
    fresh = page(client.get("/review")).hidden["product_rev"]
    assert fresh == edited.get_json()["rev"]
    client.post("/review/decide", data={**form, "product_rev": fresh, "decision": "approve"})
    assert listings.status(pid) == "approved"


def test_other_as_the_reason_asks_for_a_comment(client, listings, reviewer):
    pid = listings.product(title={"fr": "Tapis"})
    reviewer.sign_in("coordinator")
    reviewer.decide(pid, "request_changes", ["other"])
    assert listings.status(pid) == "submitted"
    shown = client.get("/review?lang=fr").get_data(as_text=True)
    assert "Écrivez ce qu" in shown  # what to change, in a comment
    reviewer.decide(pid, "request_changes", ["other"], "Le motif est flou")
    assert listings.status(pid) == "changes_requested"


def test_sign_in_keeps_a_secure_device_cookie_across_sign_outs(client, reviewer):
    signed = reviewer.sign_in("coordinator")
    cookie = set_cookies(signed)["hirfa_device"]
    for part in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/review", "Max-Age=31536000"):
        assert part in cookie, cookie
    credential = client.get_cookie("hirfa_device", path="/review").value
    client.post("/review/sign-out", data={"csrf": reviewer.csrf()})
    assert client.get_cookie("hirfa_device", path="/review").value == credential
    again = reviewer.sign_in("coordinator")  # the same browser: the same credential
    assert again.status_code == 303
    assert client.get_cookie("hirfa_device", path="/review").value == credential


def test_the_device_cookie_signs_a_coordinator_in_while_strangers_are_locked_out(app, client):
    clock = Clock.on(app)
    browser = Reviewer(client)
    assert browser.sign_in("coordinator").status_code == 303
    browser.client.post("/review/sign-out", data={"csrf": browser.csrf()})
    # Wrong passwords from the same address (the cooperative's NAT), until unknown
    # devices are locked out of her account.
    guess_until_locked(Device(app.test_client(), "127.0.0.1"), "coordinator", clock)
    stranger = Reviewer(app.test_client())
    refused = stranger.sign_in("coordinator")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "hirfa_access" not in set_cookies(refused)
    english = stranger.client.post(
        "/review/sign-in?lang=en",
        data={"csrf": stranger.csrf(), "phone": "+212600000010", "password": "x" * 8},
    )
    assert "ask an administrator" in english.get_data(as_text=True)
    back = browser.sign_in("coordinator")  # her own browser, with its device cookie
    assert back.status_code == 303
    assert 'name="password"' not in client.get("/review").get_data(as_text=True)

"""Sign-in, lock-out, access tokens and refresh-token rotation."""

from __future__ import annotations

import json
import threading
import time

import jwt
import pytest

from api import create_app
from api.errors import InvalidRefreshToken, InvalidToken, TokenExpired, TooManyRequests
from api.services import accounts, sessions, throttle, tokens
from seed import populate
from sync.store.database import connect
from tests.support.apps import DEMO, make_config

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


def _login(client, who="artisan", headers=None, **override):
    phone, secret = DEMO[who]
    return client.post(LOGIN, json={"phone": phone, **secret, **override}, headers=headers)


@pytest.mark.parametrize("who", sorted(DEMO))
def test_every_role_signs_in_and_calls_me(client, who):
    response = _login(client, who)
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["phone"] == DEMO[who][0]
    assert me.get_json()["role"] == who.rstrip("2").replace("_other_coop", "")


def test_local_phone_format_is_normalised(client):
    response = client.post(LOGIN, json={"phone": "0600000100", "pin": "2580"})
    assert response.status_code == 200
    assert response.get_json()["user"]["phone"] == "+212600000100"


def test_invalid_phone_is_a_validation_error(client):
    response = client.post(LOGIN, json={"phone": "12", "pin": "2580"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "validation_error"
    assert "phone" in response.get_json()["error"]["details"]["fields"]


def test_wrong_pin_and_unknown_number_look_the_same(client):
    wrong = _login(client, pin="1111")
    unknown = client.post(LOGIN, json={"phone": "+212600009999", "pin": "2580"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"


def test_pin_and_password_both_or_neither_refused(client):
    both = client.post(LOGIN, json={"phone": "0600000100", "pin": "2580", "password": "x" * 8})
    neither = client.post(LOGIN, json={"phone": "0600000100"})
    assert both.status_code == neither.status_code == 400


def test_repeated_wrong_pins_lock_the_number_with_growing_delay(client, app):
    free = app.extensions["hirfa"].settings.lockout_free_failures
    for _ in range(free):
        assert _login(client, pin="0000").status_code == 401
    sixth = _login(client, pin="0000")
    assert sixth.status_code == 401  # the failure that starts the lock
    locked = _login(client)  # even the right PIN is refused while locked
    assert locked.status_code == 429
    first_wait = int(locked.headers["Retry-After"])
    assert first_wait >= 1
    assert locked.get_json()["error"]["details"]["scope"] == "phone"
    # Another number from the same address is not locked by this one.
    assert _login(client, "artisan2").status_code == 200


def test_lock_grows_and_success_resets(app, db):
    settings = app.extensions["hirfa"].settings
    now, locks = 1_000_000.0, []
    for _ in range(settings.lockout_free_failures + 3):
        # Each attempt waits out the lock before it (reserve_attempt refuses one inside).
        throttle.reserve_attempt(db, settings, "+212600000100", "10.0.0.1", now=now)
        [(until,)] = db.execute(
            "SELECT locked_until FROM sign_in_failures WHERE key = ?", ["phone:+212600000100"]
        ).fetchall()
        locks.append(until - now if until else 0)
        last, now = now, max(now + 1, until)
    with pytest.raises(TooManyRequests):  # the last one's lock holds
        throttle.reserve_attempt(db, settings, "+212600000100", "10.0.0.1", now=last + 1)
    base = settings.lockout_base_seconds
    # free failures, then base * 2**0, 2**1, 2**2
    assert locks == [0] * settings.lockout_free_failures + [base, base * 2, base * 4]
    attempt = throttle.reserve_attempt(db, settings, "+212600000100", "10.0.0.1", now=now)
    throttle.record_success(db, attempt)
    throttle.reserve_attempt(db, settings, "+212600000100", "10.0.0.2", now=now)


def test_per_address_cap_answers_429(tmp_path):
    app = create_app(make_config(tmp_path, address_free_failures=2, lockout_free_failures=100))
    populate(app.extensions["hirfa"].open_db(), app.extensions["hirfa"].hasher)
    client = app.test_client()
    for n in range(3):
        client.post(LOGIN, json={"phone": f"+21260000020{n}", "pin": "0000"})
    response = _login(client)
    assert response.status_code == 429
    assert response.get_json()["error"]["details"]["scope"] == "addr"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    "secret",
    [{"pin": ""}, {"password": ""}, {"pin": "1" * 201}, {"password": "x" * 201}],
    ids=["empty-pin", "empty-password", "long-pin", "long-password"],
)
def test_an_empty_or_huge_secret_is_a_validation_error(client, secret):
    response = client.post(LOGIN, json={"phone": "+212600000100", **secret})
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == set(secret)


class CountingHasher:
    """The app's real hasher, counting verifications: the argon2 work a guesser can time.
    ``on_verify`` runs before each verification (the race test holds guesses there)."""

    def __init__(self, real, on_verify=None):
        self._real = real
        self._on_verify = on_verify
        self._lock = threading.Lock()
        self.verifications = 0

    def verify(self, stored_hash, secret):
        with self._lock:
            self.verifications += 1
        if self._on_verify:
            self._on_verify()
        return self._real.verify(stored_hash, secret)

    def __getattr__(self, name):
        return getattr(self._real, name)


@pytest.mark.parametrize(
    "phone, secret",
    [
        ("+212600000100", {"pin": "1111"}),  # a wrong PIN
        ("+212600009999", {"pin": "1111"}),  # a number without an account
    ],
)
def test_every_sign_in_costs_one_verification(client, app, phone, secret):
    # Skipping argon2 for unknown numbers would let response times tell who has an account.
    hirfa = app.extensions["hirfa"]
    hirfa.hasher = counting = CountingHasher(hirfa.hasher)
    response = client.post(LOGIN, json={"phone": phone, **secret})
    assert response.status_code == 401
    assert counting.verifications == 1


def test_parallel_wrong_pins_admit_no_more_than_the_allowed_failures(app):
    hirfa = app.extensions["hirfa"]
    settings = hirfa.settings
    allowed = settings.lockout_free_failures + 1  # the failure that starts the lock is a 401
    guesses = allowed + 10
    start = threading.Barrier(guesses)
    settled = threading.Condition()
    counts = {"verifying": 0, "refused": 0}

    def hold_until_every_guess_is_in():
        # Each guess that got past the lock waits here until every other guess is here too
        # or was refused: the widest window between the lock check and the failure record.
        with settled:
            counts["verifying"] += 1
            settled.notify_all()
            settled.wait_for(lambda: sum(counts.values()) == guesses, timeout=30)

    hasher = CountingHasher(hirfa.hasher, on_verify=hold_until_every_guess_is_in)
    outcomes: list[str] = []

    def guess():
        db = connect(settings.store_path)
        try:
            start.wait()
            sessions.sign_in(db, settings, hasher, "+212600000100", "0000", "10.0.0.7")
            outcomes.append("signed in")
        except TooManyRequests:
            with settled:
                counts["refused"] += 1
                settled.notify_all()
            outcomes.append("429")
        except Exception as exc:
            outcomes.append(getattr(exc, "code", repr(exc)))
        finally:
            db.close()

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == sorted(["invalid_credentials"] * allowed + ["429"] * 10)
    assert hasher.verifications == allowed


def _throttled_app(tmp_path, **config):
    app = create_app(
        make_config(tmp_path, address_free_failures=2, lockout_free_failures=100, **config)
    )
    populate(app.extensions["hirfa"].open_db(), app.extensions["hirfa"].hasher)
    return app.test_client()


def _wrong_pins_from(client, address):
    for n in range(3):
        client.post(
            LOGIN,
            json={"phone": f"+21260000020{n}", "pin": "0000"},
            headers={"X-Forwarded-For": address},
        )


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_cap(tmp_path):
    client = _throttled_app(tmp_path, trust_proxy=True)
    _wrong_pins_from(client, "203.0.113.1")
    capped = _login(client, headers={"X-Forwarded-For": "203.0.113.1"})
    assert capped.status_code == 429
    assert capped.get_json()["error"]["details"]["scope"] == "addr"
    other = _login(client, headers={"X-Forwarded-For": "198.51.100.2"})
    assert other.status_code == 200


def test_without_trust_proxy_x_forwarded_for_is_ignored(tmp_path):
    client = _throttled_app(tmp_path)
    _wrong_pins_from(client, "203.0.113.1")
    # A client cannot dodge the cap by making up a new forwarded address.
    response = _login(client, headers={"X-Forwarded-For": "198.51.100.2"})
    assert response.status_code == 429
    assert response.get_json()["error"]["details"]["scope"] == "addr"


def _claims(app, **changes):
    settings = app.extensions["hirfa"].settings
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "art_fatima",
        "iat": now,
        "exp": now + 600,
        "role": "artisan",
        "sv": 0,
    }
    claims.update(changes)
    return claims, settings


def _me(client, token):
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


def test_a_well_formed_token_is_accepted(client, app):
    claims, settings = _claims(app)
    token = jwt.encode(claims, settings.jwt_signing_key, algorithm="HS256")
    assert _me(client, token).status_code == 200


@pytest.mark.parametrize(
    "case",
    [
        "alg_none",
        "wrong_audience",
        "wrong_issuer",
        "wrong_signature",
        "expired",
        "no_exp",
        "garbage",
        "hs512",
    ],
)
def test_bad_tokens_are_rejected(client, app, case):
    claims, settings = _claims(app)
    key = settings.jwt_signing_key
    if case == "alg_none":
        token = jwt.encode(claims, None, algorithm="none")
    elif case == "wrong_audience":
        token = jwt.encode({**claims, "aud": "someone-else"}, key, algorithm="HS256")
    elif case == "wrong_issuer":
        token = jwt.encode({**claims, "iss": "evil"}, key, algorithm="HS256")
    elif case == "wrong_signature":
        token = jwt.encode(claims, "another-key-" + "0123456789abcdef" * 4, algorithm="HS256")
    elif case == "expired":
        token = jwt.encode({**claims, "exp": int(time.time()) - 3600}, key, algorithm="HS256")
    elif case == "no_exp":
        claims.pop("exp")
        token = jwt.encode(claims, key, algorithm="HS256")
    elif case == "hs512":
        token = jwt.encode(claims, key, algorithm="HS512")
    else:
        token = "not.a.jwt"
    response = _me(client, token)
    assert response.status_code == 401
    expected = "token_expired" if case == "expired" else "invalid_token"
    assert response.get_json()["error"]["code"] == expected


def test_access_token_expires(client, app):
    settings = app.extensions["hirfa"].settings
    session = _login(client).get_json()
    user = accounts.get_user(app.extensions["hirfa"].open_db(), session["user"]["id"])
    old = tokens.issue_access_token(
        settings, user, now=time.time() - settings.access_token_seconds - 60
    )
    assert _me(client, old).get_json()["error"]["code"] == "token_expired"
    assert _me(client, session["access_token"]).status_code == 200


def test_a_verified_token_is_still_refused_once_it_expires(client, app):
    """Verified claims are kept between requests; the clock is checked at every use."""
    settings = app.extensions["hirfa"].settings
    session = _login(client).get_json()
    token = session["access_token"]
    assert _me(client, token).status_code == 200  # verified, and kept
    claims = tokens.decode_access_token(settings, token)
    leeway = tokens.LEEWAY_SECONDS
    tokens.decode_access_token(settings, token, now=claims["exp"] + leeway - 1)
    with pytest.raises(TokenExpired):
        tokens.decode_access_token(settings, token, now=claims["exp"] + leeway)
    with pytest.raises(InvalidToken):  # before its iat: not yet valid
        tokens.decode_access_token(settings, token, now=claims["iat"] - leeway - 1)
    assert _me(client, token).status_code == 200


@pytest.mark.parametrize("claim", ["iat", "nbf", "exp"])
def test_a_token_whose_times_are_no_integers_is_refused_every_time(client, app, claim):
    claims, settings = _claims(app)
    token = jwt.encode({**claims, claim: "soon"}, settings.jwt_signing_key, algorithm="HS256")
    for _ in range(2):  # the second time its signature is known good: still refused
        response = _me(client, token)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "invalid_token"


def test_refresh_rotates_and_the_new_token_works(client):
    first = _login(client).get_json()
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    body = second.get_json()
    assert body["refresh_token"] != first["refresh_token"]
    assert _me(client, body["access_token"]).status_code == 200
    third = client.post(REFRESH, json={"refresh_token": body["refresh_token"]})
    assert third.status_code == 200


def test_retry_within_grace_gets_the_same_refresh_token(client):
    first = _login(client).get_json()
    a = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).get_json()
    b = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).get_json()
    assert a["refresh_token"] == b["refresh_token"]
    # and the session goes on normally afterwards
    assert client.post(REFRESH, json={"refresh_token": b["refresh_token"]}).status_code == 200


def test_reuse_after_grace_revokes_the_whole_family(client, app, db):
    settings = app.extensions["hirfa"].settings
    first = _login(client).get_json()
    other_device = _login(client).get_json()  # another family: must survive
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).get_json()
    third = client.post(REFRESH, json={"refresh_token": second["refresh_token"]}).get_json()
    # the first token is replayed long after it was used
    with pytest.raises(Exception) as info:
        tokens.rotate(
            db,
            settings,
            first["refresh_token"],
            now=time.time() + settings.refresh_grace_seconds + 10,
        )
    assert info.value.details == {"reason": "reused"}
    # every token of the family is dead now, including the newest one
    dead = client.post(REFRESH, json={"refresh_token": third["refresh_token"]})
    assert dead.status_code == 401
    assert dead.get_json()["error"]["code"] == "invalid_refresh_token"
    alive = client.post(REFRESH, json={"refresh_token": other_device["refresh_token"]})
    assert alive.status_code == 200


def test_replay_of_a_superseded_token_within_grace_is_reuse(client):
    # Inside the grace period, but the successor has already been used: a real reuse.
    first = _login(client).get_json()
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]}).get_json()
    client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    replay = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.get_json()["error"]["details"] == {"reason": "reused"}


@pytest.mark.parametrize("token", ["", "abc", "abc.def", "x" * 300])
def test_forged_refresh_tokens_are_refused(client, token):
    response = client.post(REFRESH, json={"refresh_token": token})
    assert response.status_code == 401


def test_an_expired_refresh_token_is_refused(client, app, db):
    settings = app.extensions["hirfa"].settings
    token = _login(client).get_json()["refresh_token"]
    (expires_at,) = db.execute(
        "SELECT expires_at FROM refresh_tokens WHERE id = ?", [token.partition(".")[0]]
    ).fetchone()
    with pytest.raises(InvalidRefreshToken):
        tokens.rotate(db, settings, token, now=expires_at + 1)
    # still usable before then: the refusal was for its age alone
    assert client.post(REFRESH, json={"refresh_token": token}).status_code == 200


def test_a_refresh_token_past_its_lifetime_is_refused_over_http(tmp_path):
    app = create_app(make_config(tmp_path, refresh_token_days=0))  # expires as it is issued
    populate(app.extensions["hirfa"].open_db(), app.extensions["hirfa"].hasher)
    client = app.test_client()
    token = _login(client).get_json()["refresh_token"]
    response = client.post(REFRESH, json={"refresh_token": token})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_refresh_token"


# U+D800 is a lone surrogate: valid in JSON as an escape, but it has no UTF-8 encoding.
NON_ASCII_TOKENS = ["é.é", "abc.é", "é.abc", "\ud800.x", "x.\ud800"]


def _refused(response) -> None:
    """A token that is not ours: 401; one holding half a character never reaches the
    token check, the JSON gate names it first (a 400 the client can act on)."""
    code = response.get_json()["error"]["code"]
    assert (response.status_code, code) in ((401, "invalid_refresh_token"), (400, "lone_surrogate"))


def _raw_json(body: dict) -> bytes:
    return json.dumps(body).encode()  # ensure_ascii: surrogates travel as \uXXXX escapes


@pytest.mark.parametrize("token", NON_ASCII_TOKENS)
def test_non_ascii_refresh_tokens_are_invalid_not_a_500(client, token):
    response = client.post(
        REFRESH, data=_raw_json({"refresh_token": token}), content_type="application/json"
    )
    _refused(response)
    assert ("\ud800" in token) == (response.status_code == 400)


@pytest.mark.parametrize("token", NON_ASCII_TOKENS)
def test_logout_with_a_non_ascii_refresh_token_is_invalid_not_a_500(client, token):
    session = _login(client).get_json()
    response = client.post(
        "/api/v1/auth/logout",
        data=_raw_json({"refresh_token": token}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {session['access_token']}"},
    )
    _refused(response)
    assert ("\ud800" in token) == (response.status_code == 400)


def test_logout_ends_this_session_only(client):
    a = _login(client).get_json()
    b = _login(client).get_json()
    headers = {"Authorization": f"Bearer {a['access_token']}"}
    out = client.post(
        "/api/v1/auth/logout", json={"refresh_token": a["refresh_token"]}, headers=headers
    )
    assert out.status_code == 204
    assert client.post(REFRESH, json={"refresh_token": a["refresh_token"]}).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": b["refresh_token"]}).status_code == 200


def test_logout_everywhere_kills_access_and_refresh_tokens(client):
    a = _login(client).get_json()
    b = _login(client).get_json()
    out = client.post(
        "/api/v1/auth/logout-all", headers={"Authorization": f"Bearer {a['access_token']}"}
    )
    assert out.status_code == 204
    assert _me(client, b["access_token"]).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": b["refresh_token"]}).status_code == 401
    assert _login(client).status_code == 200


def test_firebase_exchange_without_configuration_is_501(client):
    response = client.post("/api/v1/auth/firebase", json={"id_token": "x"})
    assert response.status_code == 501
    assert response.get_json()["error"]["code"] == "not_configured"

"""Device tokens: several per user, moved to whoever registers them last, removed at
logout; and the convergence rule as an algebra (any arrival order, same order)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from api import workers
from api.services.push import messages
from sync.rules import orders as order_rules
from sync.store.errors import Unresolvable
from tests.support.orders import register_device, rows


def test_a_user_has_several_devices_and_lists_only_hers(app, client, auth):
    register_device(client, auth, "artisan", "tok-phone", locale="ar")
    register_device(client, auth, "artisan", "tok-tablet", locale="fr")
    register_device(client, auth, "buyer", "tok-claire", locale="fr")
    mine = client.get("/api/v1/devices", headers=auth.headers("artisan")).get_json()["items"]
    assert [(d["token"], d["locale"]) for d in mine] == [("tok-phone", "ar"), ("tok-tablet", "fr")]


def test_a_token_registered_again_moves_to_the_new_account(app, client, auth):
    register_device(client, auth, "artisan", "tok-shared")
    register_device(client, auth, "artisan2", "tok-shared")
    assert rows(app, "SELECT user_id FROM devices") == [("art_khadija",)]


def test_removing_a_device_and_not_anothers(app, client, auth):
    register_device(client, auth, "artisan", "tok-phone")
    other = client.delete("/api/v1/devices/tok-phone", headers=auth.headers("buyer"))
    assert other.status_code == 404
    mine = client.delete("/api/v1/devices/tok-phone", headers=auth.headers("artisan"))
    assert mine.status_code == 204
    assert rows(app, "SELECT count(*) FROM devices") == [(0,)]


def test_logout_removes_the_devices_token(app, client, auth):
    session = auth.login("artisan")
    register_device(client, auth, "artisan", "tok-phone")
    register_device(client, auth, "artisan", "tok-other")
    response = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": session["refresh_token"], "device_token": "tok-phone"},
        headers=auth.headers("artisan"),
    )
    assert response.status_code == 204
    assert rows(app, "SELECT token FROM devices") == [("tok-other",)]
    second = auth.login("artisan")
    response = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": second["refresh_token"]},
        headers={
            "Authorization": f"Bearer {second['access_token']}",
            "X-Device-Token": "tok-other",
        },
    )
    assert response.status_code == 204
    assert rows(app, "SELECT count(*) FROM devices") == [(0,)]


def _step(status, by, role, at):
    return {"status": status, "by": by, "role": role, "at": at}


PLACED = _step("placed", "b", "buyer", "2026-11-22T08:00:00Z")
BRANCHES = [
    [PLACED, _step("cancelled", "b", "buyer", "2026-11-22T09:00:00Z")],
    [PLACED, _step("accepted", "a", "artisan", "2026-11-22T08:30:00Z")],
    [
        PLACED,
        _step("accepted", "a", "artisan", "2026-11-22T08:30:00Z"),
        _step("in_production", "a", "artisan", "2026-11-22T08:40:00Z"),
    ],
    [PLACED, _step("accepted", "c", "coordinator", "2026-11-22T08:31:00Z")],
]


def _merge_or_refusal(bodies):
    try:
        return repr(order_rules.merge_order(bodies))
    except Unresolvable as exc:
        return f"unresolvable: {exc}"


def test_the_merge_depends_on_the_set_of_branches_not_their_order():
    for size in range(1, len(BRANCHES) + 1):
        for subset in itertools.combinations(BRANCHES, size):
            bodies = [{"status": h[-1]["status"], "history": h} for h in subset]
            results = {_merge_or_refusal(list(p)) for p in itertools.permutations(bodies)}
            assert len(results) == 1, subset
    settled = [BRANCHES[0], BRANCHES[1], BRANCHES[3]]
    merged = order_rules.merge_order([{"status": h[-1]["status"], "history": h} for h in settled])
    assert merged["status"] == "cancelled"
    assert len(merged["superseded"]) == 2  # both accepts


def test_a_cancellation_cannot_undo_work_in_production():
    bodies = [{"status": h[-1]["status"], "history": h} for h in BRANCHES[:3]]
    with pytest.raises(Unresolvable, match="cannot both be true"):
        order_rules.merge_order(bodies)


def test_the_merge_keeps_the_seller_line_that_went_furthest():
    bodies = [{"status": h[-1]["status"], "history": h} for h in BRANCHES[1:3]]
    assert order_rules.merge_order(bodies)["status"] == "in_production"
    # merging a merge with one of its inputs changes nothing (idempotent)
    once = order_rules.merge_order(bodies)
    assert order_rules.merge_order([once, bodies[0]]) == once


@pytest.mark.parametrize(
    "count, ar, fr, en",
    [
        (1, "منتج واحد في انتظار المراجعة", "1 produit à relire", "1 listing to review"),
        (2, "منتجان في انتظار المراجعة", "2 produits à relire", "2 listings to review"),
        (3, "3 منتجات في انتظار المراجعة", "3 produits à relire", "3 listings to review"),
        (11, "11 منتجًا في انتظار المراجعة", "11 produits à relire", "11 listings to review"),
        (100, "100 منتج في انتظار المراجعة", "100 produits à relire", "100 listings to review"),
        (103, "103 منتجات في انتظار المراجعة", "103 produits à relire", "103 listings to review"),
    ],
)
def test_the_digest_title_has_the_plural_form_of_its_count(count, ar, fr, en):
    data = {"count": count, "cooperative_name": {"fr": "Coop"}}
    for locale, title in (("ar", ar), ("fr", fr), ("en", en)):
        assert messages.render("uploads_waiting", data, locale)[0] == title


def test_the_no_credentials_notice_is_printed_once_at_start_up(app, monkeypatch):
    printed = []
    monkeypatch.setattr(workers.click, "echo", printed.append)
    monkeypatch.setattr(workers.Dispatcher, "start", lambda self: None)
    app.extensions["hirfa"].settings.push_dispatcher = True
    workers.start_dispatcher(app)
    assert printed == ["Push: no Firebase credentials; messages are logged to the console"]
    source = Path(workers.__file__).with_name("cli.py").read_text(encoding="utf-8")
    assert "no Firebase credentials" not in source  # serve leaves it to the dispatcher

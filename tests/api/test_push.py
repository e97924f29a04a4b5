"""Push through real firebase-admin to a loopback fake FCM: delivery, retries, dead
tokens, a crash between commit and send, rollbacks, languages, batching."""

from __future__ import annotations

import collections
import logging
import random
import threading
import time

import pytest

from api import create_app
from api.services import order_feed, outbox
from api.services.push.dispatcher import Policy
from api.workers import make_dispatcher
from sync.store.database import write_transaction
from tests.support.apps import Auth, make_config
from tests.support.orders import (
    Clock,
    approved_product,
    close_firebase,
    fcm_app,
    move,
    offline_google,
    place,
    register_device,
    rows,
)


def _order(app, client, auth):
    approved_product(app)
    return place(client, auth).get_json()["id"]


def test_a_new_order_wakes_the_artisans_phone(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "artisan", "tok-fatima", locale="ar")
    oid = _order(app, client, auth)
    report = dispatcher.run_until_idle()
    assert report.counts["sent"] == 1
    [message] = fake.delivered("tok-fatima")
    assert message["data"] == {
        "kind": "order_placed",
        "dedup_key": f"{oid}:placed",
        "order_id": oid,
        "product_id": "product:zerbia",
        "status": "placed",
    }
    assert message["android"]["priority"] == "high"
    assert message["android"]["collapse_key"] == oid
    assert (
        message["android"]["ttl"].endswith("s") and int(message["android"]["ttl"][:-1]) > 6 * 86400
    )
    assert message["notification"]["title"] == "طلب جديد"
    assert (
        len(message["notification"]["title"]) <= 40 and len(message["notification"]["body"]) <= 100
    )
    assert rows(app, "SELECT state FROM outbox") == [("sent",)]
    [(name,)] = rows(app, "SELECT message_name FROM push_deliveries")
    assert name.startswith("projects/hirfa-test/messages/")
    assert fake.tokens_issued == 1  # google-auth fetched its token from the fake


def test_a_move_notifies_the_other_party_at_normal_priority(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "buyer", "tok-claire", locale="fr")
    oid = _order(app, client, auth)
    move(client, auth, "artisan", oid, "accepted")
    dispatcher.run_until_idle()
    [message] = fake.delivered("tok-claire")
    assert message["data"]["status"] == "accepted"
    assert message["android"]["priority"] == "normal"
    assert message["notification"] == {"title": "Commande acceptée", "body": "Tapis Beni Ouarain"}


def test_503_then_delivered_after_a_backoff(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "artisan", "tok-fatima")
    fake.script("tok-fatima", "unavailable", "ok")
    _order(app, client, auth)
    first = dispatcher.run_until_idle()
    assert first.counts["retry"] == 1 and fake.delivered() == []
    [(state, attempts, due, created)] = rows(
        app, "SELECT state, attempts, next_attempt_at, created_at FROM outbox"
    )
    assert state == "pending" and attempts == 1
    assert due - clock() > 7  # the first backoff is 15 s, jittered to 7.5-15 s: not at once
    assert dispatcher.run_until_idle().claimed == 0  # not due yet
    clock.advance(due - clock() + 1)
    assert dispatcher.run_until_idle().counts["sent"] == 1
    assert len(fake.delivered("tok-fatima")) == 1
    assert [r["status"] for r in fake.requests] == [503, 200]
    assert rows(app, "SELECT state, attempts FROM outbox") == [("sent", 2)]


def test_retries_stop_after_max_attempts(tmp_path, fake_fcm):
    app = fcm_app(tmp_path, fake_fcm, push_max_attempts=3, push_backoff_seconds=1)
    try:
        client, clock = app.test_client(), Clock()
        auth = Auth(client)
        dispatcher = make_dispatcher(app.extensions["hirfa"], clock=clock)
        register_device(client, auth, "artisan", "tok-fatima")
        fake_fcm.script("tok-fatima", *["internal"] * 5)
        _order(app, client, auth)
        for _ in range(5):
            dispatcher.run_until_idle()
            clock.advance(3600)
        assert len(fake_fcm.requests) == 3
        assert rows(app, "SELECT state FROM outbox") == [("failed",)]
        assert rows(app, "SELECT state FROM push_deliveries") == [("failed",)]
    finally:
        close_firebase(app)


def test_unregistered_and_invalid_tokens_are_dropped(push):
    app, client, auth, dispatcher, clock, fake = push
    for token in ("tok-old", "tok-bad", "tok-new"):
        register_device(client, auth, "artisan", token)
    fake.script("tok-old", "unregistered")
    fake.script("tok-bad", "invalid")
    _order(app, client, auth)
    report = dispatcher.run_until_idle()
    assert report.counts == {"sent": 1, "retry": 0, "dropped": 2, "failed": 0, "no_device": 0}
    assert rows(app, "SELECT token FROM devices WHERE user_id = 'art_fatima'") == [("tok-new",)]
    assert rows(app, "SELECT state FROM outbox") == [("sent",)]
    place(client, auth)
    dispatcher.run_until_idle()
    assert sorted({r["message"]["token"] for r in fake.requests}) == [
        "tok-bad",
        "tok-new",
        "tok-old",
    ]
    assert len(fake.delivered("tok-new")) == 2 and len(fake.requests) == 4


def test_crash_between_commit_and_send_then_restart_sends_exactly_once(tmp_path, fake_fcm):
    app = fcm_app(tmp_path, fake_fcm)
    client = app.test_client()
    auth = Auth(client)
    register_device(client, auth, "artisan", "tok-fatima")
    _order(app, client, auth)  # committed with its outbox row
    # The first process claims the row and dies before sending: nothing reached FCM.
    db = app.extensions["hirfa"].open_db()
    assert len(outbox.claim(db, Clock()(), 10, lease_seconds=300)) == 1
    db.close()
    close_firebase(app)
    # A restart: a new app on the same store; the dead process's lease runs out.
    config = make_config(
        tmp_path,
        firebase_credentials=str(tmp_path / "service-account.json"),
        firebase_project_id="hirfa-test",
        fcm_endpoint=fake_fcm.url,
    )
    restarted = offline_google(create_app(config))
    try:
        clock = Clock()
        dispatcher = make_dispatcher(restarted.extensions["hirfa"], clock=clock)
        assert dispatcher.run_until_idle().claimed == 0  # still leased to the dead one
        clock.advance(301)
        dispatcher.run_until_idle()
        make_dispatcher(restarted.extensions["hirfa"], clock=clock).run_until_idle()
        clock.advance(3600)
        dispatcher.run_until_idle()
        assert len(fake_fcm.requests) == 1
        assert len(fake_fcm.delivered("tok-fatima")) == 1
    finally:
        close_firebase(restarted)


def test_no_message_when_the_transaction_rolled_back(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "artisan", "tok-fatima")
    db = app.extensions["hirfa"].open_db()
    with pytest.raises(RuntimeError), write_transaction(db):
        outbox.enqueue(
            db,
            user_id="art_fatima",
            kind="review_decided",
            data={"product_id": "product:x", "decision": "approve", "reason_codes": []},
            dedup_key="review:product:x:1",
        )
        raise RuntimeError("the review failed after queueing")
    db.close()
    approved_product(app)
    assert place(client, auth, quantity=99).status_code == 409  # refused order: no row
    assert rows(app, "SELECT count(*) FROM outbox") == [(0,)]
    assert dispatcher.run_until_idle().messages == 0
    assert fake.requests == []


def test_the_same_event_queued_twice_is_one_message(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "artisan", "tok-fatima")
    db = app.extensions["hirfa"].open_db()
    data = {"product_id": "product:x", "decision": "reject", "reason_codes": ["photo_blurry"]}
    ids = [
        outbox.enqueue(db, user_id="art_fatima", kind="review_decided", data=data, dedup_key="r:1")
        for _ in range(2)
    ]
    db.close()
    assert ids[0] is not None and ids[1] is None
    dispatcher.run_until_idle()
    [message] = fake.delivered()
    assert message["data"]["reason_codes"] == "photo_blurry"
    assert message["notification"]["title"] == "لم يتم قبول منتجك"


@pytest.mark.parametrize(
    "device_locale, title",
    [("ar", "طلب جديد"), ("fr-MA", "Nouvelle commande"), ("en", "New order"), (None, "طلب جديد")],
)
def test_the_locale_chooses_the_language(push, device_locale, title):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "artisan", "tok", locale=device_locale)
    _order(app, client, auth)
    dispatcher.run_until_idle()
    [message] = fake.delivered("tok")
    assert message["notification"]["title"] == title


def test_an_expired_notification_is_not_sent(push):
    app, client, auth, dispatcher, clock, fake = push
    _order(app, client, auth)  # the artisan has no device yet
    clock.advance(8 * 86400)  # past the week an order notification lives
    register_device(client, auth, "artisan", "tok-late")
    dispatcher.run_until_idle()
    # The pass also tells her last week's insights (the order): only that one is sent.
    sent = [r["message"]["data"]["kind"] for r in fake.requests]
    assert sent in ([], ["insights_weekly"])
    assert rows(app, "SELECT state FROM outbox WHERE kind = 'order_placed'") == [("expired",)]


def test_batches_of_at_most_the_batch_size(push):
    app, client, auth, dispatcher, clock, fake = push
    dispatcher.policy = Policy(batch_size=500)
    db = app.extensions["hirfa"].open_db()
    with write_transaction(db):
        for n in range(1200):
            db.execute(
                "INSERT INTO devices (token, user_id, platform, created_at, updated_at) "
                "VALUES (?, 'art_fatima', 'android', 0, 0)",
                [f"tok-{n:04}"],
            )
    outbox.enqueue(
        db,
        user_id="art_fatima",
        kind="review_decided",
        data={"product_id": "product:x", "decision": "approve"},
        dedup_key="many",
    )
    db.close()
    report = dispatcher.run_until_idle()
    assert (report.messages, report.batches) == (1200, 3)
    assert len(fake.delivered()) == 1200
    assert rows(app, "SELECT state FROM outbox") == [("sent",)]


def test_coordinators_get_one_digest_of_waiting_uploads(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "coordinator", "tok-naima", locale="fr")
    for n in range(3):
        approved_product(app, f"product:new{n}", status="submitted")
    dispatcher.run_until_idle()
    [message] = fake.delivered("tok-naima")
    assert message["notification"]["title"] == "3 produits à relire"
    assert message["data"]["cooperative_id"] == "coop-taza-zerbia"
    clock.advance(7200)  # the next digest is due, but nothing changed: no message
    dispatcher.run_until_idle()
    assert len(fake.delivered("tok-naima")) == 1


def test_console_transport_without_credentials(app, client, auth, caplog):
    auth = Auth(client)
    register_device(client, auth, "artisan", "tok-console", locale="en")
    approved_product(app)
    place(client, auth)
    dispatcher = make_dispatcher(app.extensions["hirfa"])
    assert dispatcher.transport.name == "console"
    with caplog.at_level(logging.INFO, logger="hirfa.push"):
        assert dispatcher.run_until_idle().counts["sent"] == 1
    assert "New order" in caplog.text and "tok-console"[:12] in caplog.text


class ClockedTransport:
    """The real FCM transport, each batch taking ``seconds`` on the shared clock."""

    def __init__(self, inner, clock, seconds):
        self.inner, self.clock, self.seconds = inner, clock, seconds
        self.name = inner.name

    def send_each(self, messages):
        self.clock.advance(self.seconds)
        return self.inner.send_each(messages)


class HandoffTransport(ClockedTransport):
    """Its first batch waits (10 s at most) until another dispatcher has claimed rows:
    that claim provably happens while a send is in flight, whatever the scheduling."""

    def __init__(self, inner, clock, seconds):
        super().__init__(inner, clock, seconds)
        self.sending = threading.Event()  # the first batch is in flight
        self.claimed_meanwhile = threading.Event()
        self.in_flight: set[str] = set()  # the first batch's dedup keys
        self.first_sender: int | None = None
        self.meanwhile: set[str] = set()  # what the other dispatcher claimed mid-send
        self._lock = threading.Lock()

    def send_each(self, messages):
        with self._lock:
            first = self.first_sender is None
            if first:
                self.first_sender = threading.get_ident()
        if first:
            self.in_flight = {m.data["dedup_key"] for m in messages}
            self.sending.set()
            self.claimed_meanwhile.wait(10)
        return super().send_each(messages)

    def watch(self, claim):
        """The real outbox.claim, noting a claim made by another thread mid-send."""

        def watched(*args, **kwargs):
            claimed = claim(*args, **kwargs)
            mid_send = self.sending.is_set() and not self.claimed_meanwhile.is_set()
            if mid_send and threading.get_ident() != self.first_sender:
                self.meanwhile = {item.dedup_key for item in claimed}
                self.claimed_meanwhile.set()
            return claimed

        return watched


def _queue(app, rows_count: int, devices: int = 1) -> None:
    db = app.extensions["hirfa"].open_db()
    with write_transaction(db):
        for n in range(devices):
            db.execute(
                "INSERT INTO devices (token, user_id, platform, created_at, updated_at) "
                "VALUES (?, 'art_fatima', 'android', 0, 0)",
                [f"tok-{n:03}"],
            )
        for n in range(rows_count):
            outbox.enqueue(
                db,
                user_id="art_fatima",
                kind="review_decided",
                data={"product_id": f"product:{n}", "decision": "approve"},
                dedup_key=f"row-{n}",
            )
    db.close()


def test_two_dispatchers_never_send_the_same_row_twice(push, monkeypatch):
    app, client, auth, dispatcher, clock, fake = push
    _queue(app, 60)
    # Each batch of 5 takes 60 s and a lease lasts 300 s: a pass that claimed everything
    # would still be sending when its lease ran out and the other dispatcher took over.
    policy = Policy(batch_size=5, lease_seconds=300)
    slow = HandoffTransport(dispatcher.transport, clock, 60)
    monkeypatch.setattr(outbox, "claim", slow.watch(outbox.claim))
    hirfa = app.extensions["hirfa"]
    dispatchers = [
        make_dispatcher(hirfa, clock=clock, transport=slow, policy=policy) for _ in range(2)
    ]
    start = threading.Barrier(2)

    def drain(d):
        start.wait()
        db = hirfa.open_db()
        try:
            while outbox.pending_count(db):
                d.run_once()
        finally:
            db.close()

    threads = [threading.Thread(target=drain, args=(d,)) for d in dispatchers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    # The other dispatcher claimed while the first batch was being sent, and not its rows.
    assert slow.claimed_meanwhile.is_set()
    assert slow.meanwhile and not slow.meanwhile & slow.in_flight
    sent = collections.Counter(m["data"]["dedup_key"] for m in fake.delivered())
    assert len(sent) == 60
    assert max(sent.values()) == 1, [k for k, v in sent.items() if v > 1]
    assert rows(app, "SELECT DISTINCT state FROM outbox") == [("sent",)]


def test_a_row_with_many_devices_renews_its_lease_between_batches(push):
    app, client, auth, dispatcher, clock, fake = push
    _queue(app, 1, devices=12)
    policy = Policy(batch_size=5, lease_seconds=100)
    other = make_dispatcher(
        app.extensions["hirfa"], clock=clock, transport=dispatcher.transport, policy=policy
    )
    slow = ClockedTransport(dispatcher.transport, clock, 60)
    batches = [0]

    def send_each(messages):
        batches[0] += 1
        results = slow.send_each(messages)
        if batches[0] == 2:  # 120 s after the claim: past the first lease
            other.run_once()
        return results

    slow_first = ClockedTransport(dispatcher.transport, clock, 0)
    slow_first.send_each = send_each
    dispatcher.policy, dispatcher.transport = policy, slow_first
    report = dispatcher.run_once()  # 3 batches of one row
    assert (report.messages, report.batches) == (12, 3)
    sent = collections.Counter(m["token"] for m in fake.delivered())
    assert len(sent) == 12 and max(sent.values()) == 1
    assert rows(app, "SELECT state FROM outbox") == [("sent",)]


def _record_retries(app, count, retry_after=None, **policy):
    """Queue ``count`` rows for one device, claim them, and record each as a retry."""
    _queue(app, count)
    db = app.extensions["hirfa"].open_db()
    try:
        now = time.time()
        claimed = outbox.claim(db, now, count, 300)
        outcomes = [
            outbox.Outcome(c.id, "tok-000", "retry", error="503", retry_after=retry_after)
            for c in claimed
        ]
        outbox.record(db, claimed, outcomes, now, max_attempts=8, rng=random.Random(7), **policy)
        return [r[0] - now for r in db.execute("SELECT next_attempt_at FROM outbox")]
    finally:
        db.close()


def test_backoff_is_jittered_within_its_bounds(app):
    delays = _record_retries(app, 20, backoff_seconds=15, backoff_max_seconds=3600)
    assert all(7.5 <= d <= 15 for d in delays), delays
    assert len({round(d, 3) for d in delays}) > 10  # spread, not one thundering second


def test_retry_after_is_capped_at_the_backoff_maximum(app):
    delays = _record_retries(
        app, 3, retry_after=86400 * 30, backoff_seconds=15, backoff_max_seconds=600
    )
    assert delays == [600, 600, 600]


def test_retry_after_from_fcm_is_honoured_up_to_the_maximum(tmp_path, fake_fcm):
    app = fcm_app(tmp_path, fake_fcm, push_backoff_max_seconds=60)
    try:
        client, clock = app.test_client(), Clock()
        auth = Auth(client)
        dispatcher = make_dispatcher(app.extensions["hirfa"], clock=clock)
        register_device(client, auth, "artisan", "tok-fatima")
        fake_fcm.script("tok-fatima", "quota")  # 429 with Retry-After: 120
        _order(app, client, auth)
        dispatcher.run_until_idle()
        [(due,)] = rows(app, "SELECT next_attempt_at FROM outbox")
        assert 25 < due - clock() <= 60
    finally:
        close_firebase(app)


def test_an_invalid_message_fails_and_keeps_the_device(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "artisan", "tok-fatima")
    fake.script("tok-fatima", "invalid_message")
    _order(app, client, auth)
    report = dispatcher.run_until_idle()
    assert report.counts["failed"] == 1 and report.counts["dropped"] == 0
    assert rows(app, "SELECT token FROM devices") == [("tok-fatima",)]
    assert rows(app, "SELECT state FROM outbox") == [("failed",)]
    assert rows(app, "SELECT state FROM push_deliveries") == [("failed",)]
    clock.advance(86400)
    dispatcher.run_until_idle()
    assert len(fake.requests) == 1  # not retried: the same message would fail again
    place(client, auth)  # the device still gets the next one
    dispatcher.run_until_idle()
    assert len(fake.delivered("tok-fatima")) == 1


def test_a_move_that_fails_after_queueing_its_message_sends_nothing(push, monkeypatch):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "buyer", "tok-claire", locale="fr")
    oid = _order(app, client, auth)
    real = order_feed.notify

    def notify_then_fail(db, order):
        real(db, order)  # the outbox row is written...
        raise RuntimeError("...and the move fails after it")

    monkeypatch.setattr(order_feed, "notify", notify_then_fail)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert move(client, auth, "artisan", oid, "accepted").status_code == 500
    monkeypatch.setattr(order_feed, "notify", real)
    assert rows(app, "SELECT count(*) FROM outbox WHERE dedup_key = ?", [f"{oid}:accepted"]) == [
        (0,)
    ]
    assert rows(app, "SELECT count(*) FROM stock_reservations") == [(0,)]
    seen = client.get(f"/api/v1/orders/{oid}", headers=auth.headers("buyer")).get_json()
    assert seen["status"] == "placed"
    dispatcher.run_until_idle()
    assert fake.delivered("tok-claire") == []


def test_a_device_without_a_language_gets_the_accounts(push):
    app, client, auth, dispatcher, clock, fake = push
    register_device(client, auth, "buyer", "tok-claire", locale=None)  # Claire reads French
    oid = _order(app, client, auth)
    move(client, auth, "artisan", oid, "accepted")
    dispatcher.run_until_idle()
    [message] = fake.delivered("tok-claire")
    assert message["notification"]["title"] == "Commande acceptée"

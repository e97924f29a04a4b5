"""Dispatching queued notifications through real firebase-admin to the loopback fake
FCM (tests/support/fake_fcm.py): batched (``send_each`` with up to 500 messages, FCM's limit)
against one message per call, in the same run.

Each mode gets a fresh store with the same queue: N outbox rows for one artisan with
one device. Timed: the dispatcher draining the queue (claim, render, send, record), not
the queueing. The fake answers at once, so the figures measure Hirfa's side and
firebase-admin's, not Google's latency; over a real network the gap grows, since a
batch sends its messages concurrently.
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import tempfile
import time
from pathlib import Path

from api import state
from api.services.push.dispatcher import Policy
from api.workers import make_dispatcher
from sync.store.database import write_transaction
from tests.support.fake_fcm import FakeFCM
from tests.support.orders import close_firebase, fcm_app

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "push.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "push_profile.txt"
MESSAGES, QUICK_MESSAGES = 10_000, 1_000
# A second run where each FCM answer takes this long (a round trip to Google's edge from
# a regional server), on fewer messages: one at a time it is bound by the round trip.
LATENCY, LATENCY_MESSAGES, QUICK_LATENCY_MESSAGES = 0.030, 1_000, 200


def _queue(app, count: int, prefix: str) -> None:
    db = state.of(app).open_db()
    now = time.time()
    data = {"product_id": "product:1", "product_title": {"ar": "زربية"}, "quantity": 1}
    with write_transaction(db):
        db.execute(
            "INSERT OR IGNORE INTO devices (token, user_id, platform, locale, created_at, "
            "updated_at) VALUES ('bench-token', 'art_fatima', 'android', 'ar', 0, 0)"
        )
        db.conn.executemany(
            "INSERT INTO outbox (dedup_key, user_id, kind, data, collapse_key, priority, "
            "created_at, expires_at, next_attempt_at) VALUES (?, 'art_fatima', 'order_placed', "
            "?, ?, 'high', ?, ?, ?)",
            [
                (
                    f"{prefix}:{n}",
                    json.dumps({**data, "order_id": f"order:{prefix}{n}"}),
                    f"order:{prefix}{n}",
                    now,
                    now + 86400,
                    now,
                )
                for n in range(count)
            ],
        )
    db.close()


def measure(count: int, batch_size: int, latency: float = 0.0) -> dict:
    fake = FakeFCM().start()
    fake.latency = latency
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = fcm_app(Path(tmp), fake)
            try:
                dispatcher = make_dispatcher(state.of(app), policy=Policy(batch_size=batch_size))
                # Warm up (OAuth token, connections, imports) on one message, untimed.
                _queue(app, 1, "warm")
                dispatcher.run_until_idle()
                _queue(app, count, "bench")
                start = time.perf_counter()
                report = dispatcher.run_until_idle(max_passes=100_000)
                elapsed = time.perf_counter() - start
                delivered = len(fake.delivered()) - 1
            finally:
                close_firebase(app)
    finally:
        fake.stop()
    assert delivered == report.counts.get("sent") == count, (delivered, report.counts)
    return {
        "batch_size": batch_size,
        "messages": delivered,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(delivered / elapsed, 1),
        "send_each_calls": report.batches,
    }


def _table(title: str, batched: dict, single: dict) -> float:
    ratio = batched["messages_per_s"] / single["messages_per_s"]
    print(title)
    print(f"  {'mode':<16}{'messages':>10}{'seconds':>10}{'msg/s':>10}{'send calls':>12}")
    for name, r in (("batched (500)", batched), ("one at a time", single)):
        print(
            f"  {name:<16}{r['messages']:>10}{r['seconds']:>10}"
            f"{r['messages_per_s']:>10}{r['send_each_calls']:>12}"
        )
    print(f"  ratio batched / one at a time: {ratio:.1f}x")
    return round(ratio, 2)


def run(quick: bool = False) -> dict:
    count = QUICK_MESSAGES if quick else MESSAGES
    slow = QUICK_LATENCY_MESSAGES if quick else LATENCY_MESSAGES
    result: dict = {"benchmark": "push"}
    for name, n, latency in (("loopback", count, 0.0), ("latency", slow, LATENCY)):
        batched, single = measure(n, 500, latency), measure(n, 1, latency)
        title = (
            f"push: {n} queued notifications, firebase-admin -> fake FCM "
            f"answering in {latency * 1000:.0f} ms"
        )
        ratio = _table(title, batched, single)
        result[name] = {"latency_s": latency, "batched": batched, "single": single, "ratio": ratio}
    print(json.dumps(result))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2))
    return result


def profile(quick: bool = False) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    measure(QUICK_MESSAGES if quick else MESSAGES, 500)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()

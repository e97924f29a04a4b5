"""The background work of a serving process, built and started from here only: the push
dispatcher (outbox to FCM), the replication worker (store to CouchDB hub) and the flush
of the pages' view counts (api/services/analytics/counter.py). The
``dispatch`` and ``replicate`` commands run the same objects in the foreground."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Flask

from sync.replication.worker import Backoff, ReplicationWorker
from sync.rules import resolution

from . import state
from .config import Settings
from .services import list_index, media_replication, order_feed
from .services.analytics.counter import ViewCounter
from .services.bulk import feed as bulk_feed
from .services.insights import digest as insights_digest
from .services.insights import summary as insights_summary
from .services.push import digest
from .services.push.dispatcher import Dispatcher, Policy
from .services.push.transport_console import ConsoleTransport
from .services.training import feed as training_feed
from .state import Hirfa

log = logging.getLogger("hirfa.workers")
_replication_lock = threading.Lock()


# --- push ---------------------------------------------------------------------------


def push_transport(hirfa: Hirfa) -> Any:
    """FCM through firebase-admin when credentials are configured, else the console."""
    if hirfa.push_transport is None:
        firebase = hirfa.firebase()
        if firebase is None:
            hirfa.push_transport = ConsoleTransport()
        else:
            # Imported only with credentials: firebase-admin's messaging and requests
            # take about 0.17 s to import, which every `flask` command would pay.
            from .services.push.transport_fcm import FCMTransport

            hirfa.push_transport = FCMTransport(firebase, hirfa.settings.fcm_endpoint)
    return hirfa.push_transport


def make_dispatcher(
    hirfa: Hirfa,
    *,
    transport: Any = None,
    clock: Callable[[], float] = time.time,
    wait: Callable[[float], Any] | None = None,
    policy: Policy | None = None,
) -> Dispatcher:
    settings = hirfa.settings
    policy = policy or Policy(
        batch_size=settings.push_batch_size,
        max_attempts=settings.push_max_attempts,
        backoff_seconds=settings.push_backoff_seconds,
        backoff_max_seconds=settings.push_backoff_max_seconds,
        idle_seconds=settings.push_idle_seconds,
    )
    last_digest = [float("-inf")]
    last_insights = [float("-inf")]

    def before_pass(db, now: float) -> None:
        # Orders that changed by sync or replication get their notifications here too.
        order_feed.process(hirfa.store(db), settings.media_dir)
        training_feed.process(hirfa.store(db), settings.public_url)
        bulk_feed.process(hirfa.store(db))
        # The lists' index follows what phones and the hub wrote, so the next list read
        # does not pay for catching up (api/services/list_index.py).
        list_index.follow(db)
        if now - last_digest[0] >= settings.push_digest_seconds:
            digest.queue_uploads_waiting(db, now)
            last_digest[0] = now
        # Artisans' insights documents and the weekly insights push, at most hourly
        # (api/services/insights/): each written or queued only when it has news.
        if now - last_insights[0] >= insights_summary.EVERY_SECONDS:
            insights_summary.refresh(hirfa.store(db), now)
            insights_digest.queue_weekly(db, now)
            last_insights[0] = now

    return Dispatcher(
        hirfa.open_db,
        transport or push_transport(hirfa),
        policy,
        clock=clock,
        wait=wait,
        before_pass=before_pass,
    )


def announce_push(hirfa: Hirfa) -> None:
    """Say at start-up (`dispatch`, `serve`) that messages only go to the log."""
    if not hirfa.settings.firebase_credentials:
        click.echo("Push: no Firebase credentials; messages are logged to the console")


def start_dispatcher(app: Flask) -> Dispatcher | None:
    """The dispatcher thread `serve` runs, unless HIRFA_PUSH_DISPATCHER is off."""
    hirfa = state.of(app)
    if not hirfa.settings.push_dispatcher:
        return None
    announce_push(hirfa)
    dispatcher = make_dispatcher(hirfa)
    dispatcher.start()
    return dispatcher


# --- replication ----------------------------------------------------------------------


def local_types(settings: Settings) -> list[str]:
    """Document types kept off the hub (HIRFA_REPLICATION_LOCAL_TYPES)."""
    return [t.strip() for t in settings.replication_local_types.split(",") if t.strip()]


def make_worker(
    hirfa: Hirfa,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Any] | None = None,
    rng: random.Random | None = None,
) -> ReplicationWorker:
    """The replication worker with every setting; it sees every channel and wakes the
    phones' longpolls when it writes."""
    settings = hirfa.settings
    store = hirfa.store(hirfa.open_db())
    try:
        published, written = media_replication.catch_up(store, settings.media_dir)
    finally:
        store.db.close()
    if published or written:
        log.info("photos for the hub: %d media documents, %d folders written", published, written)
    return ReplicationWorker(
        lambda: hirfa.store(hirfa.open_db()),
        settings.couchdb_url,
        batch_size=settings.replication_batch_size,
        local_types=local_types(settings),
        timeout_s=settings.replication_timeout_seconds,
        heartbeat_ms=settings.replication_heartbeat_ms,
        backoff=Backoff(
            settings.replication_backoff_min_seconds,
            settings.replication_backoff_max_seconds,
            rng,
        ),
        clock=clock,
        sleep=sleep,
        rules=resolution.RULES,
        arrived=lambda store, ids: media_replication.materialise(store, settings.media_dir, ids),
    )


def replication_enabled(settings: Settings) -> bool:
    if not settings.couchdb_url or settings.replication_worker == "off":
        return False
    return settings.replication_worker == "on" or settings.env != "testing"


def start_replication(app: Flask) -> ReplicationWorker | None:
    """Start the app's replication worker once (None when replication is off)."""
    hirfa = state.of(app)
    if not replication_enabled(hirfa.settings):
        return None
    worker = hirfa.replication_worker
    if worker is not None and worker.running:
        return worker
    with _replication_lock:
        worker = hirfa.replication_worker
        if worker is None or not worker.running:
            worker = hirfa.replication_worker = make_worker(hirfa).start()
    return worker


# --- one place --------------------------------------------------------------------------


@dataclass
class Running:
    """What `serve` started, to stop on the way out."""

    dispatcher: Dispatcher | None
    replication: ReplicationWorker | None
    view_counter: ViewCounter | None = None

    def stop(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.stop()
        if self.replication is not None:
            self.replication.stop()
        if self.view_counter is not None:
            self.view_counter.stop()  # writes the last seconds of counts


def start_view_counter(app: Flask) -> ViewCounter | None:
    """The thread writing the pages' view counts (api/services/analytics/counter.py),
    unless HIRFA_COUNT_VIEWS is off."""
    counter = state.of(app).view_counter
    return counter.start() if counter.enabled else None


def start_all(app: Flask) -> Running:
    """Everything `serve` runs beside the server: the dispatcher, the hub worker and the
    view counter's flush."""
    return Running(start_dispatcher(app), start_replication(app), start_view_counter(app))


def init_app(app: Flask) -> None:
    """With HIRFA_COUCHDB_URL set, the hub worker starts with the first request this
    process serves, under any WSGI server; not when the app is built, since every
    `flask` command builds it too. Off in testing unless HIRFA_REPLICATION_WORKER=on."""
    if replication_enabled(state.of(app).settings):
        app.before_request(lambda: start_replication(app) and None)

"""`flask --app api dispatch`: send the queued push notifications; and the dispatcher
that `serve` runs in a thread."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from sync.access import channels_for
from sync.store import DocumentStore

from .services import order_feed
from .services.push import digest
from .services.push.dispatcher import Dispatcher, Policy
from .services.push.transport_console import ConsoleTransport

log = logging.getLogger("hirfa.push")


def push_transport(hirfa) -> Any:
    """FCM through firebase-admin when credentials are configured, else the console."""
    if hirfa.push_transport is None:
        firebase = hirfa.firebase()
        if firebase is None:
            hirfa.push_transport = ConsoleTransport()
        else:
            from .services.push.transport_fcm import FCMTransport

            hirfa.push_transport = FCMTransport(firebase, hirfa.settings.fcm_endpoint)
    return hirfa.push_transport


def make_dispatcher(
    hirfa,
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

    def before_pass(db, now: float) -> None:
        # Orders that changed by sync or replication get their notifications here too.
        store = DocumentStore(
            db, channels_for, revs_limit=settings.sync_revs_limit, notifier=hirfa.notifier
        )
        order_feed.process(store)
        if now - last_digest[0] >= settings.push_digest_seconds:
            digest.queue_uploads_waiting(db, now)
            last_digest[0] = now

    return Dispatcher(
        hirfa.open_db,
        transport or push_transport(hirfa),
        policy,
        clock=clock,
        wait=wait,
        before_pass=before_pass,
    )


def announce(hirfa) -> None:
    """Say at start-up (`dispatch`, `serve`) that messages only go to the log."""
    if not hirfa.settings.firebase_credentials:
        click.echo("Push: no Firebase credentials; messages are logged to the console")


@click.command("dispatch")
@with_appcontext
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def dispatch(once: bool) -> None:
    """Send queued push notifications (FCM, or the console without credentials)."""
    hirfa = current_app.extensions["hirfa"]
    announce(hirfa)
    dispatcher = make_dispatcher(hirfa)
    if once:
        report = dispatcher.run_until_idle()
        click.echo(f"dispatched: {report.messages} messages, {report.counts or 'nothing due'}")
        return
    click.echo("dispatching; Ctrl-C to stop")
    try:
        dispatcher.run_forever()
    except KeyboardInterrupt:
        dispatcher.stop_event.set()


def start_dispatcher(app: Flask) -> Dispatcher | None:
    """The dispatcher thread `serve` runs, unless HIRFA_PUSH_DISPATCHER is off."""
    hirfa = app.extensions["hirfa"]
    if not hirfa.settings.push_dispatcher:
        return None
    announce(hirfa)
    dispatcher = make_dispatcher(hirfa)
    dispatcher.start()
    return dispatcher


def register_push_cli(app: Flask) -> None:
    app.cli.add_command(dispatch)

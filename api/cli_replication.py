"""`flask --app api replicate`: reconcile with the CouchDB hub; and the worker that the
server runs in a thread when ``HIRFA_COUCHDB_URL`` is set."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from sync import resolution
from sync.access import channels_for
from sync.store import DocumentStore
from sync.worker import Backoff, ReplicationWorker, read_status

from .services import media_replication

_lock = threading.Lock()
log = logging.getLogger("hirfa.replication")


def local_types(settings) -> list[str]:
    return [t.strip() for t in settings.replication_local_types.split(",") if t.strip()]


def open_store(hirfa, db=None) -> DocumentStore:
    """The store as replication sees it: every channel, waking the phones' longpolls."""
    return DocumentStore(
        db if db is not None else hirfa.open_db(),
        channels_for,
        revs_limit=hirfa.settings.sync_revs_limit,
        max_attachment_bytes=hirfa.settings.sync_max_attachment_bytes,
        notifier=hirfa.notifier,
    )


def make_worker(
    hirfa,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Any] | None = None,
    rng: random.Random | None = None,
) -> ReplicationWorker:
    settings = hirfa.settings
    store = open_store(hirfa)
    try:
        published, written = media_replication.catch_up(store, settings.media_dir)
    finally:
        store.db.close()
    if published or written:
        log.info("photos for the hub: %d media documents, %d folders written", published, written)
    return ReplicationWorker(
        lambda: open_store(hirfa),
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


def worker_enabled(settings) -> bool:
    if not settings.couchdb_url or settings.replication_worker == "off":
        return False
    return settings.replication_worker == "on" or settings.env != "testing"


def start_worker(app: Flask) -> ReplicationWorker | None:
    """Start the app's replication worker once (None when replication is off)."""
    hirfa = app.extensions["hirfa"]
    if not worker_enabled(hirfa.settings):
        return None
    worker = getattr(hirfa, "replication_worker", None)
    if worker is not None and worker.running:
        return worker
    with _lock:
        worker = getattr(hirfa, "replication_worker", None)
        if worker is None or not worker.running:
            worker = hirfa.replication_worker = make_worker(hirfa).start()
    return worker


def _fmt_time(value: float | None) -> str:
    if value is None:
        return "never"
    ago = time.time() - value
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value))
    return f"{stamp} ({ago:.0f} s ago)" if ago >= 0 else f"{stamp} (in {-ago:.0f} s)"


def print_status(status: dict[str, Any]) -> None:
    click.echo(f"hub:              {status['remote']}")
    click.echo(f"state:            {status['state']}")
    if status.get("pid"):
        click.echo(
            f"worker process:   {status['pid']}, last heard {_fmt_time(status['updated_at'])}"
        )
    click.echo(f"last success:     {_fmt_time(status.get('last_success_at'))}")
    if status.get("state") == "backing_off":
        click.echo(f"failures:         {status['failures']} in a row")
        click.echo(f"next attempt:     {_fmt_time(status.get('next_retry_at'))}")
    if status.get("last_error"):
        click.echo(
            f"last error:       {status['last_error']} ({_fmt_time(status['last_error_at'])})"
        )
    pull = status.get("pending_pull")
    click.echo(f"pending to push:  {status['pending_push']} changes")
    click.echo(f"pending to pull:  {'unknown' if pull is None else pull} changes")
    click.echo(f"conflicts open:   {status['open_conflicts']} (listed for coordinators)")
    failed = status.get("doc_write_failures", 0)
    click.echo(f"write failures:   {failed} documents refused for good")
    for entry in status.get("write_failures", []) if failed else []:
        click.echo(
            f"  {entry.get('direction', '?')} {entry.get('id')}: "
            f"{entry.get('error')} {entry.get('reason', '')}".rstrip()
        )


@click.command("replicate")
@with_appcontext
@click.option("--status", "show_status", is_flag=True, help="Print the replication state and exit.")
@click.option("--once", is_flag=True, help="Replicate both ways once, then exit (1 on failure).")
def replicate(show_status: bool, once: bool) -> None:
    """Reconcile the store with the CouchDB hub (HIRFA_COUCHDB_URL), continuously until
    interrupted; it backs off while the hub is unreachable and resumes from its checkpoint."""
    hirfa = current_app.extensions["hirfa"]
    settings = hirfa.settings
    if not settings.couchdb_url:
        raise click.ClickException(
            "HIRFA_COUCHDB_URL is not set: there is no hub to replicate with."
        )
    if show_status:
        store = open_store(hirfa)
        try:
            print_status(read_status(store, settings.couchdb_url, local_types(settings)))
        finally:
            store.db.close()
        return
    worker = make_worker(hirfa)
    click.echo(f"replicating with {worker.client.safe_url} (Ctrl-C to stop)")
    if once:
        try:
            delay = worker.step()
            if worker.status["state"] == "waiting_for_lease":
                raise click.ClickException(worker.status["last_error"])
            print_status(read_status(worker.store, settings.couchdb_url, local_types(settings)))
        finally:
            worker.stop()
        if delay is not None:
            raise click.ClickException("replication failed; see the last error above")
        return
    try:
        worker.run()  # waits while another replicator (the server's worker) holds the lease
    except KeyboardInterrupt:
        worker.stop()


def register_replication_cli(app: Flask) -> None:
    app.cli.add_command(replicate)

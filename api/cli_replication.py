"""`flask --app api replicate`: reconcile with the CouchDB hub in the foreground, or show
its state (the worker itself is built in api/workers.py, which the server also starts)."""

from __future__ import annotations

import time
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from sync.replication.worker import read_status

from .state import hirfa
from .workers import local_types, make_worker


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
    state = hirfa()
    settings = state.settings
    if not settings.couchdb_url:
        raise click.ClickException(
            "HIRFA_COUCHDB_URL is not set: there is no hub to replicate with."
        )
    if show_status:
        store = state.store(state.open_db())
        try:
            print_status(read_status(store, settings.couchdb_url, local_types(settings)))
        finally:
            store.db.close()
        return
    worker = make_worker(state)
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


def init_app(app: Flask) -> None:
    app.cli.add_command(replicate)

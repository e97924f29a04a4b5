"""`flask --app api dispatch`: send the queued push notifications in the foreground (the
dispatcher itself is built in api/workers.py, which `serve` also starts)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .state import hirfa
from .workers import announce_push, make_dispatcher


@click.command("dispatch")
@with_appcontext
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def dispatch(once: bool) -> None:
    """Send queued push notifications (FCM, or the console without credentials)."""
    state = hirfa()
    announce_push(state)
    dispatcher = make_dispatcher(state)
    if once:
        report = dispatcher.run_until_idle()
        click.echo(f"dispatched: {report.messages} messages, {report.counts or 'nothing due'}")
        return
    click.echo("dispatching; Ctrl-C to stop")
    try:
        dispatcher.run_forever()
    except KeyboardInterrupt:
        dispatcher.stop_event.set()


def init_app(app: Flask) -> None:
    app.cli.add_command(dispatch)

"""`flask --app api ...` commands: init-db, create-user, serve; the others register here.

`seed` and `demo-accounts` come from the seed package, a Flask CLI plugin (entry point
``flask.commands`` in setup.cfg), since the app does not import its demo data."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from schemas.phones import InvalidPhone, normalise_phone

from . import cli_backup, cli_media, cli_push, cli_replication, cli_training, migrations, workers
from .errors import AppError
from .services import accounts
from .serving import KeepAliveRequestHandler
from .state import hirfa as _hirfa


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create the store and apply pending migrations (safe to run again)."""
    db = _hirfa().open_db()
    try:
        applied = migrations.migrate(db)
        versions = sorted(migrations.applied_versions(db))
    finally:
        db.close()
    click.echo(f"store: {_hirfa().settings.store_path}")
    click.echo(f"schema versions: {versions} (applied now: {applied or 'none, up to date'})")


@click.command("create-user")
@with_appcontext
@click.option(
    "--role",
    type=click.Choice(["admin", "coordinator", "artisan", "buyer"]),
    required=True,
    help="The account's role.",
)
@click.option("--phone", required=True, help="Phone number (any format; Morocco by default).")
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--secret", required=True, help="A PIN (4-8 digits) or a password (8+ chars).")
@click.option(
    "--cooperative",
    "cooperatives",
    multiple=True,
    help="Cooperative id (artisan: one; coordinator: one or more).",
)
@click.option(
    "--locale", default="ar", type=click.Choice(["ar", "fr", "en"]), help="Language of messages."
)
def create_user(role, phone, display_name, secret, cooperatives, locale) -> None:
    """Create an account, e.g. the first admin of a new server."""
    try:
        phone = normalise_phone(phone)
    except InvalidPhone as exc:
        raise click.BadParameter(str(exc), param_hint="--phone") from exc
    kind = "pin" if secret.isdigit() and len(secret) <= 8 else "password"
    db = _hirfa().open_db()
    try:
        user = accounts.create_user(
            db,
            _hirfa().hasher,
            role=role,
            phone=phone,
            display_name=display_name,
            secret=secret,
            secret_kind=kind,
            locale=locale,
            cooperative_id=cooperatives[0] if role == "artisan" and cooperatives else None,
            cooperative_ids=tuple(cooperatives) if role == "coordinator" else (),
        )
    except AppError as exc:
        raise click.ClickException(f"{exc.message} {exc.details or ''}") from exc
    finally:
        db.close()
    click.echo(f"created {user.role} {user.id} ({user.phone})")


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Serve the API (threaded, connections kept alive), printing the address and the demo
    accounts."""
    settings = _hirfa().settings
    click.echo(f"Hirfa ({settings.env}) — store {settings.store_path}")
    if not settings.couchdb_url:
        click.echo("CouchDB replica: off (set HIRFA_COUCHDB_URL to reconcile with a hub)")
    _print_demo_accounts()
    click.echo(f"API:        http://{host}:{port}/api/v1/")
    click.echo(f"Swagger UI: http://{host}:{port}/api/v1/docs")
    click.echo(f"Sync:       http://{host}:{port}/sync/")
    click.echo(f"Catalogue:  http://{host}:{port}/catalog   (coordinators: /review)")
    app = current_app._get_current_object()
    running = workers.start_all(app)
    if running.replication is not None:
        click.echo(f"CouchDB replica: {running.replication.client.safe_url} (worker started)")
    try:
        run_simple(host, port, app, threaded=True, request_handler=KeepAliveRequestHandler)
    finally:
        running.stop()


def _print_demo_accounts() -> None:
    """The demo accounts, when the seed plugin's `demo-accounts` command is installed (it
    is with `pip install -e .`); the app itself knows nothing of the demo data."""
    ctx = click.get_current_context()
    group = ctx.find_root().command
    command = group.get_command(ctx.find_root(), "demo-accounts") if group else None
    if command is not None:
        ctx.invoke(command)


def init_app(app: Flask) -> None:
    for command in (init_db, create_user, serve):
        app.cli.add_command(command)
    for part in (cli_push, cli_replication, cli_backup, cli_media, cli_training):
        part.init_app(app)

"""`flask --app api ...` commands: init-db, seed, create-user, serve; the others register here."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from sync import migrations


def _hirfa():
    return current_app.extensions["hirfa"]


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


@click.command("seed")
@click.option(
    "--products/--no-products",
    default=True,
    show_default=True,
    help="Also create demo listings with photos in every status.",
)
@with_appcontext
def seed_command(products: bool) -> None:
    """Load the demo cooperatives, accounts and listings (existing ones are kept)."""
    from seed import populate
    from seed.demo_products import populate_products

    settings = _hirfa().settings
    db = _hirfa().open_db()
    try:
        created = populate(db, _hirfa().hasher)
        if products:
            created["products"] = populate_products(
                db, settings.media_dir, settings.media_max_pixels
            )
    finally:
        db.close()
    click.echo(f"seeded: {created}")


@click.command("demo-accounts")
@with_appcontext
def demo_accounts() -> None:
    """Print the demo sign-in details."""
    from seed import demo_sign_ins

    click.echo("Demo accounts (POST /api/v1/auth/login with phone + pin/password):")
    for role, name, phone, secret in demo_sign_ins():
        kind = "pin" if role == "artisan" else "password"
        click.echo(f"  {role:<12} {phone:<15} {kind + ' ' + secret:<26} {name}")


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
    from .errors import AppError
    from .services import accounts
    from .services.phones import InvalidPhone, normalise_phone

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
    """Serve the API (threaded), printing the address and the demo accounts."""
    from werkzeug.serving import run_simple

    settings = _hirfa().settings
    click.echo(f"Hirfa ({settings.env}) — store {settings.store_path}")
    if not settings.couchdb_url:
        click.echo("CouchDB replica: off (set HIRFA_COUCHDB_URL to reconcile with a hub)")
    demo_accounts.callback()
    click.echo(f"API:        http://{host}:{port}/api/v1/")
    click.echo(f"Swagger UI: http://{host}:{port}/api/v1/docs")
    click.echo(f"Sync:       http://{host}:{port}/sync/")
    click.echo(f"Catalogue:  http://{host}:{port}/catalog   (coordinators: /review)")
    from .cli_push import start_dispatcher

    dispatcher = start_dispatcher(current_app._get_current_object())
    from .cli_replication import start_worker

    replication = start_worker(current_app._get_current_object())
    if replication is not None:
        click.echo(f"CouchDB replica: {replication.client.safe_url} (worker started)")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        if replication is not None:
            replication.stop()


def register_cli(app: Flask) -> None:
    for command in (init_db, seed_command, demo_accounts, create_user, serve):
        app.cli.add_command(command)
    from .cli_push import register_push_cli

    register_push_cli(app)
    from .cli_replication import register_replication_cli

    register_replication_cli(app)
    from .cli_backup import register_backup_cli

    register_backup_cli(app)

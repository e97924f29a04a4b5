"""`flask --app api seed` and `demo-accounts`: a Flask CLI plugin (entry point
``flask.commands`` in setup.cfg), because the app below does not import its demo data.
`serve` prints the demo accounts through this plugin when it is installed."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from api.state import hirfa

from . import demo_sign_ins, populate
from .bulk import populate_bulk
from .demo_products import populate_products
from .insights import populate_insights
from .training import populate_training
from .visits import populate_visits


@click.command("seed")
@click.option(
    "--products/--no-products",
    default=True,
    show_default=True,
    help="Also create demo listings with photos in every status.",
)
@click.option(
    "--ledger/--no-ledger",
    default=True,
    show_default=True,
    help="Also create demo materials and three months of their movements.",
)
@click.option(
    "--training/--no-training",
    default=True,
    show_default=True,
    help="Also create two demo courses, and a demo artisan's certificate.",
)
@click.option(
    "--visits/--no-visits",
    default=True,
    show_default=True,
    help="Also create demo workshops with sessions in the coming weeks, and visiting hours.",
)
@click.option(
    "--insights/--no-insights",
    default=True,
    show_default=True,
    help="Also create twelve weeks of demo page views for the approved listings and the "
    "cooperatives' pages.",
)
@click.option(
    "--bulk/--no-bulk",
    default=True,
    show_default=True,
    help="Also create a demo bulk order of forty baskets shared among three artisans, "
    "with its checks, a delivered parcel and payments.",
)
@with_appcontext
def seed_command(
    products: bool, ledger: bool, training: bool, visits: bool, insights: bool, bulk: bool
) -> None:
    """Load the demo cooperatives, accounts, materials, listings and courses (existing
    ones are kept)."""
    state = hirfa()
    settings = state.settings
    db = state.open_db()
    try:
        created = populate(db, state.hasher, ledger=ledger)
        if products:
            created["products"] = populate_products(
                state.store(db), settings.media_dir, settings.media_max_pixels
            )
        if training:
            created.update(
                populate_training(
                    state.store(db),
                    settings.media_dir,
                    settings.media_max_pixels,
                    settings.audio_max_bytes,
                    settings.audio_max_seconds,
                    settings.public_url,
                )
            )
        if visits:
            created.update(populate_visits(state.store(db)))
        if insights:
            created.update(populate_insights(db))
        if bulk:
            created.update(populate_bulk(state.store(db), state.hasher))
    finally:
        db.close()
    click.echo(f"seeded: {created}")


@click.command("demo-accounts")
@with_appcontext
def demo_accounts() -> None:
    """Print the demo sign-in details."""
    click.echo("Demo accounts (POST /api/v1/auth/login with phone + pin/password):")
    for role, name, phone, secret in demo_sign_ins():
        kind = "pin" if role == "artisan" else "password"
        click.echo(f"  {role:<12} {phone:<15} {kind + ' ' + secret:<26} {name}")

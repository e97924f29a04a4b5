"""`flask --app api purge-uploads`: remove abandoned uploads and leftover work files."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .services import media, uploads
from .state import hirfa


@click.command("purge-uploads")
@with_appcontext
def purge_uploads() -> None:
    """Delete expired tus uploads, their partial files and stale processing directories."""
    state = hirfa()
    settings = state.settings
    space = uploads.UploadSpace.from_settings(settings)
    db = state.open_db()
    try:
        purged = uploads.purge_expired(db, space)
    finally:
        db.close()
    leftovers = media.purge_temp(settings.media_dir)
    click.echo(f"purged {purged} expired upload(s), {leftovers} leftover work dir(s)")


def init_app(app: Flask) -> None:
    app.cli.add_command(purge_uploads)

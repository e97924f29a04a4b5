"""`flask --app api purge-uploads`: remove abandoned uploads and leftover work files."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .services import media, uploads


@click.command("purge-uploads")
@with_appcontext
def purge_uploads() -> None:
    """Delete expired tus uploads, their partial files and stale processing directories."""
    hirfa = current_app.extensions["hirfa"]
    settings = hirfa.settings
    space = uploads.UploadSpace.from_settings(settings)
    db = hirfa.open_db()
    try:
        purged = uploads.purge_expired(db, space)
    finally:
        db.close()
    leftovers = media.purge_temp(settings.media_dir)
    click.echo(f"purged {purged} expired upload(s), {leftovers} leftover work dir(s)")


def register_media_cli(app: Flask) -> None:
    app.cli.add_command(purge_uploads)

"""`flask --app api backup` and `restore`: a checked copy of the store and its photos."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from .services import backup
from .state import hirfa


def _describe(manifest: backup.Manifest) -> str:
    made = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(manifest.created_at))
    return (
        f"made {made}; sequence {manifest.update_seq}; {manifest.documents} live documents; "
        f"{manifest.media_files} photo files; {manifest.total_bytes:,} bytes; "
        f"schema versions {manifest.schema_versions}"
    )


@click.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(dest: Path) -> None:
    """Write a consistent, checked backup of the store and photos to the new folder DEST
    (safe while the server is serving)."""
    settings = hirfa().settings
    try:
        manifest = backup.create_backup(settings.store_path, settings.media_dir, dest)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written to {dest}: {_describe(manifest)}")


@click.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--replace", is_flag=True, help="Put the backup in place of an existing store.")
@click.option("--check", "check_only", is_flag=True, help="Only verify the backup.")
@with_appcontext
def restore_command(source: Path, replace: bool, check_only: bool) -> None:
    """Verify the backup in SOURCE and restore it; stop the server first.

    The restored store gets a new server identity, so phones and the CouchDB hub
    compare their whole history with it again and send back what it lost."""
    settings = hirfa().settings
    try:
        if check_only:
            manifest = backup.verify_backup(source)
            click.echo(f"backup {source} is sound: {_describe(manifest)}")
            return
        manifest, aside = backup.restore_backup(
            source, settings.store_path, settings.media_dir, replace=replace
        )
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {source} to {settings.store_path}: {_describe(manifest)}")
    if aside is not None:
        click.echo(f"the store it replaced is kept in {aside}; delete it once you are sure")


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)

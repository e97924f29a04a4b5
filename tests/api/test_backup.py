"""Backups and restores as an operator makes them: `flask --app api backup` while serving,
`restore --check`, `restore --replace` with the server stopped, and what comes back after."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from api import create_app
from api.services import backup, media
from sync.replication.couch import CouchClient
from sync.replication.replicator import Replicator
from tests.support.apps import make_config
from tests.support.listings import Listings
from tests.support.replication import new_store, product


@pytest.fixture
def listings(app, client):
    return Listings(app, client)


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def server_uuid(path: str | Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM server_info WHERE key = 'uuid'").fetchone()[0]
    finally:
        conn.close()


def stop(app) -> None:
    """What stopping the server does to the store: every connection closed."""
    app.extensions["hirfa"].pool.close()


def test_backup_then_restore_brings_back_that_state(app, client, listings, tmp_path):
    settings = app.extensions["hirfa"].settings
    photo_id, sha = listings.photo()
    kept = listings.product(status="draft", title={"fr": "Tajine"}, photos=[photo_id])
    before = client.get(f"/api/v1/products/{kept}", headers=listings.auth.headers("artisan"))
    old_uuid = server_uuid(settings.store_path)

    made = cli(app, "backup", str(tmp_path / "b1"))
    assert made.exit_code == 0, made.output
    assert "photo files" in made.output
    manifest = json.loads((tmp_path / "b1" / "manifest.json").read_text())
    assert any(name.startswith(f"media/{sha[:2]}/{sha}/") for name in manifest["files"])
    # The backup is one file: nothing of the WAL is needed to read it.
    assert not (tmp_path / "b1" / "hirfa.sqlite3-wal").exists()

    lost = listings.product(status="draft", title={"fr": "Made after the backup"})
    stop(app)
    refused = cli(app, "restore", str(tmp_path / "b1"))
    assert refused.exit_code != 0 and "--replace" in refused.output
    restored = cli(app, "restore", "--replace", str(tmp_path / "b1"))
    assert restored.exit_code == 0, restored.output
    assert "kept in" in restored.output  # the replaced store, moved aside

    again = create_app(make_config(tmp_path)).test_client()
    headers = listings.auth.headers("artisan")  # the accounts came back with the store
    got = again.get(f"/api/v1/products/{kept}", headers=headers)
    assert got.status_code == 200
    assert got.headers["ETag"] == before.headers["ETag"]  # the same revision
    assert again.get(f"/api/v1/products/{lost}", headers=headers).status_code == 404
    with again.get(f"/media/{sha}/thumb") as served:
        assert served.status_code == 200
    # A new identity, so replication ids change and clients compare everything again.
    assert server_uuid(settings.store_path) != old_uuid


def test_restore_adds_missing_photos(app, listings, tmp_path):
    settings = app.extensions["hirfa"].settings
    _, sha = listings.photo()
    assert cli(app, "backup", str(tmp_path / "b")).exit_code == 0
    stop(app)
    folder = Path(settings.media_dir) / sha[:2]
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    assert cli(app, "restore", "--replace", str(tmp_path / "b")).exit_code == 0
    assert any((Path(settings.media_dir) / sha[:2] / sha).iterdir())


def test_a_backup_is_consistent_while_a_write_is_open(app, tmp_path):
    """The online backup copies committed state only, and does not wait for the writer."""
    settings = app.extensions["hirfa"].settings
    writer = sqlite3.connect(settings.store_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE store_meta SET value = value + 1000 WHERE key = 'update_seq'")
    try:
        manifest = backup.create_backup(settings.store_path, settings.media_dir, tmp_path / "b")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    seq = sqlite3.connect(settings.store_path).execute(
        "SELECT value FROM store_meta WHERE key = 'update_seq'"
    )
    assert manifest.update_seq == int(seq.fetchone()[0])


def test_a_damaged_backup_is_refused_and_the_store_is_untouched(app, listings, tmp_path):
    _, sha = listings.photo()
    assert cli(app, "backup", str(tmp_path / "b")).exit_code == 0
    marker = listings.product(status="draft", title={"fr": "still here"})
    stop(app)
    victim = next((tmp_path / "b" / "media" / sha[:2] / sha).iterdir())
    victim.write_bytes(victim.read_bytes()[:-1] + b"!")

    checked = cli(app, "restore", "--check", str(tmp_path / "b"))
    assert checked.exit_code != 0 and "damaged" in checked.output
    assert cli(app, "restore", "--replace", str(tmp_path / "b")).exit_code != 0
    again = create_app(make_config(tmp_path)).test_client()
    got = again.get(f"/api/v1/products/{marker}", headers=listings.auth.headers("artisan"))
    assert got.status_code == 200  # the refused restore changed nothing


@pytest.mark.parametrize("damage", ["no manifest", "newer schema", "escaping path", "not sqlite"])
def test_unfit_backups_are_refused_with_a_reason(app, tmp_path, damage):
    settings = app.extensions["hirfa"].settings
    folder = tmp_path / "b"
    backup.create_backup(settings.store_path, settings.media_dir, folder)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if damage == "no manifest":
        manifest_path.unlink()
        expected = "not a finished"
    elif damage == "newer schema":
        manifest["schema_versions"].append(999)
        manifest_path.write_text(json.dumps(manifest))
        expected = "999"
    elif damage == "escaping path":
        manifest["files"]["../outside"] = {"bytes": 1, "sha256": "0" * 64}
        manifest_path.write_text(json.dumps(manifest))
        expected = "outside"
    else:
        store = folder / "hirfa.sqlite3"
        store.write_bytes(b"not a database" * 100)
        manifest["files"]["hirfa.sqlite3"] = backup._entry(store)
        manifest_path.write_text(json.dumps(manifest))
        expected = "SQLite"
    with pytest.raises(backup.BackupError, match=expected):
        backup.verify_backup(folder)


def test_backups_never_overwrite_and_cut_backups_leave_no_folder(app, tmp_path, monkeypatch):
    settings = app.extensions["hirfa"].settings
    (tmp_path / "taken").mkdir()
    assert "already exists" in cli(app, "backup", str(tmp_path / "taken")).output

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(backup.shutil, "copyfile", disk_full)
    media = Path(settings.media_dir) / "ab" / ("ab" * 32)
    media.mkdir(parents=True)
    (media / "thumb.webp").write_bytes(b"x")
    with pytest.raises(OSError):
        backup.create_backup(settings.store_path, settings.media_dir, tmp_path / "cut")
    assert sorted(p.name for p in tmp_path.iterdir() if "cut" in p.name) == []


def test_the_hub_gives_back_what_a_restore_lost(tmp_path, pouchdb_server):
    """What the server acknowledged after its last backup is not lost with the disk when
    the hub has it: the first pull after the restore brings it back."""
    hub = pouchdb_server.new_db()
    try:
        path = tmp_path / "store.sqlite3"
        store = new_store(path)
        store.put(product(1))
        Replicator(store, CouchClient(hub)).push()
        manifest = backup.create_backup(path, tmp_path / "media", tmp_path / "b")
        assert manifest.documents == 1
        store.put(product(2))  # acknowledged to a phone, then the disk dies
        Replicator(store, CouchClient(hub)).push()
        store.db.close()

        backup.restore_backup(tmp_path / "b", path, tmp_path / "media", replace=True)
        restored = new_store(path)
        assert restored.row("product:2") is None
        stats = Replicator(restored, CouchClient(hub)).pull()
        assert stats.docs_written == 1
        assert restored.get_doc("product:2")["title"] == {"fr": "Zerbia 2"}
        restored.db.close()
    finally:
        pouchdb_server.delete_db(hub)


def _store_with_commits_only_in_its_wal(folder: Path) -> Path:
    """A store as a crash leaves it: committed rows still in the WAL, not yet checkpointed."""
    folder.mkdir()
    live = folder / "live.sqlite3"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute("CREATE TABLE kept (v TEXT)")
    writer.execute("INSERT INTO kept VALUES ('acknowledged to a phone')")
    crashed = folder / "hirfa.sqlite3"
    for suffix in ("", "-wal"):
        shutil.copyfile(str(live) + suffix, str(crashed) + suffix)
    writer.close()
    return crashed


def test_a_restore_that_fails_leaves_the_old_store_and_its_wal(app, tmp_path, monkeypatch):
    settings = app.extensions["hirfa"].settings
    backup.create_backup(settings.store_path, settings.media_dir, tmp_path / "b")
    store = _store_with_commits_only_in_its_wal(tmp_path / "server")

    def refuse(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(backup.os, "replace", refuse)
    with pytest.raises(OSError):
        backup.restore_backup(tmp_path / "b", store, tmp_path / "media", replace=True)
    rows = sqlite3.connect(store).execute("SELECT v FROM kept").fetchall()
    assert rows == [("acknowledged to a phone",)]


def test_the_store_a_restore_replaced_is_kept_aside(app, tmp_path):
    settings = app.extensions["hirfa"].settings
    backup.create_backup(settings.store_path, settings.media_dir, tmp_path / "b")
    store = _store_with_commits_only_in_its_wal(tmp_path / "server")
    backup.restore_backup(tmp_path / "b", store, tmp_path / "media", replace=True)
    [aside] = (tmp_path / "server").glob("hirfa.sqlite3.before-restore-*")
    rows = sqlite3.connect(aside / "hirfa.sqlite3").execute("SELECT v FROM kept").fetchall()
    assert rows == [("acknowledged to a phone",)]
    assert not (tmp_path / "server" / "hirfa.sqlite3-wal").exists()


def test_a_restore_cut_short_leaves_no_photo_that_looks_whole(app, listings, tmp_path, monkeypatch):
    settings = app.extensions["hirfa"].settings
    _, sha = listings.photo()
    backup.create_backup(settings.store_path, settings.media_dir, tmp_path / "b")
    real_copy = shutil.copyfile

    def fail_on_the_last_file(src, dst, *args, **kwargs):
        if Path(src).name == "thumb.webp":  # the last of the photo's files, by name
            raise OSError(28, "No space left on device")
        return real_copy(src, dst, *args, **kwargs)

    monkeypatch.setattr(backup.shutil, "copyfile", fail_on_the_last_file)
    media_dir = tmp_path / "new-media"
    with pytest.raises(OSError):
        backup.restore_backup(tmp_path / "b", tmp_path / "new.sqlite3", media_dir)
    assert not (media_dir / sha[:2] / sha).exists()  # nothing half there under its name
    monkeypatch.setattr(backup.shutil, "copyfile", real_copy)
    backup.restore_backup(tmp_path / "b", tmp_path / "new.sqlite3", media_dir, replace=True)
    assert media.load(media_dir, sha) is not None  # the retried restore completes it

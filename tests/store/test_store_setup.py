"""The store: migrations, durability settings, configuration."""

from __future__ import annotations

import threading

import pytest
from flask.cli import FlaskGroup

from api import migrations
from api.config import ConfigError, Settings, load_settings
from sync.store.database import connect, write_transaction


def test_migrations_are_idempotent(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    first = migrations.migrate(db)
    assert first == [m[0] for m in migrations.MIGRATIONS]
    assert migrations.migrate(db) == []
    assert migrations.pending(db) == []


def test_pragmas_for_durability(tmp_path):
    db = connect(tmp_path / "s.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_readyz_reports_pending_migrations(app, client, db):
    db.execute("DELETE FROM schema_migrations WHERE version = 1")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["pending_migrations"] == [1]


def test_production_refuses_to_start_without_a_key(tmp_path, monkeypatch):
    monkeypatch.delenv("HIRFA_JWT_SIGNING_KEY", raising=False)
    with pytest.raises(ConfigError, match="HIRFA_JWT_SIGNING_KEY"):
        load_settings({"env": "production", "var_dir": str(tmp_path)})


def test_development_key_is_generated_once_and_kept(tmp_path):
    a = load_settings({"env": "development", "var_dir": str(tmp_path)})
    b = load_settings({"env": "development", "var_dir": str(tmp_path)})
    assert a.jwt_signing_key == b.jwt_signing_key and len(a.jwt_signing_key) == 64
    assert (tmp_path / "jwt_signing_key").stat().st_mode & 0o077 == 0


def test_settings_from_environment():
    settings = Settings.from_env(
        {
            "HIRFA_ACCESS_TOKEN_SECONDS": "60",
            "HIRFA_TRUST_PROXY": "yes",
            "HIRFA_COUCHDB_URL": "http://hub:5984/hirfa",
        }
    )
    assert settings.access_token_seconds == 60 and settings.trust_proxy is True
    assert settings.couchdb_url == "http://hub:5984/hirfa"
    with pytest.raises(ConfigError, match="HIRFA_MAX_REQUEST_BYTES"):
        Settings.from_env({"HIRFA_MAX_REQUEST_BYTES": "lots"})


def test_cli_commands_have_help(app):
    # As `flask --app api` sees them: the app's commands and the seed plugin's
    # (entry points in setup.cfg).
    group = FlaskGroup(create_app=lambda: app)
    runner = app.test_cli_runner()
    for name in ("init-db", "seed", "create-user", "demo-accounts", "serve"):
        result = runner.invoke(group, [name, "--help"])
        assert result.exit_code == 0 and len(result.output) > 40, name


def test_cli_create_user(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "admin",
            "--phone",
            "0655443322",
            "--name",
            "Ops",
            "--secret",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "+212655443322" in result.output
    again = runner.invoke(
        args=[
            "create-user",
            "--role",
            "admin",
            "--phone",
            "0655443322",
            "--name",
            "Ops",
            "--secret",
            "a-long-password",
        ]
    )
    assert again.exit_code != 0 and "already exists" in again.output


def test_writers_of_one_store_take_turns(tmp_path):
    """Two connections' writers take turns through the process's writer queue
    (sync/store/database.py, _writers_of): the second waits for the first commit, is not
    refused as busy, and sees what the first wrote. (What the queue gains, the tail
    latency, is measured in bench/compact_ingest.py, not here.)"""
    first, second = connect(tmp_path / "s.sqlite3"), connect(tmp_path / "s.sqlite3")
    first.execute("CREATE TABLE t (v INTEGER)")
    inside, go_on, done = threading.Event(), threading.Event(), []

    def hold():
        with write_transaction(first):
            first.execute("INSERT INTO t VALUES (1)")
            inside.set()
            go_on.wait(10)

    def follow():
        inside.wait(10)
        with write_transaction(second):
            done.append(second.execute("SELECT count(*) FROM t").fetchone()[0])
            second.execute("INSERT INTO t VALUES (2)")

    holder, follower = threading.Thread(target=hold), threading.Thread(target=follow)
    holder.start()
    follower.start()
    inside.wait(10)
    assert done == []  # still queued behind the open transaction
    go_on.set()
    holder.join(10)
    follower.join(10)
    assert done == [1]  # it wrote after the first commit, and saw it
    assert first.execute("SELECT count(*) FROM t").fetchone()[0] == 2
    first.close()
    second.close()

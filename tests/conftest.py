"""Real parts for every test: a temp SQLite file, the real app and its test client.

The helpers these fixtures use (``make_config``, ``DEMO``, ``Auth``) live in
tests/support/apps.py; test modules import them from there.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.support.apps import Auth, make_app

# `make fuzz` sets HYPOTHESIS_PROFILE=fuzz: many more examples for the property tests
# that follow the profile (differential, replicator merges, hub and spokes).
settings.register_profile("fuzz", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# Fixtures that start real servers (pouchdb-server from npm, Hirfa over HTTP, a fake FCM,
# headless Chromium), for every test module without importing them.
pytest_plugins = [
    "tests.support.pouchdb_server",
    "tests.support.live_server",
    "tests.support.fake_fcm",
    "tests.support.orders",
    "tests.support.browser",
]


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    conn = app.extensions["hirfa"].open_db()
    yield conn
    conn.close()


@pytest.fixture
def auth(client):
    return Auth(client)

"""The plugin's tests: a live Hirfa, its store, and hirfa-sync devices signed in as the
demo artisan (tests/support/plugin_device.py)."""

from __future__ import annotations

import pytest

from tests.support.apps import DEMO
from tests.support.compact import store_of
from tests.support.live_server import LiveServer
from tests.support.plugin_device import PluginDevice, require_plugin


@pytest.fixture
def server(tmp_path):
    require_plugin()
    live = LiveServer(tmp_path / "server").start()
    yield live
    live.stop()


@pytest.fixture
def store(server):
    store = store_of(server)
    yield store
    store.db.close()


@pytest.fixture
def token(server):
    """``token("artisan")``: a bearer token of a demo account."""

    def sign_in(who: str = "artisan") -> str:
        phone, secret = DEMO[who]
        return server.token(phone, **secret)

    return sign_in


@pytest.fixture
def device(tmp_path):
    """``device("phone-a")``: a hirfa-sync device with its own state directory."""
    return lambda name: PluginDevice(tmp_path / name, name)

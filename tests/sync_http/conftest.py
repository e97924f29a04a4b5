"""The sync HTTP face's tests: ``server``, a live Hirfa server over real HTTP for the
reference clients (tests/support/compact.py)."""

from __future__ import annotations

import pytest

from tests.support.live_server import LiveServer


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path).start()
    yield live
    live.stop()

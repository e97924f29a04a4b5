"""A real Hirfa HTTP server on a free loopback port, for real clients (PouchDB, tuspy).

The server can be stopped and started again on the same port and store file, to
stand in for a server that goes away in the middle of a sync.
"""

from __future__ import annotations

import socket
import threading

import pytest
from werkzeug.serving import make_server

from api import create_app
from api.serving import KeepAliveRequestHandler
from seed import populate
from tests.support.apps import DEMO, make_config
from tests.support.pouchdb_server import free_port


class QuietHandler(KeepAliveRequestHandler):
    """`make run`'s handler (connections kept alive), silent, and known to its server so
    that stopping it also ends the connections it kept open."""

    def setup(self) -> None:
        super().setup()
        if hasattr(self.server, "open_connections"):  # LiveServer's; the benches' own: no
            with self.server.open_lock:
                self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        if hasattr(self.server, "open_connections"):
            with self.server.open_lock:
                self.server.open_connections.discard(self.connection)
        super().finish()

    def log_request(self, *args, **kwargs) -> None:
        pass


class LiveServer:
    def __init__(self, tmp_path, **config):
        self.config = make_config(tmp_path, **config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = None
        self._server = None
        self._thread = None

    def start(self) -> LiveServer:
        self.app = create_app(self.config)
        hirfa = self.app.extensions["hirfa"]
        db = hirfa.open_db()
        populate(db, hirfa.hasher)
        db.close()
        self._server = make_server(
            "127.0.0.1", self.port, self.app, threaded=True, request_handler=QuietHandler
        )
        self._server.daemon_threads = True
        self._server.open_connections = set()
        self._server.open_lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            with self._server.open_lock:
                kept = list(self._server.open_connections)
            for sock in kept:  # a server that goes away takes its connections with it
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self._thread.join(timeout=10)
            self._server = None

    def sync_url(self) -> str:
        return f"{self.url}/sync/hirfa"

    def token(self, phone: str, **secret) -> str:
        client = self.app.test_client()
        response = client.post("/api/v1/auth/login", json={"phone": phone, **secret})
        assert response.status_code == 200, response.get_json()
        return response.get_json()["access_token"]

    def headers(self, who: str) -> dict[str, str]:
        phone, secret = DEMO[who]
        return {"Authorization": f"Bearer {self.token(phone, **secret)}"}


@pytest.fixture
def live_server(tmp_path):
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()

"""pytest fixtures: a real pouchdb-server (in-memory) as a CouchDB-compatible remote.

Loaded as a plugin (``pytest_plugins = ["tests.support.pouchdb_server"]`` or
``-p tests.support.pouchdb_server``). ``pouchdb_server`` is one server per session;
``pouchdb_db`` is a fresh, empty database URL per test.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support.link_proxy import LinkProxy
from tests.support.pouch_device import NODE_MODULES, require_node_modules

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PouchDBServer:
    """A running pouchdb-server; ``url`` has no trailing slash."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.config_path = workdir / "config.json"
        self.log_path = workdir / "log.txt"
        self.output_path = workdir / "output.txt"
        self.port = 0
        self.url = ""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        require_node_modules()
        # pouchdb-server writes config.json and log.txt where it is told (or
        # into its working directory): keep both in the temp dir.
        self.config_path.write_text(json.dumps({"log": {"file": str(self.log_path)}}))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        with self.output_path.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    str(NODE_MODULES / ".bin" / "pouchdb-server"),
                    "--in-memory",
                    "--no-stdout-logs",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--config",
                    str(self.config_path),
                ],
                cwd=self.workdir,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                break
            try:
                response = requests.get(self.url + "/", timeout=2)
                if response.ok and "express-pouchdb" in response.json():
                    return
            except (requests.ConnectionError, requests.Timeout, ValueError):
                pass
            time.sleep(0.05)
        output = self.output_path.read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"pouchdb-server did not answer on {self.url}:\n{output[-4000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)

    def new_db(self, name: str | None = None) -> str:
        """Create a database (a unique name unless given) and return its URL."""
        name = name or f"test-{uuid.uuid4().hex[:12]}"
        url = f"{self.url}/{name}"
        # No pooled session: pouchdb-server drops idle keep-alive sockets after 5 s.
        response = requests.put(url, timeout=10)
        assert response.status_code == 201, (response.status_code, response.text)
        return url

    def delete_db(self, url: str) -> None:
        requests.delete(url, timeout=10)


@pytest.fixture(scope="session")
def pouchdb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PouchDBServer]:
    """An in-memory pouchdb-server on a free loopback port, for the whole session."""
    server = PouchDBServer(tmp_path_factory.mktemp("pouchdb-server"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pouchdb_db(pouchdb_server: PouchDBServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's pouchdb-server."""
    url = pouchdb_server.new_db()
    yield url
    pouchdb_server.delete_db(url)


@pytest.fixture
def hub(pouchdb_db: str) -> str:
    """The CouchDB hub of the replicator tests: a fresh database on pouchdb-server."""
    return pouchdb_db


@pytest.fixture
def link(pouchdb_server: PouchDBServer) -> Iterator[LinkProxy]:
    """A loopback proxy in front of pouchdb-server that can cut, stall or refuse."""
    with LinkProxy("127.0.0.1", urlsplit(pouchdb_server.url).port) as proxy:
        yield proxy

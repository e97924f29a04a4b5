"""pytest fixtures: a real pouchdb-server (in-memory) as a CouchDB-compatible remote.

Loaded as a plugin (``pytest_plugins = ["tests.support.pouchdb_server"]`` or
``-p tests.support.pouchdb_server``). ``pouchdb_server`` is one server per session;
``pouchdb_db`` is a fresh, empty database URL per test.
"""

from __future__ import annotations

import json
import os
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


# An Apache CouchDB 3.x database URL with credentials, e.g.
# http://admin:secret@127.0.0.1:5984/hirfa_test: the hub tests then also run against a
# fresh database beside it on that server (docs/operations.md, "Tests against a real
# CouchDB"). pouchdb-server stands in for CouchDB otherwise.
REAL_COUCHDB = os.environ.get("HIRFA_TEST_COUCHDB_URL", "").rstrip("/")
NO_REAL_COUCHDB = (
    "HIRFA_TEST_COUCHDB_URL is not set: these hub tests run against pouchdb-server only "
    "(set it to an Apache CouchDB 3.x database URL with credentials to run them there too)"
)


@pytest.fixture(params=["pouchdb-server", "couchdb"])
def hub(request: pytest.FixtureRequest) -> Iterator[str]:
    """The CouchDB hub of the replicator tests: a fresh database on pouchdb-server, and
    on a real Apache CouchDB too when HIRFA_TEST_COUCHDB_URL names one."""
    if request.param == "pouchdb-server":
        yield request.getfixturevalue("pouchdb_db")
        return
    if not REAL_COUCHDB:
        pytest.skip(NO_REAL_COUCHDB)
    server = REAL_COUCHDB.rsplit("/", 1)[0]
    url = f"{server}/hirfa_test_{uuid.uuid4().hex[:12]}"
    requests.put(url, timeout=10).raise_for_status()
    try:
        yield url
    finally:
        requests.delete(url, timeout=10)


@pytest.fixture
def link(hub: str) -> Iterator[LinkProxy]:
    """A loopback proxy in front of the hub's server that can cut, stall or refuse."""
    parts = urlsplit(hub)
    with LinkProxy(parts.hostname or "127.0.0.1", parts.port or 5984) as proxy:
        yield proxy


@pytest.fixture
def pouchdb_link(pouchdb_server: PouchDBServer) -> Iterator[LinkProxy]:
    """The same proxy, in front of pouchdb-server itself (tests that make their own
    databases there)."""
    with LinkProxy("127.0.0.1", urlsplit(pouchdb_server.url).port) as proxy:
        yield proxy


def via(link: LinkProxy, url: str) -> str:
    """``url`` (credentials and database) reached through ``link``."""
    parts = urlsplit(url)
    credentials = f"{parts.username}:{parts.password}@" if parts.username else ""
    return f"http://{credentials}127.0.0.1:{link.port}{parts.path}"

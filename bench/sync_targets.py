"""The servers the sync benchmark replicates with: Hirfa under Werkzeug (as `make run`
serves it), Hirfa under gunicorn (as production runs it), and pouchdb-server."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tests.support.live_server import LiveServer
from tests.support.pouchdb_server import PouchDBServer
from tests.support.production_server import gunicorn_hirfa, sign_in


@dataclass
class Remote:
    url: str
    headers: dict[str, str]


class Target(Protocol):
    name: str

    def fresh(self) -> AbstractContextManager[Remote]: ...

    def close(self) -> None: ...


class Hirfa:
    """A fresh Hirfa per repetition, signed in as the demo artisan."""

    name = "hirfa"

    def __init__(self, wrap_app: Callable[[Any], Any] | None = None) -> None:
        self.wrap_app = wrap_app

    @contextmanager
    def fresh(self) -> Iterator[Remote]:
        with tempfile.TemporaryDirectory(prefix="bench-hirfa-") as tmp:
            server = LiveServer(Path(tmp)).start()
            if self.wrap_app is not None:
                server.app.wsgi_app = self.wrap_app(server.app.wsgi_app)
            try:
                yield Remote(server.sync_url(), server.headers("artisan"))
            finally:
                server.stop()

    def close(self) -> None:
        pass


class HirfaGunicorn:
    """A fresh Hirfa under gunicorn (production mode) per repetition, as the demo artisan."""

    name = "hirfa (gunicorn)"

    @contextmanager
    def fresh(self) -> Iterator[Remote]:
        with tempfile.TemporaryDirectory(prefix="bench-hirfa-gunicorn-") as tmp:
            with gunicorn_hirfa(Path(tmp)) as url:
                yield Remote(f"{url}/sync/hirfa", sign_in(url, "artisan"))

    def close(self) -> None:
        pass


class PouchDBServerTarget:
    """One in-memory pouchdb-server for the run, a fresh database per repetition."""

    name = "pouchdb-server"

    def __init__(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bench-pouchdb-server-")
        self.server = PouchDBServer(Path(self._tmp.name))
        self.server.start()

    @contextmanager
    def fresh(self) -> Iterator[Remote]:
        url = self.server.new_db()
        try:
            yield Remote(url, {})
        finally:
            self.server.delete_db(url)

    def close(self) -> None:
        self.server.stop()
        self._tmp.cleanup()

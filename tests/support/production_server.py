"""Hirfa as docs/operations.md, "Running in production", runs it: gunicorn, one process of 64
threads, production mode, on a free loopback port and a seeded store. Used by
tests/api/test_production_server.py and by the benchmarks (bench/sync_targets.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from api import create_app
from seed import populate
from tests.support.apps import DEMO, FAST_KDF
from tests.support.pouchdb_server import free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
KEY = "production-key-" + "0123456789abcdef" * 3
# The command of docs/operations.md, "Running in production", bound to a free port.
ARGS = ["--workers", "1", "--worker-class", "gthread", "--threads", "64", "--keep-alive", "75"]
START_TIMEOUT = 30.0


class GunicornError(RuntimeError):
    """gunicorn is missing or did not start: the message has its log."""


@contextmanager
def gunicorn_hirfa(tmp: Path) -> Iterator[str]:
    """A seeded Hirfa under gunicorn with its store in ``tmp``; yields its base URL."""
    if not GUNICORN.exists():
        raise GunicornError("gunicorn is missing: install the `server` extra")
    var_dir = str(tmp / "var")
    env = {
        **os.environ,
        "HIRFA_ENV": "production",
        "HIRFA_JWT_SIGNING_KEY": KEY,
        "HIRFA_VAR_DIR": var_dir,
        **{f"HIRFA_{k.upper()}": str(v) for k, v in FAST_KDF.items()},
    }
    app = create_app({"env": "production", "jwt_signing_key": KEY, "var_dir": var_dir, **FAST_KDF})
    db = app.extensions["hirfa"].open_db()
    populate(db, app.extensions["hirfa"].hasher)
    db.close()
    url = f"http://127.0.0.1:{free_port()}"
    log_path = tmp / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), *ARGS, "--bind", url.removeprefix("http://"), "api:create_app()"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(process, url, log_path)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(process: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/readyz", timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.05)  # not yet listening: poll until it is (bounded above)
    raise GunicornError(log_path.read_text(errors="replace")[-3000:])


def sign_in(url: str, who: str) -> dict[str, str]:
    """Authorization headers of a demo account (tests/support/apps.py DEMO), signed in over HTTP."""
    phone, secret = DEMO[who]
    signed_in = requests.post(
        f"{url}/api/v1/auth/login", json={"phone": phone, **secret}, timeout=10
    )
    signed_in.raise_for_status()
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

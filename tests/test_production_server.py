"""Hirfa as README's "Running in production" runs it: gunicorn, one process, threads, in
production mode: sign-in, the API, and a live PouchDB-style longpoll that gets a write
made by another request meanwhile."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from api import create_app
from seed import populate
from tests.conftest import DEMO, FAST_KDF
from tests.pouchdb_server import free_port

GUNICORN = Path(sys.executable).with_name("gunicorn")
KEY = "production-key-" + "0123456789abcdef" * 3


@pytest.fixture
def production(tmp_path):
    if not GUNICORN.exists():
        pytest.fail("gunicorn is missing: `make test` installs the `server` extra")
    env = {
        **os.environ,
        "HIRFA_ENV": "production",
        "HIRFA_JWT_SIGNING_KEY": KEY,
        "HIRFA_VAR_DIR": str(tmp_path / "var"),
        **{f"HIRFA_{k.upper()}": str(v) for k, v in FAST_KDF.items()},
    }
    app = create_app(
        {"env": "production", "jwt_signing_key": KEY, "var_dir": env["HIRFA_VAR_DIR"], **FAST_KDF}
    )
    db = app.extensions["hirfa"].open_db()
    populate(db, app.extensions["hirfa"].hasher)
    db.close()
    url = f"http://127.0.0.1:{free_port()}"
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "8",
            "--bind",
            url.removeprefix("http://"),
            "api:create_app()",
        ],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{url}/readyz", timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.05)  # not yet listening: poll until it is (bounded above)
    else:
        process.kill()
        pytest.fail((tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:])
    yield url
    process.terminate()
    process.wait(timeout=10)
    log.close()
    shutil.rmtree(tmp_path / "var", ignore_errors=True)


def test_gunicorn_serves_the_api_and_wakes_a_longpoll(production):
    phone, secret = DEMO["artisan"]
    signed_in = requests.post(
        f"{production}/api/v1/auth/login", json={"phone": phone, **secret}, timeout=10
    )
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    me = requests.get(f"{production}/api/v1/me", headers=headers, timeout=10).json()
    since = requests.get(f"{production}/sync/hirfa", headers=headers, timeout=10).json()
    answer: dict = {}
    started = threading.Event()

    def longpoll() -> None:
        started.set()
        answer["body"] = requests.get(
            f"{production}/sync/hirfa/_changes",
            params={"feed": "longpoll", "since": since["update_seq"], "timeout": 20000},
            headers=headers,
            timeout=30,
        ).json()

    waiter = threading.Thread(target=longpoll)
    waiter.start()
    started.wait(5)
    doc = {
        "type": "product",
        "owner": me["id"],
        "cooperative": me["cooperative_id"],
        "title": {"ar": "طاجين"},
        "category": "pottery",
        "status": "draft",
    }
    put = requests.put(
        f"{production}/sync/hirfa/product:prod1", json=doc, headers=headers, timeout=10
    )
    assert put.status_code == 201, put.text
    waiter.join(30)
    assert [r["id"] for r in answer["body"]["results"]] == ["product:prod1"]

"""Hirfa as docs/operations.md, "Running in production", runs it: gunicorn, one process,
threads, in production mode: sign-in, the API, and a live PouchDB-style longpoll that gets a write
made by another request meanwhile."""

from __future__ import annotations

import threading

import pytest
import requests

from tests.support.production_server import GunicornError, gunicorn_hirfa, sign_in


@pytest.fixture
def production(tmp_path):
    try:
        with gunicorn_hirfa(tmp_path) as url:
            yield url
    except GunicornError as exc:
        pytest.fail(f"gunicorn did not serve (`make test` installs it): {exc}")


def test_gunicorn_serves_the_api_and_wakes_a_longpoll(production):
    headers = sign_in(production, "artisan")
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

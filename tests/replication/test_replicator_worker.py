"""The worker's life: one worker per store and hub (the lease), a stop that returns while
a call is stalled on the link, and what its status says after a failure."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from couchdb import http as couch_http

from api.workers import make_worker
from sync.replication.couch import CouchClient, HubUnreachable
from sync.replication.worker import LEASE_HELD, ReplicationWorker, read_status
from sync.rules import resolution
from tests.support.apps import make_app
from tests.support.pouchdb_server import via
from tests.support.replication import new_store, product


def test_a_second_worker_waits_for_the_lease_and_takes_over(tmp_path, hub):
    path = tmp_path / "w.sqlite3"
    store = new_store(path)
    store.put(product(1))
    first = ReplicationWorker(lambda: new_store(path), hub, timeout_s=5)
    second = ReplicationWorker(lambda: new_store(path), hub, timeout_s=5, lease_retry_s=7)
    assert first.step() is None
    assert second.step() == 7  # it waits, neither replicating nor counting a failure
    assert second.status["state"] == "waiting_for_lease"
    assert LEASE_HELD in second.status["last_error"] and second.failures == 0
    assert second.client.requests == {}  # it did not touch the hub
    # the shared status is the holder's, not overwritten by the waiting worker
    status = read_status(store, hub)
    assert (status["state"], status["docs_pushed"]) == ("idle", 1)
    store.put(product(2))
    assert first.stop()  # releases the lease
    assert second.step() is None
    assert read_status(store, hub)["docs_pushed"] == 1  # the second's own count
    assert second.stop()


def test_the_cli_beside_a_running_worker_says_who_holds_the_lease(tmp_path, hub):
    app = make_app(tmp_path, couchdb_url=hub)
    server = make_worker(app.extensions["hirfa"])
    assert server.replicator.rules is resolution.RULES  # orders too: one merge everywhere
    assert server.step() is None
    result = app.test_cli_runner().invoke(args=["replicate", "--once"])
    assert result.exit_code == 1 and LEASE_HELD in result.output
    server.stop()
    again = app.test_cli_runner().invoke(args=["replicate", "--once"])
    assert again.exit_code == 0, again.output


def test_stop_returns_while_a_call_is_stalled_on_the_link(tmp_path, hub, link):
    path = tmp_path / "w.sqlite3"
    new_store(path).put(product(1))
    worker = ReplicationWorker(
        lambda: new_store(path), via(link, hub), timeout_s=120, heartbeat_ms=60_000
    )
    link.stall()  # the first request hangs: without a shutdown it would block 120 s
    worker.start()
    assert worker.wait_for(lambda s: s["state"] == "replicating", 10)
    deadline = time.monotonic() + 10
    while link.open_connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # the call is on the wire now
    stopper = threading.Thread(target=worker.stop, kwargs={"timeout": 20}, daemon=True)
    stopper.start()
    stopper.join(30)
    assert not stopper.is_alive()  # stop() returned, well within the 120 s call timeout
    assert not worker.running and not any(t.is_alive() for t in worker._threads)
    assert worker.lease.held is False
    with pytest.raises(Exception, match="closed"):
        worker.store.db.execute("SELECT 1")  # its connection is closed
    link.heal()
    assert read_status(new_store(path), hub)["state"] == "stopped"


def test_a_connection_opened_while_the_client_aborts_is_shut_too(hub, link, monkeypatch):
    """The stop lands between the connect and the request: python-couchdb has opened the
    socket but not yet handed it over. The request must fail at once, not wait out the
    client's timeout on the stalled link."""
    link.stall()
    client = CouchClient(via(link, hub), timeout=600)
    connect = couch_http.ConnectionPool.get

    def connect_then_stop(self, url):
        conn = connect(self, url)
        client.abort()  # from the stopping thread, at the worst moment
        return conn

    monkeypatch.setattr(couch_http.ConnectionPool, "get", connect_then_stop)
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            client.info()
        except BaseException as exc:  # noqa: B036 - handed to the test thread
            outcome.append(exc)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(30)
    assert not caller.is_alive(), "the call waits on the stalled link"
    assert len(outcome) == 1 and isinstance(outcome[0], HubUnreachable)
    assert client.aborted


# Moments to stop at after start(): before the first call, while it connects, while it
# waits on the link, between calls. Varied, not waited on: each is an interleaving.
STOP_AFTER_S = [0.0, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.008, 0.013, 0.021, 0.034] * 3


@pytest.fixture
def busy_cpu():
    """Two processes spinning on the two cores: threads get scheduled late and in odd
    orders, as on a loaded CI machine, which is when a stop() race shows."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_stop_always_returns_under_a_stalled_link_whenever_it_comes(tmp_path, hub, link, busy_cpu):
    """No call may start once stopping has begun, and a connection opened while the stop
    runs is shut down too: otherwise that call hangs for the client's whole timeout."""
    link.stall()
    for n, delay in enumerate(STOP_AFTER_S):
        path = tmp_path / f"w{n}.sqlite3"
        worker = ReplicationWorker(
            lambda path=path: new_store(path), via(link, hub), timeout_s=120, heartbeat_ms=60_000
        )
        worker.start()
        time.sleep(delay)
        assert worker.stop(timeout=5), f"stop {n} after {delay} s left a thread on the link"
        assert not any(t.is_alive() for t in worker._threads)
        assert worker.lease.held is False


def test_a_failed_attempt_forgets_the_pending_pull(tmp_path, hub, link):
    path = tmp_path / "w.sqlite3"
    worker = ReplicationWorker(lambda: new_store(path), via(link, hub), timeout_s=5)
    assert worker.step() is None and worker.status["pending_pull"] == 0
    link.partition()
    assert worker.step() is not None
    assert worker.status["pending_pull"] is None  # unknown, not the last count
    assert read_status(worker.store, hub)["pending_pull"] is None
    worker.stop()

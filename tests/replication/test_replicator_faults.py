"""A failing uplink between the store and the hub: cuts at many points of a batch, stalls,
refusals; and the worker's backoff, driven without waiting."""

from __future__ import annotations

import random

import pytest
import requests

from sync.replication.couch import CouchClient, HubUnreachable
from sync.replication.replicator import Replicator
from sync.replication.worker import Backoff, ReplicationWorker, read_status
from tests.support.pouchdb_server import via
from tests.support.replication import (
    attachment,
    local_trees,
    new_store,
    product,
    remote_trees,
)

DOCS, BATCH = 30, 10
CUT_FRACTIONS = [0.02, 0.1, 0.2, 0.3, 0.45, 0.6, 0.75, 0.9, 0.98]


def fill(store, count=DOCS):
    for i in range(count):
        extra = {"_attachments": {"p.txt": attachment(f"photo {i} " * 50)}} if i % 3 == 0 else {}
        store.put(product(i, **extra))


def clean_run_bytes(tmp_path, hub_url, link, direction) -> int:
    """Bytes a replication of the same workload moves when nothing fails."""
    store = new_store(tmp_path / f"clean-{direction}.sqlite3")
    if direction == "push":
        fill(store)
    before = link.bytes["up"] + link.bytes["down"]
    replicator = Replicator(store, CouchClient(via(link, hub_url)), batch_size=BATCH)
    (replicator.push if direction == "push" else replicator.pull)()
    return link.bytes["up"] + link.bytes["down"] - before


@pytest.mark.parametrize("direction", ["push", "pull"])
def test_cut_anywhere_in_a_batch_loses_and_repeats_nothing(
    tmp_path, pouchdb_server, pouchdb_link, direction
):
    link = pouchdb_link
    source_hub = pouchdb_server.new_db()
    seed = new_store(tmp_path / "seed.sqlite3")
    fill(seed)
    Replicator(seed, CouchClient(source_hub)).push()  # the pull's material, on the hub
    clean_hub = source_hub if direction == "pull" else pouchdb_server.new_db()
    total = clean_run_bytes(tmp_path, clean_hub, link, direction)
    assert total > 10_000
    interrupted = 0
    for n, fraction in enumerate(CUT_FRACTIONS):
        hub_url = source_hub if direction == "pull" else pouchdb_server.new_db()
        store = new_store(tmp_path / f"{direction}-{n}.sqlite3")
        if direction == "push":
            fill(store)
        first = CouchClient(via(link, hub_url))
        link.cut_after(int(total * fraction), partition=True)
        replicator = Replicator(store, first, batch_size=BATCH)
        run = replicator.push if direction == "push" else replicator.pull
        with pytest.raises(HubUnreachable):
            run()
        interrupted += 1
        link.heal()
        second = CouchClient(via(link, hub_url))
        resumed = Replicator(store, second, batch_size=BATCH)
        stats = resumed.push() if direction == "push" else resumed.pull()
        assert stats.doc_write_failures == 0
        assert local_trees(store) == remote_trees(hub_url) == local_trees(seed)
        if direction == "push":
            # Counted per attempt on the wire (python-couchdb's own retry is off): the
            # batch in flight, its one immediate retry, and its resend after the cut; no
            # other document is sent twice, as the resumed run starts at a checkpoint.
            assert DOCS <= first.docs_sent + second.docs_sent <= DOCS + 2 * BATCH
            assert first.docs_sent <= first.requests["POST _bulk_docs"] * BATCH
        else:
            # each revision applied once: one sequence number per document
            assert store.update_seq() == DOCS
            fetched = first.requests["POST _bulk_get"] + second.requests["POST _bulk_get"]
            assert fetched <= DOCS // BATCH + 1 + 1  # one batch again, one retry at most
        # and once done, another run moves nothing
        third = CouchClient(via(link, hub_url))
        again = Replicator(store, third, batch_size=BATCH)
        stats = again.push() if direction == "push" else again.pull()
        assert (stats.missing_checked, third.docs_sent, third.requests["POST _bulk_get"]) == (
            0,
            0,
            0,
        )
    assert interrupted == len(CUT_FRACTIONS)


def test_a_stalled_link_times_out_and_resumes(tmp_path, hub, link):
    store = new_store(tmp_path / "s.sqlite3")
    fill(store, 12)
    client = CouchClient(via(link, hub), timeout=0.5)
    replicator = Replicator(store, client, batch_size=5)
    replicator.push()
    store.put(product("late"))
    link.stall()
    with pytest.raises(HubUnreachable, match="timed out"):
        replicator.push()
    link.heal()
    stats = replicator.push()
    assert stats.docs_written == 1
    assert local_trees(store) == remote_trees(hub)


def test_refused_connections_fail_fast_and_resume(tmp_path, hub, link):
    store = new_store(tmp_path / "s.sqlite3")
    fill(store, 5)
    link.refuse()
    client = CouchClient(via(link, hub))
    with pytest.raises(HubUnreachable):
        Replicator(store, client).sync()
    assert link.connections_accepted == 0
    link.accept()
    Replicator(store, client).sync()
    assert local_trees(store) == remote_trees(hub)


def test_backoff_grows_with_jitter_and_caps():
    backoff = Backoff(min_s=1, max_s=60, rng=random.Random(7))
    delays = [backoff.delay(n) for n in range(1, 10)]
    ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(delays)) == len(delays)  # jittered, not lock-step


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_worker_backs_off_while_the_hub_is_away_then_catches_up(tmp_path, hub, link):
    path = tmp_path / "w.sqlite3"
    store = new_store(path)
    fill(store, 7)
    clock = FakeClock()
    worker = ReplicationWorker(
        lambda: new_store(path),
        via(link, hub),
        backoff=Backoff(1, 30, random.Random(1)),
        clock=clock,
        timeout_s=5,
    )
    link.partition()
    delays = []
    for _ in range(4):
        delays.append(worker.step())
        clock.now += delays[-1]
    assert [1 <= d * 2 <= 2 ** (n + 1) for n, d in enumerate(delays)] == [True] * 4
    status = read_status(store, via(link, hub))
    assert status["state"] == "backing_off" and status["failures"] == 4
    assert "HubUnreachable" in status["last_error"]
    assert status["next_retry_at"] == pytest.approx(clock.now)
    assert status["pending_push"] == 7 and status["last_success_at"] is None
    store.put(product("written-offline"))
    assert read_status(store, via(link, hub))["pending_push"] == 8
    link.heal()
    assert worker.step() is None
    status = read_status(store, via(link, hub))
    assert (status["state"], status["failures"], status["pending_push"]) == ("idle", 0, 0)
    assert status["last_success_at"] == clock.now and status["docs_pushed"] == 8
    assert "//" in status["remote"] and "@" not in status["remote"]
    assert local_trees(store) == remote_trees(hub)


def test_worker_thread_recovers_pushes_local_writes_and_pulls_hub_changes(tmp_path, hub, link):
    path = tmp_path / "w.sqlite3"
    store = new_store(path)
    fill(store, 4)
    slept: list[float] = []

    def sleep(delay: float) -> None:
        # Stands in for the wait: records it, and the link comes back after two failures.
        slept.append(delay)
        if len(slept) == 2:
            link.heal()

    link.partition()
    worker = ReplicationWorker(
        lambda: new_store(path),  # its own connection: stop() closes it
        via(link, hub),
        backoff=Backoff(1, 30, random.Random(3)),
        sleep=sleep,
        heartbeat_ms=200,
        poll_s=0.05,
    ).start()
    try:
        assert worker.wait_for(lambda s: s["state"] == "idle" and s["docs_pushed"] == 4, 30)
        assert len(slept) == 2 and 0.5 <= slept[0] <= 1 and 1 <= slept[1] <= 2
        store.put(product("new-at-the-server"))  # the store's notifier wakes the worker
        assert worker.wait_for(lambda s: s["docs_pushed"] == 5, 30)
        requests.put(f"{hub}/product:from-hub", json=product("from-hub"), timeout=10)
        assert worker.wait_for(lambda s: s["docs_pulled"] == 1, 30)  # the longpoll saw it
        assert store.winner_body("product:from-hub")["title"] == {"fr": "Zerbia from-hub"}
    finally:
        worker.stop()
    assert not worker.running
    assert read_status(store, hub)["state"] == "stopped"

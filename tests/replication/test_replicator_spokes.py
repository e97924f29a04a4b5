"""Hub and spokes: two Hirfa stores and one CouchDB-compatible replica, under a seeded
random schedule of writes, partitions, cuts mid-replication and restarts. Once healed,
all three hold the same revision trees and every acknowledged write is in them.

Bounded for ``make test`` (a few seeds, short schedules); ``make fuzz``
(HYPOTHESIS_PROFILE=fuzz) runs many more seeds and longer schedules. A failure names
its seed: ``FUZZ_SEED=<n> pytest -k spokes`` replays it.
"""

from __future__ import annotations

import os
import random
from urllib.parse import urlsplit

import pytest

from sync.replication.couch import CouchClient, HubError
from sync.replication.replicator import Replicator
from tests.support.link_proxy import LinkProxy
from tests.support.replication import (
    local_trees,
    local_winners,
    new_store,
    product,
    remote_trees,
    winners,
)

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"
SEEDS = [int(os.environ["FUZZ_SEED"])] if "FUZZ_SEED" in os.environ else range(40 if LONG else 3)
STEPS = 80 if LONG else 30
DOC_IDS = [f"d{n}" for n in range(6)]  # few ids, so the spokes often edit the same one


class Spoke:
    def __init__(self, tmp_path, name: str, hub_url: str, upstream_port: int):
        self.path = tmp_path / f"{name}.sqlite3"
        self.link = LinkProxy("127.0.0.1", upstream_port).start()
        self.url = f"http://127.0.0.1:{self.link.port}{urlsplit(hub_url).path}"
        self.acked: list[tuple[str, str]] = []  # (doc id, rev) of every acknowledged write
        self.resolved = 0  # conflicts this spoke's replicators resolved
        self.restart()

    def restart(self) -> None:
        """A new process on the same file: nothing in memory survives."""
        if getattr(self, "store", None) is not None:
            self.resolved += self.replicator.conflicts_resolved
            self.store.db.close()
        self.store = new_store(self.path)
        self.replicator = Replicator(self.store, CouchClient(self.url, timeout=5), batch_size=4)

    def write(self, rng: random.Random) -> None:
        doc_id = rng.choice(DOC_IDS)
        current = self.store.row(f"product:{doc_id}")
        when = f"2026-11-{rng.randint(20, 28)}T{rng.randint(0, 23):02d}:00:00Z"
        if current is not None and not current.deleted and rng.random() < 0.15:
            doc = {"_id": f"product:{doc_id}", "_rev": current.winner, "_deleted": True}
        else:
            doc = product(doc_id, price_centimes=rng.randint(0, 10**6), updated_at=when)
            if current is not None:
                doc["_rev"] = current.winner
        self.acked.append((doc["_id"], self.store.put(doc)))

    def sync(self) -> bool:
        try:
            self.replicator.sync()
            return True
        except HubError:
            return False


def run_schedule(seed: int, tmp_path, pouchdb_server) -> None:
    rng = random.Random(seed)
    hub = pouchdb_server.new_db()
    port = urlsplit(pouchdb_server.url).port
    spokes = [Spoke(tmp_path / f"seed{seed}", f"spoke{n}", hub, port) for n in range(2)]
    (tmp_path / f"seed{seed}").mkdir(exist_ok=True)
    try:
        for spoke in spokes:  # the same new document on both sides: one sure conflict
            spoke.acked.append(
                ("product:d0", spoke.store.put(product("d0", updated_at=str(spoke.path))))
            )
        for _ in range(STEPS):
            spoke = rng.choice(spokes)
            action = rng.choices(
                ["write", "sync", "partition", "heal", "cut", "restart"], [8, 5, 1, 2, 2, 1]
            )[0]
            if action == "write":
                spoke.write(rng)
            elif action == "sync":
                spoke.sync()
            elif action == "partition":
                spoke.link.partition()
            elif action == "heal":
                spoke.link.heal()
            elif action == "cut":  # the link dies somewhere inside the next replication
                spoke.link.cut_after(rng.randint(0, 20_000), partition=rng.random() < 0.5)
                spoke.sync()
            else:
                spoke.restart()
        for spoke in spokes:
            spoke.link.heal()
        # Quiescence: a few rounds, until a whole round moves nothing.
        for _ in range(8):
            moved = 0
            for spoke in spokes:
                pushed, pulled = spoke.replicator.sync()  # raises if the link is still bad
                moved += pushed.docs_written + pulled.docs_written
            if moved == 0:
                break
        a, b = (s.store for s in spokes)
        assert local_trees(a) == local_trees(b) == remote_trees(hub), f"seed {seed}"
        assert local_winners(a) == local_winners(b), f"seed {seed}"
        assert winners(hub) == local_winners(a), f"seed {seed}"
        trees = local_trees(a)
        for spoke in spokes:
            for doc_id, rev in spoke.acked:
                assert any(rev in path for path in trees[doc_id].values()), (seed, doc_id, rev)
        resolved = sum(s.resolved + s.replicator.conflicts_resolved for s in spokes)
        assert resolved >= 1, f"seed {seed}: the schedule made no conflict"
        # products have one rule: no conflict is left open
        assert all(not conflicts for _, conflicts in local_winners(a).values()), f"seed {seed}"
    finally:
        for spoke in spokes:
            spoke.link.stop()
        pouchdb_server.delete_db(hub)


@pytest.mark.parametrize("seed", SEEDS)
def test_hub_and_spokes_fuzz(seed, tmp_path, pouchdb_server):
    run_schedule(seed, tmp_path, pouchdb_server)

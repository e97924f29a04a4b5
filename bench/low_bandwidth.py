"""Sync on bad links: PouchDB→pouchdb-server (baseline), PouchDB→Hirfa /sync, compact→Hirfa.

The compact path is PouchDB with the hirfa-sync plugin (clients/js) in Node, what an app
gets; the Python reference client (sync/compact/client.py) runs beside it as a fourth
path. Every client talks through bench/link_emulator.py (loopback, 3G, EDGE), which also
counts the bytes on the wire. Each scenario starts from fresh servers and a fresh device; the
set-up runs unshaped and only the measured step runs on the shaped link. The compact
protocol's server-alone figures come from bench/compact_ingest.py. The listing of a product
with three photos (tus uploads, then one _sync: bench/photo_listing.py) is its own table,
measured against the time its bytes need on the link, with the TCP connections counted.
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from api import state
from bench import compact_ingest, photo_listing
from bench.link_emulator import NETWORKS, Network, ShapedLink
from bench.sync_pouchdb import environment
from sync.compact.client import CompactClient
from sync.store import revtree
from tests.support.apps import DEMO
from tests.support.live_server import LiveServer
from tests.support.pouch_device import require_node_modules
from tests.support.pouchdb_server import PouchDBServer

REPO = Path(__file__).resolve().parent.parent
POUCH_JS = Path(__file__).resolve().parent / "pouch_lowbw.js"
OUTPUT = REPO / "var" / "bench" / "low_bandwidth.json"
BASELINE = "PouchDB→pouchdb-server"
PLUGIN = "compact→Hirfa"  # PouchDB + clients/js: the path the compact protocol's aims are for
REFERENCE = "compact (Python reference)→Hirfa"
PATHS = (BASELINE, "PouchDB→Hirfa /sync", PLUGIN, REFERENCE)
DEVICE = "bench-device"
WORDS = (
    "laine tissée main teinte henné indigo garance motifs berbères Moyen Atlas nœuds serrés "
    "franges coopérative pièce unique couleurs naturelles tapis zerbia argile poterie four "
    "vernis argan pressée froid panier palmier doum broderie fil soie cèdre"
).split()


def listings(count: int, prefix: str, seed: int = 8) -> list[dict[str, Any]]:
    """Realistic listings of the demo artisan: varied French text, so gzip is not flattered."""
    rnd = random.Random(seed)
    docs = []
    for i in range(count):
        body = {
            "type": "product",
            "owner": "art_fatima",
            "cooperative": "coop-taza-zerbia",
            "title": {"ar": "زربية", "fr": " ".join(rnd.choices(WORDS, k=4)).capitalize()},
            "description": {"fr": " ".join(rnd.choices(WORDS, k=rnd.randint(30, 70)))},
            "category": "carpets",
            "status": "draft",
            "price_centimes": rnd.randrange(5_000, 900_000),
            "created_at": "2026-11-22T09:00:00Z",
        }
        docs.append({"_id": f"product:{prefix}-{i:05d}", **body})
    return docs


def with_rev(doc: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in doc.items() if not k.startswith("_")}
    return {**doc, "_rev": revtree.new_rev_id(None, body, False)}


@dataclass
class Env:
    host_port: tuple[str, int]
    db_path: str
    headers: Callable[[str], dict[str, str]]
    token: Callable[[str], str]
    seed: Callable[[list[dict]], None]
    modify: Callable[[list[str]], None]


@contextmanager
def hirfa_env() -> Iterator[Env]:
    with tempfile.TemporaryDirectory(prefix="bench-lowbw-") as tmp:
        server = LiveServer(Path(tmp)).start()
        hirfa = state.of(server.app)
        store = hirfa.store(hirfa.open_db())

        def token(who: str) -> str:
            phone, secret = DEMO[who]
            return server.token(phone, **secret)

        def modify(ids: list[str]) -> None:
            for doc_id in ids:
                doc = store.get_doc(doc_id)
                store.put({**doc, "price_centimes": doc["price_centimes"] + 100})

        try:
            yield Env(
                ("127.0.0.1", server.port),
                "/sync/hirfa",
                lambda who: {"Authorization": f"Bearer {token(who)}"},
                token,
                lambda docs: store.bulk_docs([with_rev(d) for d in docs], new_edits=False),
                modify,
            )
        finally:
            store.db.close()
            server.stop()


@contextmanager
def pouchdb_env(server: PouchDBServer) -> Iterator[Env]:
    url = server.new_db()

    def seed(docs: list[dict]) -> None:
        body = {"docs": [with_rev(d) for d in docs], "new_edits": False}
        requests.post(f"{url}/_bulk_docs", json=body, timeout=120).raise_for_status()

    def modify(ids: list[str]) -> None:
        for doc_id in ids:
            doc = requests.get(f"{url}/{doc_id}", timeout=30).json()
            doc["price_centimes"] += 100
            requests.put(f"{url}/{doc_id}", json=doc, timeout=30).raise_for_status()

    try:
        yield Env(
            ("127.0.0.1", server.port),
            "/" + url.rsplit("/", 1)[1],
            lambda who: {},
            str,
            seed,
            modify,
        )
    finally:
        server.delete_db(url)


class PouchRunner:
    """PouchDB in Node (bench/pouch_lowbw.js): replication, or with ``hirfa`` (the plugin's
    options) one ``db.hirfaSync()`` per run, direction "hirfa"."""

    def __init__(
        self, state: str, url: str, headers: dict[str, str], hirfa: dict[str, Any] | None = None
    ):
        self.job = {"state_dir": state, "url": url, "headers": headers, "hirfa": hirfa}

    def run(self, direction: str, docs: list[dict] | None = None) -> dict[str, Any]:
        job = {**self.job, "direction": direction, "docs": docs or []}
        proc = subprocess.run(
            ["node", str(POUCH_JS)], input=json.dumps(job), capture_output=True, text=True,
            timeout=3600, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"pouch_lowbw.js failed:\n{proc.stderr[-3000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if not result["ok"]:
            raise RuntimeError(f"PouchDB {direction} failed: {result}")
        return result


class CompactRunner:
    def __init__(self, url: str, token: str):
        self.client = CompactClient(url, token, "bench-device")

    def run(self, step: Callable[[CompactClient], Any]) -> dict[str, Any]:
        before = self.client.requests
        started = time.perf_counter()
        step(self.client)
        return {"seconds": time.perf_counter() - started, "requests": self.client.requests - before}


def scenario(path: str, workload: str, network: Network, env: Env, n_first: int) -> dict:
    """Prepare unshaped, then measure the workload's one step on ``network``."""
    who = "coordinator" if workload == "first_sync" else "artisan"
    with ShapedLink(*env.host_port) as link, tempfile.TemporaryDirectory() as state:
        url = f"http://127.0.0.1:{link.port}{env.db_path}"
        compact = path == REFERENCE
        runner: Any
        if compact:
            runner = CompactRunner(url, env.token(who))
        elif path == PLUGIN:
            # snapshot: true, not 'auto': a server without _snapshot fails the run instead
            # of being measured through pages.
            hirfa = {"token": env.token(who), "device": DEVICE, "snapshot": True}
            runner = PouchRunner(state, url, {}, hirfa)
        else:
            runner = PouchRunner(state, url, env.headers(who))
        direction = {"push100": "push", "noop": "sync"}.get(workload, "pull")
        if path == PLUGIN:
            direction = "hirfa"  # every plugin sync pushes and pulls
        push_docs: list[dict] = []
        if workload == "push100":
            push_docs = listings(100, "push", seed=100)
            if compact:
                runner.client.sync()
                for doc in push_docs:
                    runner.client.put(doc)
            elif path == PLUGIN:
                runner.run("hirfa")  # the device's first sync: the measured one then pushes
        elif workload == "first_sync":
            env.seed(listings(n_first, "coop"))
        else:  # noop and pull20: a device in sync with 100 listings
            env.seed(listings(100, "mine"))
            if compact:
                runner.run(lambda c: c.first_sync())
            else:
                runner.run("hirfa" if path == PLUGIN else "sync")
            if workload == "pull20":
                env.modify([f"product:mine-{i:05d}" for i in range(0, 100, 5)])
        link.use(network)
        up0, down0 = link.counters()
        if compact:
            step = {"first_sync": lambda c: c.first_sync()}.get(workload, lambda c: c.sync())
            result = runner.run(step)
        else:
            result = runner.run(direction, push_docs)
        up1, down1 = link.counters()
    return {
        "network": network.name,
        "workload": workload,
        "path": path,
        "requests": result["requests"],
        "up_bytes": up1 - up0,
        "down_bytes": down1 - down0,
        "seconds": round(result["seconds"], 3),
    }


WORKLOADS = ("push100", "first_sync", "noop", "pull20")


def measure(networks: list[str], full: bool, quick: bool) -> list[dict[str, Any]]:
    require_node_modules()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-lowbw-pouchdb-") as tmp:
        pouchdb = PouchDBServer(Path(tmp))
        pouchdb.start()
        try:
            for name in networks:
                network = NETWORKS[name]
                # 5,000 over EDGE takes minutes per PouchDB path: only with --full
                n_first = 5000 if full or (network.rtt_ms == 0 and not quick) else 500
                for workload in WORKLOADS:
                    for path in PATHS:
                        envs = pouchdb_env(pouchdb) if path == BASELINE else hirfa_env()
                        with envs as env:
                            row = scenario(path, workload, network, env, n_first)
                        row["docs"] = n_first if workload == "first_sync" else None
                        print("  " + json.dumps(row, ensure_ascii=False), flush=True)
                        rows.append(row)
        finally:
            pouchdb.stop()
    base = {(r["network"], r["workload"]): r for r in rows if r["path"] == BASELINE}
    for row in rows:
        ref = base[(row["network"], row["workload"])]
        row["speedup"] = round(ref["seconds"] / row["seconds"], 2) if row["seconds"] else None
        row["bytes_ratio"] = round(
            (row["up_bytes"] + row["down_bytes"]) / max(1, ref["up_bytes"] + ref["down_bytes"]), 3
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ("network", "workload", "path", "req", "up KB", "down KB", "time s", "× faster")
    lines = [header]
    for r in rows:
        workload = r["workload"] + (f" ({r['docs']})" if r["docs"] else "")
        lines.append(
            (r["network"], workload, r["path"], str(r["requests"]), f"{r['up_bytes'] / 1000:.1f}",
             f"{r['down_bytes'] / 1000:.1f}", f"{r['seconds']:.2f}", f"{r['speedup']:.1f}")
        )  # fmt: skip
    return "\n".join(
        "| " + " | ".join(line) + " |" for line in [lines[0], ("---",) * 8, *lines[1:]]
    )


def run(quick: bool = False, full: bool = False, networks: list[str] | None = None) -> dict:
    networks = networks or (["loopback", "edge"] if quick else ["loopback", "3g", "edge"])
    print(
        f"low_bandwidth: {', '.join(networks)}{' (full: 5,000 docs)' if full else ''}", flush=True
    )
    rows = measure(networks, full, quick)
    listing = photo_listing.measure([NETWORKS[name] for name in networks])
    server = compact_ingest.measure(quick)
    report = {"benchmark": "low_bandwidth", "full": full, "quick": quick, "results": rows,
              "photo_listing": listing, "server_alone": server,
              "environment": environment()}  # fmt: skip
    print(table(rows))
    print(photo_listing.table(listing))
    print("server alone (compact protocol): " + json.dumps(server))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written to {OUTPUT}")
    return report

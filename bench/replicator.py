"""Hirfa's replicator beside PouchDB's, moving the same documents, in the same run.

- **push**: a store holding the documents replicates them into an empty pouchdb-server
  database (sync/replication/replicator.py, python-couchdb over HTTP);
- **pull**: a fresh store replicates them back from that database;
- **baseline**: PouchDB's own replicator (Node, the test clients' PouchDB 9) moves the
  same documents from one pouchdb-server database into another, empty one.

All three talk to one in-memory pouchdb-server, so its cost is in every figure; only the
replication is timed. The ratio is Hirfa's rate over PouchDB's (aim >= 1.0). Documents
are bench/sync_pouchdb.py's (1,000 products; again with a 2 KB attachment each).
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from api import migrations
from api.config import load_settings
from api.stores import document_store
from bench.results import save
from bench.sync_pouchdb import ATTACHMENT_BYTES, NODE_MODULES, environment, make_docs
from sync.replication.couch import CouchClient
from sync.replication.replicator import Replicator
from sync.store.database import connect
from sync.store.documents import DocumentStore
from tests.support.pouch_device import require_node_modules
from tests.support.pouchdb_server import PouchDBServer

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "replicator.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "replicator_profile.txt"
DOCS, QUICK_DOCS = 1000, 200
REPEATS, QUICK_REPEATS = 3, 1
BATCH = 100  # PouchDB's default batch_size, so both make the same number of rounds

# PouchDB.replicate between two remote databases, timed inside Node; one JSON line out.
POUCH_REPLICATE_JS = """
const PouchDB = require(process.argv[1] + '/pouchdb');
const [source, target, batch] = process.argv.slice(2);
const started = performance.now();
PouchDB.replicate(new PouchDB(source), new PouchDB(target), {batch_size: Number(batch)})
  .then((info) => {
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ok: info.ok, seconds, docs_written: info.docs_written}));
    process.exit(0);
  }, (err) => { console.error(err); process.exit(1); });
"""


def new_store(path: Path) -> DocumentStore:
    """A store as the server builds it (api/state.py), on a file of its own."""
    db = connect(path)
    migrations.migrate(db)
    return document_store(db, load_settings({"env": "testing"}))


def hirfa_round(server: PouchDBServer, docs: list[dict], tmp: Path) -> dict[str, float]:
    """Push ``docs`` from a store into a fresh database, then pull them into another store."""
    source = new_store(tmp / "source.sqlite3")
    source.bulk_docs([dict(d) for d in docs])
    url = server.new_db()
    try:
        started = time.perf_counter()
        pushed = Replicator(source, CouchClient(url), batch_size=BATCH).push()
        push_s = time.perf_counter() - started
        target = new_store(tmp / "target.sqlite3")
        started = time.perf_counter()
        pulled = Replicator(target, CouchClient(url), batch_size=BATCH).pull()
        pull_s = time.perf_counter() - started
    finally:
        server.delete_db(url)
    if (pushed.docs_written, pulled.docs_written) != (len(docs), len(docs)):
        raise RuntimeError(f"moved {pushed.docs_written}/{pulled.docs_written} of {len(docs)}")
    return {"push": push_s, "pull": pull_s}


def pouch_round(server: PouchDBServer, docs: list[dict]) -> float:
    source, target = server.new_db(), server.new_db()
    try:
        for start in range(0, len(docs), 500):  # loading is not timed
            response = requests.post(
                f"{source}/_bulk_docs", json={"docs": docs[start : start + 500]}, timeout=120
            )
            response.raise_for_status()
        proc = subprocess.run(
            ["node", "-e", POUCH_REPLICATE_JS, str(NODE_MODULES), source, target, str(BATCH)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"PouchDB.replicate failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        if result["docs_written"] != len(docs):
            raise RuntimeError(f"PouchDB moved {result}")
        return result["seconds"]
    finally:
        server.delete_db(source)
        server.delete_db(target)


def measure(count: int, repeats: int) -> list[dict[str, Any]]:
    require_node_modules()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-replicator-") as tmp:
        server = PouchDBServer(Path(tmp))
        server.start()
        try:
            for attachment_bytes in (0, ATTACHMENT_BYTES):
                docs = make_docs(count, attachment_bytes)
                runs: dict[str, list[float]] = {"push": [], "pull": [], "pouchdb": []}
                for n in range(repeats):  # alternate, so drift on the machine hits both
                    round_dir = Path(tmp) / f"r{attachment_bytes}-{n}"
                    round_dir.mkdir()
                    for key, seconds in hirfa_round(server, docs, round_dir).items():
                        runs[key].append(seconds)
                    runs["pouchdb"].append(pouch_round(server, docs))
                rate = {k: count / statistics.median(v) for k, v in runs.items()}
                for direction in ("push", "pull"):
                    rows.append(
                        {
                            "workload": direction,
                            "attachment_bytes": attachment_bytes,
                            "docs": count,
                            "hirfa_docs_per_s": round(rate[direction], 1),
                            "pouchdb_docs_per_s": round(rate["pouchdb"], 1),
                            "ratio": round(rate[direction] / rate["pouchdb"], 3),
                            "seconds": [round(s, 4) for s in runs[direction]],
                            "pouchdb_seconds": [round(s, 4) for s in runs["pouchdb"]],
                        }
                    )
        finally:
            server.stop()
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'workload':<22} {'docs':>5} {'hirfa docs/s':>13} {'pouchdb docs/s':>15} ratio"]
    for row in rows:
        name = row["workload"] + (
            f" +{row['attachment_bytes']} B att" if row["attachment_bytes"] else ""
        )
        lines.append(
            f"{name:<22} {row['docs']:>5} {row['hirfa_docs_per_s']:>13.0f} "
            f"{row['pouchdb_docs_per_s']:>15.0f} {row['ratio']:.2f}"
        )
    return "\n".join(lines)


def run(quick: bool = False) -> dict[str, Any]:
    count, repeats = (QUICK_DOCS, QUICK_REPEATS) if quick else (DOCS, REPEATS)
    print(f"replicator: store <-> pouchdb-server vs PouchDB.replicate, {count} docs", flush=True)
    rows = measure(count, repeats)
    report = {
        "benchmark": "replicator",
        "quick": quick,
        "repeats": repeats,
        "ratio": "hirfa docs/s over PouchDB.replicate docs/s between two pouchdb-server dbs",
        "results": rows,
        "environment": environment(),
    }
    print(table(rows))
    save(report, OUTPUT)
    return report


def profile(quick: bool = False) -> str:
    """cProfile of one push and pull (Hirfa's side only); the hotspots as text."""
    count = QUICK_DOCS if quick else DOCS
    out = io.StringIO()
    with tempfile.TemporaryDirectory(prefix="bench-replicator-") as tmp:
        server = PouchDBServer(Path(tmp))
        server.start()
        try:
            profiler = cProfile.Profile()
            profiler.enable()
            hirfa_round(server, make_docs(count), Path(tmp))
            profiler.disable()
        finally:
            server.stop()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(f"{REPO}/(sync|bench)/", 25)
    return out.getvalue()

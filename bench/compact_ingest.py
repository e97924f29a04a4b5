"""The server alone through the compact protocol: ingest rate, latency under load, memory.

Hirfa runs in its own process (the threaded werkzeug server of ``make run``) pinned to
two CPUs with ``sched_setaffinity``; the clients run in this process. On a machine with
only two CPUs the clients share them with the server, which lowers the figures.
"""

from __future__ import annotations

import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import make_server

from api import create_app, state
from seed import populate
from seed.demo import ARTISAN_PIN
from sync.store import revtree
from tests.support.live_server import QuietHandler
from tests.support.pouchdb_server import free_port

ARTISANS = [  # (user id, phone, cooperative) from seed/demo.py
    ("art_fatima", "+212600000100", "coop-taza-zerbia"),
    ("art_khadija", "+212600000101", "coop-taza-zerbia"),
    ("art_zahra", "+212600000102", "coop-essaouira-argan"),
    ("art_aicha", "+212600000103", "coop-marrakech-fakhar"),
    ("art_mina", "+212600000104", "coop-oulouz-tamount"),
]


def serve(var_dir: str, port: int) -> None:
    """Entry point of the server process (``python -m bench.compact_ingest DIR PORT``)."""
    app = create_app({"var_dir": var_dir, "env": "development"})
    hirfa = state.of(app)
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    db.close()
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


def _start(var_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cpus = sorted(os.sched_getaffinity(0))[:2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.compact_ingest", var_dir, str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError("the benchmark server did not start")
    return proc, f"http://127.0.0.1:{port}"


def _token(base: str, phone: str) -> str:
    response = requests.post(f"{base}/api/v1/auth/login", json={"phone": phone, "pin": ARTISAN_PIN})
    response.raise_for_status()
    return response.json()["access_token"]


def listing(owner: str, coop: str, key: str) -> dict[str, Any]:
    body = {
        "type": "product",
        "owner": owner,
        "cooperative": coop,
        "title": {"fr": f"Pièce {key}", "ar": "زربية"},
        "description": {"fr": f"Laine filée et teinte à la main, pièce {key}."},
        "category": "carpets",
        "status": "draft",
        "price_centimes": 150_000,
    }
    rev = revtree.new_rev_id(None, body, False)
    revisions = {"start": 1, "ids": [revtree.parse_rev(rev)[1]]}
    return {"_id": f"product:{key}", "_rev": rev, "_revisions": revisions, **body}


def _bodies(artisan: tuple[str, str, str], tag: str, batches: int, size: int) -> list[bytes]:
    owner, _, coop = artisan
    out = []
    for b in range(batches):
        docs = [listing(owner, coop, f"{tag}-{owner}-{b}-{i}") for i in range(size)]
        body = {"device": tag, "since": 0, "docs": docs, "request_id": f"{tag}-{b}", "pull": False}
        out.append(gzip.compress(json.dumps(body).encode(), mtime=0))
    return out


def _post_all(base: str, token: str, bodies: list[bytes], latencies: list[float]) -> None:
    session = requests.Session()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Encoding": "gzip",
        "Content-Type": "application/json",
    }
    for body in bodies:
        started = time.perf_counter()
        response = session.post(f"{base}/sync/hirfa/_sync", data=body, headers=headers)
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or any(
            r["status"] != "ok" for r in response.json()["results"]
        ):
            raise RuntimeError(f"ingest failed: {response.status_code} {response.text[:300]}")


def _run_clients(base, tokens, bodies_per_client) -> tuple[float, list[float]]:
    latencies: list[float] = []
    threads = [
        threading.Thread(target=_post_all, args=(base, token, bodies, latencies))
        for token, bodies in zip(tokens, bodies_per_client, strict=True)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(quick: bool = False) -> dict[str, Any]:
    batches, size = (4, 250) if quick else (8, 250)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as var:
        proc, base = _start(var)
        try:
            artisans = ARTISANS[:4]
            tokens = [_token(base, phone) for _, phone, _ in artisans]
            bodies = [_bodies(a, "ingest", batches, size) for a in artisans]
            seconds, _ = _run_clients(base, tokens, bodies)
            docs = len(artisans) * batches * size
            # latency: 8 devices at once, each syncing small batches (5 listings) in turn
            small = [_bodies(artisans[i % 4], f"lat{i}", 25, 5) for i in range(8)]
            _, latencies = _run_clients(base, [tokens[i % 4] for i in range(8)], small)
            latencies.sort()
            return {
                "ingest_docs": docs,
                "ingest_docs_per_s": round(docs / seconds),
                "ingest_batch_docs": size,
                "latency_clients": 8,
                "latency_requests": len(latencies),
                "latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
                "latency_p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
                "server_cpus": 2,
                "peak_rss_mb": round(_peak_rss_mb(proc.pid), 1),
            }
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))

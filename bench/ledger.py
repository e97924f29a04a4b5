"""The raw-materials ledger at scale, two ratios measured in one run:

- **balance reads**: p99 of ``api.services.ledger.reads.balance`` with 1,000 movements in
  the ledger and with 1,000,000 (``--quick``: 100,000); aim: within 1.2x. Both stores are
  real apps' stores (the demo accounts and the demo ledger of seed/ledger.py) filled with
  generated movements through the store's ``bulk_docs``, 10,000 per transaction, as the
  server writes its own documents (no user check): every write goes through the
  revision tree, the changes feed and the ledger's projection, nothing is put into the
  tables directly. The reads then alternate between the two stores, so drift on the
  machine hits both alike.
- **compact push**: movements against product listings pushed the same way through the
  compact protocol (bench/compact_ingest.py: Hirfa in its own process pinned to two
  CPUs, four artisans pushing 250-document batches at once), documents stored per
  second; aim: movements at least 0.8x the listings' rate. The two kinds alternate,
  six rounds of 4,000 documents each (P M M P three times); the ratio is the median of
  each movements round over the listings round beside it.
"""

from __future__ import annotations

import cProfile
import gc
import gzip
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

from api import create_app, state
from api.services.ledger import reads
from bench.compact_ingest import ARTISANS, _peak_rss_mb, _run_clients, _token, listing
from bench.results import environment, save
from seed import populate
from seed.ledger import MOVEMENTS
from sync.store import revtree
from tests.support.apps import make_app
from tests.support.live_server import QuietHandler
from tests.support.pouchdb_server import free_port

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "ledger.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "ledger_profile.txt"
SIZES, QUICK_SIZES = (1_000, 1_000_000), (1_000, 100_000)
READS, QUICK_READS = 20_000, 5_000  # per store
FILL_BATCH = 10_000
READ_AIM, PUSH_AIM = 1.2, 0.8
PUSH_BATCHES, PUSH_SIZE = 4, 250  # per artisan and round
PUSH_ORDER, PUSH_CYCLES = ("products", "movements", "movements", "products"), 3
DEMO_COOPS = ["coop-taza-zerbia", "coop-essaouira-argan", "coop-marrakech-fakhar"]
STAMP = "2026-11-20T10:00:00.000Z"


# -- the ledger: generated movements --------------------------------------------------


def _generated(n: int) -> dict[str, Any]:
    """Movement ``n``: 100 cooperatives (three of them the demo ones), 10 materials each,
    the store and 10 artisans' places; receipts, transfers, uses and waste in turn."""
    c = n % 100
    coop = DEMO_COOPS[c] if c < len(DEMO_COOPS) else f"coop-gen-{c}"
    material = f"material:{coop}:gen-{(n // 100) % 10}"
    artisan = f"artisan:art_gen_{c}_{(n // 1000) % 10}"
    body: dict[str, Any] = {
        "_id": f"movement:gen-{n:08d}",
        "type": "material_movement",
        "owner": "coo_gen",
        "cooperative": coop,
        "occurred_at": STAMP,
        "material": material,
    }
    kind = n % 4
    if kind == 0:
        body.update(kind="receive", quantity=5000, to="store", cost_centimes=40_000)
    elif kind == 1:
        body.update({"kind": "transfer", "quantity": 2000, "from": "store", "to": artisan})
    elif kind == 2:
        body.update({"kind": "use", "quantity": 1500, "from": artisan})
    else:
        body.update({"kind": "waste", "quantity": 100, "from": "store"})
    return body


def _fill(store, count: int) -> float:
    started = time.perf_counter()
    for start in range(0, count, FILL_BATCH):
        docs = [_generated(n) for n in range(start, min(count, start + FILL_BATCH))]
        for result in store.bulk_docs(docs, new_edits=True, check=None):
            if "error" in result:
                raise RuntimeError(f"{result['id']}: {result['reason']}")
    return time.perf_counter() - started


def _ledger(tmp: Path, count: int) -> dict[str, Any]:
    """A seeded app's store with ``count`` movements in its ledger (the demo ones and
    generated ones)."""
    app = make_app(tmp)
    hirfa = state.of(app)
    db = hirfa.open_db()
    populate(db, hirfa.hasher, ledger=True)
    store = hirfa.store(db)
    filled = _fill(store, count - len(MOVEMENTS))
    movements = db.execute("SELECT count(*) FROM ledger_movements").fetchone()[0]
    path = Path(hirfa.settings.store_path)
    return {
        "db": db,
        "movements": movements,
        "balances": db.execute("SELECT count(*) FROM material_balances").fetchone()[0],
        "fill_seconds": round(filled, 1),
        "fill_movements_per_s": round((count - len(MOVEMENTS)) / filled) if filled else None,
        "store_mb": round(sum(f.stat().st_size for f in path.parent.glob(path.name + "*")) / 1e6),
    }


def _keys() -> list[tuple[str, str]]:
    """What is read: every demo balance (seed/ledger.py) and generated ones, each moved
    by the generated movements in the large ledger."""
    keys = {
        (m["material"], m.get("to") or m.get("from") or m["at"])
        for m in MOVEMENTS
        if m.get("material")
    }
    for n in range(0, 4000, 37):
        body = _generated(n)
        keys.add((body["material"], body.get("to") or body["from"]))
    return sorted(keys)


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def measure_reads(sizes: tuple[int, int], count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        ledgers = []
        for size in sizes:
            print(f"  filling a ledger of {size:,} movements through bulk_docs", flush=True)
            ledgers.append(_ledger(Path(tmp) / str(size), size))
        keys = _keys()
        for ledger in ledgers:  # warm: the balance table in the page cache
            for material, place in keys:
                reads.balance(ledger["db"], material, place)
        samples: list[list[float]] = [[] for _ in ledgers]
        clock = time.perf_counter_ns
        gc.collect()
        for i in range(count):
            material, place = keys[i % len(keys)]
            for n, ledger in enumerate(ledgers):
                started = clock()
                reads.balance(ledger["db"], material, place)
                samples[n].append((clock() - started) / 1000)
        for ledger in ledgers:
            ledger.pop("db").close()
    results = []
    for ledger, taken in zip(ledgers, samples, strict=True):
        results.append(
            {
                **ledger,
                "reads": len(taken),
                "p50_us": round(statistics.median(taken), 1),
                "p99_us": round(_p(taken, 99), 1),
            }
        )
    small, large = results
    return {
        "keys": len(keys),
        "results": results,
        "p99_ratio": round(large["p99_us"] / small["p99_us"], 2),
    }


# -- the compact push: movements against listings -------------------------------------


def serve(var_dir: str, port: int) -> None:
    """Entry point of the server process (``python -m bench.ledger DIR PORT``)."""
    app = create_app({"var_dir": var_dir, "env": "development"})
    hirfa = state.of(app)
    db = hirfa.open_db()
    populate(db, hirfa.hasher, ledger=True)
    db.close()
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=QuietHandler)
    print("ready", flush=True)
    server.serve_forever()


def _start(var_dir: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cpus = sorted(os.sched_getaffinity(0))[:2]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.ledger", var_dir, str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.sched_setaffinity(0, cpus),
    )
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        proc.kill()
        raise RuntimeError("the benchmark server did not start")
    return proc, f"http://127.0.0.1:{port}"


MATERIAL_OF = {  # a demo material of each benchmark artisan's cooperative
    "coop-taza-zerbia": "material:coop-taza-zerbia:wool",
    "coop-essaouira-argan": "material:coop-essaouira-argan:oil",
    "coop-marrakech-fakhar": "material:coop-marrakech-fakhar:clay",
}


def movement(owner: str, coop: str, key: str, n: int) -> dict[str, Any]:
    """A movement an artisan records of her own materials: receipts, uses, waste and
    counts at her place in turn."""
    place = f"artisan:{owner}"
    body: dict[str, Any] = {
        "type": "material_movement",
        "owner": owner,
        "cooperative": coop,
        "occurred_at": STAMP,
        "material": MATERIAL_OF[coop],
        "note": f"mouvement {key}",
    }
    kind = n % 4
    if kind == 0:
        body.update(kind="receive", quantity=3000, to=place, supplier="Souk", cost_centimes=24_000)
    elif kind == 1:
        body.update({"kind": "use", "quantity": 1200, "from": place, "product_id": "product:x"})
    elif kind == 2:
        body.update({"kind": "waste", "quantity": 50, "from": place})
    else:
        body.update(kind="count", at=place, counted=1000, expected=1010)
    rev = revtree.new_rev_id(None, body, False)
    revisions = {"start": 1, "ids": [revtree.parse_rev(rev)[1]]}
    return {"_id": f"movement:{key}", "_rev": rev, "_revisions": revisions, **body}


def _bodies(artisan: tuple[str, str, str], kind: str, tag: str) -> list[bytes]:
    owner, _, coop = artisan
    out = []
    for b in range(PUSH_BATCHES):
        keys = [f"{tag}-{owner}-{b}-{i}" for i in range(PUSH_SIZE)]
        if kind == "movements":
            docs = [movement(owner, coop, key, i) for i, key in enumerate(keys)]
        else:
            docs = [listing(owner, coop, key) for key in keys]
        body = {"device": tag, "since": 0, "docs": docs, "request_id": f"{tag}-{b}", "pull": False}
        out.append(gzip.compress(json.dumps(body).encode(), mtime=0))
    return out


def measure_push() -> dict[str, Any]:
    artisans = ARTISANS[:4]  # fatima, khadija (Taza), zahra (Essaouira), aicha (Marrakech)
    rates: dict[str, list[float]] = {"products": [], "movements": []}
    with tempfile.TemporaryDirectory(prefix="bench-ledger-push-") as var:
        proc, base = _start(var)
        try:
            tokens = [_token(base, phone) for _, phone, _ in artisans]
            for r, kind in enumerate(PUSH_ORDER * PUSH_CYCLES):
                bodies = [_bodies(a, kind, f"r{r}") for a in artisans]
                seconds, _ = _run_clients(base, tokens, bodies)
                rates[kind].append(len(artisans) * PUSH_BATCHES * PUSH_SIZE / seconds)
            peak = _peak_rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    products, movements = (round(statistics.median(rates[k])) for k in ("products", "movements"))
    # Each movements round over the products round run next to it: drift on the machine
    # (other work) moves both alike.
    pairs = [m / p for p, m in zip(rates["products"], rates["movements"], strict=True)]
    return {
        "docs_per_round": len(artisans) * PUSH_BATCHES * PUSH_SIZE,
        "batch_docs": PUSH_SIZE,
        "rounds": {k: [round(x) for x in v] for k, v in rates.items()},
        "products_docs_per_s": products,
        "movements_docs_per_s": movements,
        "ratio": round(statistics.median(pairs), 2),
        "server_cpus": 2,
        "peak_rss_mb": round(peak, 1),
    }


# -- the run ---------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    r, p = report["reads"], report["push"]
    small, large = r["results"]
    lines = [
        f"balance read (reads.balance, {small['reads']:,} reads per ledger, {r['keys']} balances)",
        f"  {'movements':>12} {'balances':>9} {'p50':>9} {'p99':>9} {'fill':>8} {'store':>8}",
    ]
    for x in (small, large):
        lines.append(
            f"  {x['movements']:>12,} {x['balances']:>9,} {x['p50_us']:>6.1f} us "
            f"{x['p99_us']:>6.1f} us {x['fill_seconds']:>6.1f} s {x['store_mb']:>5} MB"
        )
    lines.append(f"  p99 ratio {r['p99_ratio']:.2f} (aim <= {READ_AIM})")
    lines += [
        f"compact push, 4 artisans x {PUSH_BATCHES} batches of {PUSH_SIZE} per round "
        f"(rounds docs/s: products {p['rounds']['products']}, "
        f"movements {p['rounds']['movements']})",
        f"  median products {p['products_docs_per_s']:,} docs/s, movements "
        f"{p['movements_docs_per_s']:,} docs/s; median ratio of neighbouring rounds "
        f"{p['ratio']:.2f} (aim >= {PUSH_AIM}); "
        f"server peak RSS {p['peak_rss_mb']} MB",
    ]
    return "\n".join(lines)


def run(quick: bool = False, **_options: Any) -> dict[str, Any]:
    sizes, count = (QUICK_SIZES, QUICK_READS) if quick else (SIZES, READS)
    print(
        f"ledger: balance p99 with {sizes[0]:,} vs {sizes[1]:,} movements; "
        "movements vs listings through the compact protocol",
        flush=True,
    )
    read_report = measure_reads(sizes, count)
    push_report = measure_push()
    report = {
        "benchmark": "ledger",
        "quick": quick,
        "aims": {
            "balance_p99_ratio": f"<= {READ_AIM}",
            "movements_over_products_push": f">= {PUSH_AIM}",
        },
        "ratios": {"balance_p99": read_report["p99_ratio"], "push": push_report["ratio"]},
        "reads": read_report,
        "push": push_report,
        "environment": environment(),
    }
    print(table(report))
    save(report, OUTPUT)
    return report


def profile(quick: bool = False) -> str:
    """cProfile of writing 20,000 generated movements through the store (the projection
    runs inside every write)."""
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        app = make_app(Path(tmp))
        hirfa = state.of(app)
        db = hirfa.open_db()
        profiler = cProfile.Profile()
        profiler.enable()
        _fill(hirfa.store(db), 20_000)
        profiler.disable()
        db.close()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        f"{REPO}/(api|sync)/", 25
    )
    return out.getvalue()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))

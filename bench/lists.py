"""The lists at scale: each coordinator's, artisan's and buyer's list, p99 latency with
1,000 and with 100,000 documents in the store (``--quick``: 20,000), and the ratio
(aim: within 1.5x).

Each size gets a fresh app (the real one, through Flask's test client, bearer tokens of
the demo accounts) and a store filled straight through ``bulk_docs``
(tests/support/bulk_store.py: products in every status, photos, orders, reviews; the
demo cooperative holds 30 % of them), plus replication conflicts (40 open, one resolved
per 20 documents). The index behind the lists is brought up to date by a first read,
timed apart ("index build"). Then each list is requested of each store in turn,
round-robin, so drift on the machine hits every list and both sizes alike; every page
holds 20 items at both sizes, so the work per page is the same and only the store's size
differs.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from api import state
from bench.results import environment, save
from sync.store.database import write_transaction
from tests.support import bulk_store
from tests.support.apps import Auth, make_app

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "lists.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "lists_profile.txt"
SIZES, QUICK_SIZES = (1_000, 100_000), (1_000, 20_000)
REQUESTS, QUICK_REQUESTS = 1000, 200  # per list and size
WARM_UP = 10
AIM = 1.5

# (list, who asks, path); 20 items a page
LISTS = [
    ("products, artisan", "artisan", "/api/v1/products?limit=20"),
    ("products submitted, artisan", "artisan", "/api/v1/products?status=submitted&limit=20"),
    (
        "products submitted, coordinator",
        "coordinator",
        "/api/v1/products?status=submitted&limit=20",
    ),
    ("orders, buyer", "buyer", "/api/v1/orders?limit=20"),
    ("orders, artisan", "artisan", "/api/v1/orders?limit=20"),
    ("orders, coordinator", "coordinator", "/api/v1/orders?limit=20"),
    ("orders placed, coordinator", "coordinator", "/api/v1/orders?status=placed&limit=20"),
    ("review queue, coordinator", "coordinator", "/api/v1/reviews/queue?limit=20"),
    ("conflicts, coordinator", "coordinator", "/api/v1/replication/conflicts"),
]


def _conflicts(db, count: int) -> None:
    """Open conflicts (20 in the demo cooperative, 20 elsewhere) and resolved ones, which
    pile up with the store."""
    now = time.time()
    coops = ["coop-taza-zerbia", "coop-essaouira-argan"]
    rows = [(f"product:open{n}", coops[n % 2], now - n, None) for n in range(40)]
    rows += [(f"product:done{n}", coops[n % 2], now - n, now) for n in range(count // 20)]
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO replication_conflicts (doc_id, doc_type, cooperative, revs, reason, "
            "detected_at, resolved_at) VALUES (?, 'product', ?, '[]', 'bench', ?, ?)",
            rows,
        )


def _store(tmp: Path, count: int):
    """An app over a store of ``count`` documents; (app, client, auth, seconds to fill)."""
    app = make_app(tmp)
    hirfa = state.of(app)
    db = hirfa.open_db()
    try:
        started = time.perf_counter()
        bulk_store.fill(hirfa.store(db), count)
        filled = time.perf_counter() - started
        _conflicts(db, count)
    finally:
        db.close()
    client = app.test_client()
    return app, client, Auth(client), filled


def _get(client, path: str, headers: dict) -> float:
    started = time.perf_counter()
    response = client.get(path, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)}")
    return elapsed


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def _prepare(tmp: Path, count: int) -> dict[str, Any]:
    """A store of ``count`` documents behind an app, its index built, every list warm."""
    app, client, auth, filled = _store(tmp, count)
    headers = {who: auth.headers(who) for _, who, _ in LISTS}
    started = time.perf_counter()
    # The list index catches up with the whole store, once; the review queue's order too.
    _get(client, "/api/v1/orders?limit=1", headers["coordinator"])
    _get(client, "/api/v1/reviews/queue?limit=1", headers["coordinator"])
    built = time.perf_counter() - started
    items = {}
    for name, who, path in LISTS:
        body = client.get(path, headers=headers[who]).get_json()
        items[name] = len(body["items"] if isinstance(body, dict) else body)
        for _ in range(WARM_UP):
            _get(client, path, headers[who])
    store = Path(state.of(app).settings.store_path)
    return {
        "client": client,
        "headers": headers,
        "documents": count,
        "fill_seconds": round(filled, 2),
        "index_build_seconds": round(built, 2),
        "store_mb": round(
            sum(f.stat().st_size for f in store.parent.glob(store.name + "*")) / 1e6, 1
        ),
        "items": items,
    }


def measure(sizes: tuple[int, ...], requests: int) -> list[dict[str, Any]]:
    """One store per size, then every list asked ``requests`` times of each store in
    turn (list after list, store after store), so drift on the machine hits all alike."""
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp:
        stores = [_prepare(Path(tmp) / str(size), size) for size in sizes]
        samples = {(i, name): [] for i in range(len(stores)) for name, _, _ in LISTS}
        for _ in range(requests):
            for name, who, path in LISTS:
                for i, store in enumerate(stores):
                    samples[i, name].append(_get(store["client"], path, store["headers"][who]))
    return [
        {
            **{k: v for k, v in store.items() if k not in ("client", "headers", "items")},
            "lists": {
                name: {
                    "items": store["items"][name],
                    "p50_ms": round(statistics.median(samples[i, name]) * 1000, 2),
                    "p99_ms": round(_p99(samples[i, name]) * 1000, 2),
                }
                for name, _, _ in LISTS
            },
        }
        for i, store in enumerate(stores)
    ]


def table(small: dict[str, Any], large: dict[str, Any]) -> str:
    n, m = f"{small['documents']:,}", f"{large['documents']:,}"
    lines = [
        f"{'list':<32} {'items':>5} {'p50 ' + n:>12} {'p99 ' + n:>12} "
        f"{'p50 ' + m:>13} {'p99 ' + m:>13} {'p99 ratio':>9}"
    ]
    for name, _, _ in LISTS:
        a, b = small["lists"][name], large["lists"][name]
        items = str(b["items"]) if a["items"] == b["items"] else f"{a['items']}/{b['items']}"
        lines.append(
            f"{name:<32} {items:>5} {a['p50_ms']:>9.2f} ms {a['p99_ms']:>9.2f} ms "
            f"{b['p50_ms']:>10.2f} ms {b['p99_ms']:>10.2f} ms {b['p99_ms'] / a['p99_ms']:>8.2f}x"
        )
    for size in (small, large):
        lines.append(
            f"{size['documents']:,} documents: filled in {size['fill_seconds']} s, index "
            f"built by the first reads in {size['index_build_seconds']} s, store "
            f"{size['store_mb']} MB"
        )
    return "\n".join(lines)


def run(quick: bool = False, **_options: Any) -> dict[str, Any]:
    sizes, requests = (QUICK_SIZES, QUICK_REQUESTS) if quick else (SIZES, REQUESTS)
    print(
        f"lists: p99 of {requests} requests per list, {sizes[0]:,} vs {sizes[1]:,} documents",
        flush=True,
    )
    small, large = measure(sizes, requests)
    ratios = {
        name: round(large["lists"][name]["p99_ms"] / small["lists"][name]["p99_ms"], 2)
        for name, _, _ in LISTS
    }
    report = {
        "benchmark": "lists",
        "quick": quick,
        "requests": requests,
        "aim": f"p99 with {sizes[1]:,} documents within {AIM}x of p99 with {sizes[0]:,}",
        "ratios": ratios,
        "results": [small, large],
        "environment": environment(),
    }
    print(table(small, large))
    save(report, OUTPUT)
    return report


def profile(quick: bool = False) -> str:
    """cProfile of the list requests on the larger store (Hirfa's code only)."""
    count = (QUICK_SIZES if quick else SIZES)[1]
    with tempfile.TemporaryDirectory(prefix="bench-lists-") as tmp:
        _, client, auth, _ = _store(Path(tmp), count)
        for _, who, path in LISTS:
            _get(client, path, auth.headers(who))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            for _, who, path in LISTS:
                _get(client, path, auth.headers(who))
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(f"{REPO}/(api|sync)/", 25)
    return out.getvalue()

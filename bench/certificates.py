"""Certificates at scale: p99 of the verification page ``GET /v/{code}`` and of the public
keys ``GET /.well-known/jwks.json`` with 100 certificates in the store and with 100,000
(``--quick``: 10,000); aim: within 1.2x.

Each size gets a fresh app (the real one, through Flask's test client). Its first 100
certificates are issued through the service (``certificates.issue``: signed, a row, a
document, a push queued), each to another generated artisan; the rest are rows put
straight into the ``certificates`` table, 10,000 per ``executemany``, with fresh codes
and the first certificate's key. That is what ``/v/{code}`` reads (one primary-key
read); the documents and credentials those rows would have beside them are not read by
either request, and writing them would only make the fill slow. One certificate in a
hundred is revoked, so the pages show both states. The verification pages asked are
random codes of the whole store, in Arabic, French and English in turn; the stores are
asked in turn, each first every other round, so drift on the machine hits both alike.
"""

from __future__ import annotations

import cProfile
import gc
import io
import json
import pstats
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from api import state
from api.services.training import certificates
from bench.results import environment, save
from sync.store.database import write_transaction
from tests.support.apps import make_app

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "certificates.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "certificates_profile.txt"
SIZES, QUICK_SIZES = (100, 100_000), (100, 10_000)
REQUESTS, QUICK_REQUESTS = 5_000, 1_000  # per store and path
ISSUED = 100  # through the service; the rest inserted as rows
BATCH = 10_000
WARM_UP = 50
AIM = 1.2
LANGS = ("ar", "fr", "en")
COURSE = {
    "_id": "course:bench",
    "type": "course",
    "title": {"ar": "تصوير المنتوج", "fr": "Photographier son produit"},
    "summary": {"fr": "La lumière, le fond, les angles."},
    "issuer": {"name": "Coopérative Zerbia de Taza"},
    "hours": 3,
    "lessons": [{"id": "light"}, {"id": "background"}],
}


def _issue(store, n: int) -> None:
    """``n`` certificates through the service, to generated artisans."""
    with write_transaction(store.db):
        for i in range(n):
            holder = certificates.Holder(f"art_bench_{i:06d}", f"Artisane {i}", "coop-bench", "ar")
            certificates.issue(store, COURSE, holder, "")


def _insert(db, start: int, count: int) -> None:
    """``count`` more certificates as rows of the table, the first one's key and fields."""
    kid, issued = db.execute("SELECT kid, issued_at FROM certificates LIMIT 1").fetchone()
    title = json.dumps(COURSE["title"], ensure_ascii=False)
    taken = {row[0] for row in db.execute("SELECT code FROM certificates")}
    for first in range(start, start + count, BATCH):
        rows = []
        for i in range(first, min(first + BATCH, start + count)):
            code = certificates.new_code()
            while code in taken:
                code = certificates.new_code()
            taken.add(code)
            revoked = ("2026-12-01T10:00:00Z", "erreur") if i % 100 == 0 else (None, None)
            rows.append(
                (code, f"urn:uuid:bench-{i:08d}", f"course:bench-{i % 50}", f"art_bench_{i:06d}",
                 "coop-bench", f"Artisane {i}", title, "Coopérative Zerbia de Taza", 3, issued,
                 kid, *revoked)
            )  # fmt: skip
        with write_transaction(db):
            db.conn.executemany(
                "INSERT INTO certificates (code, credential_id, course_id, artisan_id, "
                "cooperative_id, holder_name, course_title, issuer_name, hours, issued_at, "
                "kid, revoked_at, revoked_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )


def _get(client, path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return elapsed


def _p99(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[98]


def _prepare(tmp: Path, count: int) -> dict[str, Any]:
    app = make_app(tmp)
    hirfa = state.of(app)
    db = hirfa.open_db()
    started = time.perf_counter()
    _issue(hirfa.store(db), min(count, ISSUED))
    issued = time.perf_counter() - started
    if count > ISSUED:
        _insert(db, ISSUED, count - ISSUED)
    filled = time.perf_counter() - started
    codes = [row[0] for row in db.execute("SELECT code FROM certificates")]
    db.close()
    client = app.test_client()
    for i in range(WARM_UP):
        _get(client, f"/v/{codes[i % len(codes)]}?lang={LANGS[i % 3]}")
        _get(client, "/.well-known/jwks.json")
    store = Path(hirfa.settings.store_path)
    return {
        "client": client,
        "codes": codes,
        "certificates": len(codes),
        "issue_seconds": round(issued, 2),
        "fill_seconds": round(filled, 2),
        "store_mb": round(
            sum(f.stat().st_size for f in store.parent.glob(store.name + "*")) / 1e6, 1
        ),
    }


def measure(sizes: tuple[int, ...], requests: int) -> list[dict[str, Any]]:
    rng = random.Random(15)
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as tmp:
        stores = [_prepare(Path(tmp) / str(size), size) for size in sizes]
        samples: dict[tuple[int, str], list[float]] = {
            (i, name): [] for i in range(len(stores)) for name in ("verify", "jwks")
        }
        gc.collect()
        for n in range(requests):
            lang = LANGS[n % 3]
            # Each store first in turn: neither always follows the other's garbage.
            for i in range(len(stores)) if n % 2 else reversed(range(len(stores))):
                store = stores[i]
                code = rng.choice(store["codes"])
                samples[i, "verify"].append(_get(store["client"], f"/v/{code}?lang={lang}"))
                samples[i, "jwks"].append(_get(store["client"], "/.well-known/jwks.json"))
    return [
        {
            **{k: v for k, v in store.items() if k not in ("client", "codes")},
            **{
                name: {
                    "p50_ms": round(statistics.median(samples[i, name]) * 1000, 3),
                    "p99_ms": round(_p99(samples[i, name]) * 1000, 3),
                }
                for name in ("verify", "jwks")
            },
        }
        for i, store in enumerate(stores)
    ]


def table(small: dict[str, Any], large: dict[str, Any]) -> str:
    n, m = f"{small['certificates']:,}", f"{large['certificates']:,}"
    lines = [
        f"{'request':<28} {'p50 ' + n:>10} {'p99 ' + n:>10} "
        f"{'p50 ' + m:>12} {'p99 ' + m:>12} {'p99 ratio':>9}"
    ]
    for name, label in (("verify", "GET /v/{code}"), ("jwks", "GET /.well-known/jwks.json")):
        a, b = small[name], large[name]
        lines.append(
            f"{label:<28} {a['p50_ms']:>7.3f} ms {a['p99_ms']:>7.3f} ms {b['p50_ms']:>9.3f} ms "
            f"{b['p99_ms']:>9.3f} ms {b['p99_ms'] / a['p99_ms']:>8.2f}x"
        )
    for size in (small, large):
        lines.append(
            f"{size['certificates']:,} certificates: {min(size['certificates'], ISSUED)} issued "
            f"in {size['issue_seconds']} s, filled in {size['fill_seconds']} s, "
            f"store {size['store_mb']} MB"
        )
    return "\n".join(lines)


def run(quick: bool = False, **_options: Any) -> dict[str, Any]:
    sizes, requests = (QUICK_SIZES, QUICK_REQUESTS) if quick else (SIZES, REQUESTS)
    print(
        f"certificates: p99 of {requests} requests per path, "
        f"{sizes[0]:,} vs {sizes[1]:,} certificates",
        flush=True,
    )
    small, large = measure(sizes, requests)
    ratios = {
        name: round(large[name]["p99_ms"] / small[name]["p99_ms"], 2) for name in ("verify", "jwks")
    }
    report = {
        "benchmark": "certificates",
        "quick": quick,
        "requests": requests,
        "aim": f"p99 with {sizes[1]:,} certificates within {AIM}x of p99 with {sizes[0]:,}",
        "ratios": ratios,
        "results": [small, large],
        "environment": environment(),
    }
    print(table(small, large))
    save(report, OUTPUT)
    return report


def profile(quick: bool = False) -> str:
    """cProfile of verification pages and JWKS requests on the larger store."""
    count = (QUICK_SIZES if quick else SIZES)[1]
    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as tmp:
        store = _prepare(Path(tmp), count)
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(1_000):
            _get(store["client"], f"/v/{store['codes'][n]}?lang={LANGS[n % 3]}")
            _get(store["client"], "/.well-known/jwks.json")
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(
        f"{REPO}/(api|sync)/", 25
    )
    return out.getvalue()

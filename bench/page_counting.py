"""Counting page views costs the visitor nothing: ``GET /p/{id}`` with counting on and off.

Two Hirfa servers as in production (gunicorn, one process of 64 ``gthread`` threads,
keep-alive: tests/support/production_server.py), on stores filled alike (the demo
accounts and 20 approved products), one with ``HIRFA_COUNT_VIEWS=true`` (the default:
views buffered in memory, flushed every 5 s, api/services/analytics/), the other with
``false``. Client threads, each on its own kept-alive connection and with its own
browser user agent (so a visitor each), ask ``/p/{id}`` for random products with
random ``?via=`` tags at a fixed total rate (several hundred views per second), the two
servers in turn, round after round (on, off, off, on...), so drift on the machine hits
both alike. Latency is timed by the client, send to last byte. Afterwards the counting
server's store must hold exactly the views it was sent: the buffer lost nothing.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from api import create_app
from bench.results import environment, save
from seed import populate
from sync.store.database import connect
from tests.support.apps import FAST_KDF
from tests.support.listings import Listings
from tests.support.pouchdb_server import free_port
from tests.support.production_server import ARGS, GUNICORN, KEY, GunicornError, _wait_ready

REPO = Path(__file__).resolve().parent.parent
OUTPUT = REPO / "var" / "bench" / "page_counting.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "page_counting_profile.txt"
PRODUCTS = 20
CLIENTS = 16
# Views per second, all clients together: "several hundred", and under what two CPUs
# carrying the servers and the 16 clients can serve (near 360 they saturate, and the run
# then compares queues, not the cost of counting: docs/benchmarks.md).
RATE = 250
ROUNDS, QUICK_ROUNDS = 6, 2  # each a period on each server
SECONDS, QUICK_SECONDS = 10.0, 3.0
WARM_UP = 200
AIM = 1.1
VIA = ("whatsapp", "facebook", "link", "qr", None)
UA = "Mozilla/5.0 (Linux; Android 10; SM-A{n:03d}F) AppleWebKit/537.36 Chrome/120.0 Mobile"


def _fill(var_dir: str, count_views: bool) -> list[str]:
    """The demo accounts and PRODUCTS approved products; their ids."""
    app = create_app({"env": "production", "jwt_signing_key": KEY, "var_dir": var_dir,
                      "count_views": count_views, **FAST_KDF})  # fmt: skip
    hirfa = app.extensions["hirfa"]
    db = hirfa.open_db()
    populate(db, hirfa.hasher)
    db.close()
    listings = Listings(app, app.test_client())
    return [
        listings.published(
            title={"fr": f"Tapis {i}", "ar": f"زربية {i}"},
            description={"fr": "Laine naturelle, nouée main. " * 4},
        )  # fmt: skip
        for i in range(PRODUCTS)
    ]


@contextmanager
def _server(tmp: Path, count_views: bool) -> Iterator[dict[str, Any]]:
    var_dir = str(tmp / "var")
    products = _fill(var_dir, count_views)
    env = {
        **os.environ,
        "HIRFA_ENV": "production",
        "HIRFA_JWT_SIGNING_KEY": KEY,
        "HIRFA_VAR_DIR": var_dir,
        "HIRFA_COUNT_VIEWS": "true" if count_views else "false",
        **{f"HIRFA_{k.upper()}": str(v) for k, v in FAST_KDF.items()},
    }
    if not GUNICORN.exists():
        raise GunicornError("gunicorn is missing: install the `server` extra")
    url = f"http://127.0.0.1:{free_port()}"
    log_path = tmp / "gunicorn.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(GUNICORN), *ARGS, "--bind", url.removeprefix("http://"), "api:create_app()"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = {"url": url, "products": products, "store": Path(var_dir) / "hirfa.sqlite3"}
        try:
            _wait_ready(process, url, log_path)
            yield server
        finally:
            process.terminate()  # the worker flushes what is buffered as it exits
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _load(server: dict[str, Any], seconds: float, rate: float, seed: int) -> dict[str, Any]:
    """CLIENTS threads at ``rate`` views per second in all for ``seconds``."""
    latencies: list[float] = []
    errors: list[str] = []
    sent = [0]
    lock = threading.Lock()
    interval = CLIENTS / rate
    start = time.perf_counter() + 0.05

    def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        mine: list[float] = []
        headers = {"User-Agent": UA.format(n=n)}
        with requests.Session() as session:
            due = start + interval * n / CLIENTS
            while due < start + seconds:
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                via = rng.choice(VIA)
                url = f"{server['url']}/p/{rng.choice(server['products'])}"
                began = time.perf_counter()
                response = session.get(url, params={"via": via} if via else None, headers=headers)
                mine.append(time.perf_counter() - began)
                if response.status_code != 200:
                    with lock:
                        errors.append(f"{response.status_code} {url}")
                due += interval
        with lock:
            latencies.extend(mine)
            sent[0] += len(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    return {"latencies": latencies, "errors": errors, "sent": sent[0], "elapsed": elapsed}


def _p(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def _counted(store: Path) -> tuple[int, int]:
    db = connect(store)
    try:
        views, visitors = db.execute(
            "SELECT coalesce(sum(views), 0), coalesce(sum(visitors), 0) FROM page_views"
        ).fetchone()
    finally:
        db.close()
    return views, visitors


def measure(rounds: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-page-counting-") as tmp:
        with _server(Path(tmp) / "on", True) as on, _server(Path(tmp) / "off", False) as off:
            servers = {"on": on, "off": off}
            # Warm up: imports, templates, connections; the views count all the same.
            warm = {
                name: _load(server, WARM_UP / RATE, RATE, seed=-1)
                for name, server in servers.items()
            }
            samples: dict[str, list[float]] = {"on": [], "off": []}
            sent = {"on": 0, "off": 0}
            errors: list[str] = []
            rates: dict[str, list[float]] = {"on": [], "off": []}
            for r in range(rounds):
                order = ("on", "off") if r % 2 == 0 else ("off", "on")
                for name in order:
                    result = _load(servers[name], seconds, RATE, seed=r)
                    samples[name] += result["latencies"]
                    sent[name] += result["sent"]
                    errors += result["errors"]
                    rates[name].append(result["sent"] / result["elapsed"])
        # Both servers stopped: the counting one has flushed its buffer at exit.
        counted, visitors = _counted(on["store"])
        counted_off, _ = _counted(off["store"])
    modes = {
        name: {
            "views": sent[name],
            "views_per_second": round(statistics.mean(rates[name]), 1),
            "p50_ms": round(statistics.median(samples[name]) * 1000, 3),
            "p99_ms": round(_p(samples[name], 99) * 1000, 3),
        }
        for name in ("on", "off")
    }
    return {
        "modes": modes,
        "errors": errors[:10],
        "error_count": len(errors),
        "counted_on": counted,
        "expected_on": sent["on"] + warm["on"]["sent"],
        "visitors_on": visitors,
        "counted_off": counted_off,
    }


def table(result: dict[str, Any]) -> str:
    on, off = result["modes"]["on"], result["modes"]["off"]
    lines = [
        f"{'counting':<10} {'views':>7} {'views/s':>8} {'p50':>10} {'p99':>10}",
        *(
            f"{name:<10} {m['views']:>7} {m['views_per_second']:>8} {m['p50_ms']:>7.3f} ms "
            f"{m['p99_ms']:>7.3f} ms"
            for name, m in (("on", on), ("off", off))
        ),
        f"on / off: p50 {on['p50_ms'] / off['p50_ms']:.3f}x, "
        f"p99 {on['p99_ms'] / off['p99_ms']:.3f}x (aim: within {AIM}x)",
        f"counted by the server with counting on: {result['counted_on']} views "
        f"of {result['expected_on']} sent (warm-up included), "
        f"{result['visitors_on']} visitor-pages; with counting off: {result['counted_off']}",
    ]
    if result["error_count"]:
        lines.append(f"{result['error_count']} errors, e.g. {result['errors'][:3]}")
    return "\n".join(lines)


def run(quick: bool = False, **_options: Any) -> dict[str, Any]:
    rounds, seconds = (QUICK_ROUNDS, QUICK_SECONDS) if quick else (ROUNDS, SECONDS)
    print(
        f"page_counting: GET /p/{{id}} at {RATE} views/s from {CLIENTS} clients, "
        f"{rounds} rounds of {seconds:g} s per server, counting on vs off",
        flush=True,
    )
    result = measure(rounds, seconds)
    on, off = result["modes"]["on"], result["modes"]["off"]
    report = {
        "benchmark": "page_counting",
        "quick": quick,
        "rate": RATE,
        "clients": CLIENTS,
        "aim": f"p50 and p99 with counting on within {AIM}x of counting off",
        "ratios": {
            "p50": round(on["p50_ms"] / off["p50_ms"], 3),
            "p99": round(on["p99_ms"] / off["p99_ms"], 3),
        },
        **result,
        "environment": environment(),
    }
    print(table(result))
    save(report, OUTPUT)
    return report


def profile(quick: bool = False) -> str:
    """cProfile of the hot path in this process: record() as the pages call it."""
    import cProfile  # noqa: PLC0415 - only for --profile
    import io  # noqa: PLC0415
    import pstats  # noqa: PLC0415

    from api.services.analytics.counter import ViewCounter  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="bench-page-counting-") as tmp:
        app = create_app({"env": "testing", "jwt_signing_key": KEY, "var_dir": tmp, **FAST_KDF})
        counter: ViewCounter = app.extensions["hirfa"].view_counter
        profiler = cProfile.Profile()
        profiler.enable()
        for n in range(20_000 if not quick else 2_000):
            counter.record("product", f"product:{n % 50}", source=VIA[n % 4] or "direct",
                           address=f"10.0.0.{n % 200}", user_agent=UA.format(n=n % 16))  # fmt: skip
        counter.flush()
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(f"{REPO}/api/", 20)
    return out.getvalue()

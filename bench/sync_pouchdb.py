"""PouchDB push and pull of the same documents against Hirfa and against pouchdb-server.

Each repetition uses fresh databases: a new Hirfa (LiveServer on a new temp dir, the
threaded werkzeug server `make run` uses), a new Hirfa under gunicorn as production runs
it (tests/support/production_server.py) and a new database on one pouchdb-server. A fresh device
pushes the documents, then another fresh device pulls them back; only the replication
is timed (inside Node, by bench/pouch_bench.js). Figures are the median over the
repetitions; each ratio is a Hirfa server's rate over pouchdb-server's.
"""

from __future__ import annotations

import base64
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.sync_targets import Hirfa, HirfaGunicorn, PouchDBServerTarget, Target
from tests.support.pouch_device import NODE_MODULES, require_node_modules

REPO = Path(__file__).resolve().parent.parent
POUCH_BENCH_JS = Path(__file__).resolve().parent / "pouch_bench.js"
OUTPUT = REPO / "var" / "bench" / "sync_pouchdb.json"
PROFILE_OUTPUT = REPO / "var" / "bench" / "sync_pouchdb_profile.txt"

DOCS, QUICK_DOCS = 1000, 200
REPEATS, QUICK_REPEATS = 3, 1
ATTACHMENT_BYTES = 2048
REPLICATION_TIMEOUT = 600.0
PROFILE_TOP = 25

# What the demo artisan may write (sync/rules/access.py), plus realistic listing fields.
DESCRIPTION = (
    "Zerbia tissée à la main en laine de mouton filée et teinte au henné, à l'indigo et "
    "à la garance par les femmes de la coopérative. Motifs berbères du Moyen Atlas, "
    "nœuds serrés, franges nouées à la main. Chaque pièce est unique ; les couleurs "
    "peuvent varier légèrement d'un bain de teinture à l'autre."
)
FIELDS = {
    "type": "product",
    "owner": "art_fatima",
    "cooperative": "coop-taza-zerbia",
    "title": {"ar": "زربية", "fr": "Zerbia de Taza"},
    "description": {"fr": DESCRIPTION},
    "category": "carpets",
    "status": "draft",
    "created_at": "2026-11-22T09:00:00Z",
}


def make_docs(count: int, attachment_bytes: int = 0) -> list[dict[str, Any]]:
    """The documents every run pushes: the same for both servers."""
    docs = []
    for i in range(count):
        doc = {"_id": f"product:bench-{i:06d}", **FIELDS, "price_centimes": 150_000 + 250 * i}
        if attachment_bytes:
            unit = f"{doc['_id']};".encode()
            body = (unit * (attachment_bytes // len(unit) + 1))[:attachment_bytes]
            doc["_attachments"] = {
                "photo.txt": {
                    "content_type": "text/plain",
                    "data": base64.b64encode(body).decode("ascii"),
                },
            }
        docs.append(doc)
    return docs


class BenchError(RuntimeError):
    """A replication failed or moved the wrong number of documents: no figure to report."""


def replicate(job: dict[str, Any], expect_docs: int) -> dict[str, Any]:
    """Run one timed replication in Node; its result line (seconds, requests, counts)."""
    proc = subprocess.run(
        ["node", str(POUCH_BENCH_JS)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=REPLICATION_TIMEOUT,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchError(f"pouch_bench.js exited with {proc.returncode}:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    moved = (result.get("docs_written"), result.get("doc_write_failures"))
    if not result["ok"] or moved != (expect_docs, 0):
        raise BenchError(f"{job['direction']} to {job['url']} went wrong: {result}")
    return result


def visible_docs(remote) -> int:
    """Documents the device sees on the server before the push: none on pouchdb-server,
    the seeded directory (its cooperative, its artisans) on Hirfa; a pull brings them too."""
    req = urllib.request.Request(remote.url, headers=remote.headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.load(response)["doc_count"]


def push_then_pull(
    target: Target,
    docs: list[dict],
    on_phase: Callable[[str], None] | None = None,
) -> dict[str, dict]:
    """Push ``docs`` from a fresh device to a fresh database, then pull into another."""
    results = {}
    with target.fresh() as remote, tempfile.TemporaryDirectory(prefix="bench-device-") as tmp:
        already = visible_docs(remote)
        for direction in ("push", "pull"):
            job = {"direction": direction, "state_dir": tmp, **asdict(remote)}
            if direction == "push":
                job["docs"] = docs
            if on_phase is not None:
                on_phase(direction)
            expect = len(docs) + (already if direction == "pull" else 0)
            results[direction] = replicate(job, expect)
    return results


def summarize(runs: list[dict], count: int) -> dict[str, Any]:
    """Median rate; request counts and server waits of the median run."""
    seconds = [run["seconds"] for run in runs]
    median = statistics.median(seconds)
    typical = sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]
    return {
        "docs_per_s": round(count / median, 1),
        "median_s": round(median, 4),
        "seconds": [round(s, 4) for s in seconds],
        "requests": sum(typical["requests"].values()),
        "requests_by_kind": dict(sorted(typical["requests"].items())),
        "server_wait_s": round(sum(typical["waits"].values()), 4),
        "server_wait_s_by_kind": {k: round(v, 4) for k, v in sorted(typical["waits"].items())},
    }


def measure(count: int, repeats: int) -> list[dict[str, Any]]:
    require_node_modules()
    targets: list[Target] = [Hirfa(), HirfaGunicorn(), PouchDBServerTarget()]
    rows = []
    try:
        for attachment_bytes in (0, ATTACHMENT_BYTES):
            docs = make_docs(count, attachment_bytes)
            runs: dict[tuple[str, str], list[dict]] = {}
            for _ in range(repeats):
                # Alternate the servers so that drift on the machine hits all alike.
                for target in targets:
                    for direction, result in push_then_pull(target, docs).items():
                        runs.setdefault((target.name, direction), []).append(result)
            for direction in ("push", "pull"):
                hirfa = summarize(runs[("hirfa", direction)], count)
                gunicorn = summarize(runs[("hirfa (gunicorn)", direction)], count)
                baseline = summarize(runs[("pouchdb-server", direction)], count)
                rows.append(
                    {
                        "workload": direction,
                        "attachment_bytes": attachment_bytes,
                        "docs": count,
                        "hirfa": hirfa,
                        "hirfa_gunicorn": gunicorn,
                        "pouchdb_server": baseline,
                        "ratio": round(hirfa["docs_per_s"] / baseline["docs_per_s"], 3),
                        "ratio_gunicorn": round(gunicorn["docs_per_s"] / baseline["docs_per_s"], 3),
                    }
                )
    finally:
        for target in targets:
            target.close()
    return rows


def label(workload: str, attachment_bytes: int) -> str:
    return workload + (f" +{attachment_bytes} B att" if attachment_bytes else "")


def table(rows: list[dict[str, Any]]) -> str:
    header = (
        "workload",
        "docs",
        "hirfa docs/s",
        "pouchdb-server docs/s",
        "ratio",
        "hirfa (gunicorn) docs/s",
        "ratio (gunicorn)",
        "requests",
        "server wait s",
    )
    lines = [header]
    for row in rows:
        servers = (row["hirfa"], row["hirfa_gunicorn"], row["pouchdb_server"])
        lines.append(
            (
                label(row["workload"], row["attachment_bytes"]),
                str(row["docs"]),
                f"{row['hirfa']['docs_per_s']:.0f}",
                f"{row['pouchdb_server']['docs_per_s']:.0f}",
                f"{row['ratio']:.2f}",
                f"{row['hirfa_gunicorn']['docs_per_s']:.0f}",
                f"{row['ratio_gunicorn']:.2f}",
                " / ".join(str(s["requests"]) for s in servers),
                " / ".join(f"{s['server_wait_s']:.2f}" for s in servers),
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        pairs = enumerate(zip(line, widths, strict=True))
        cells = [cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in pairs]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def environment() -> dict[str, Any]:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    pouchdb = json.loads((NODE_MODULES / "pouchdb" / "package.json").read_text())["version"]
    return {
        "commit": commit.stdout.strip(),
        "python": platform.python_version(),
        "werkzeug": version("werkzeug"),
        "gunicorn": version("gunicorn"),
        "flask": version("flask"),
        "node": node.stdout.strip(),
        "pouchdb": pouchdb,
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        # Other work on the machine skews the figures: keep the load beside them.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure, print the table and the JSON line, and write the JSON to var/bench/."""
    count, repeats = (QUICK_DOCS, QUICK_REPEATS) if quick else (DOCS, REPEATS)
    print(f"sync_pouchdb: PouchDB push and pull of {count} docs, median of {repeats}", flush=True)
    rows = measure(count, repeats)
    report = {
        "benchmark": "sync_pouchdb",
        "quick": quick,
        "repeats": repeats,
        "ratio": "hirfa (werkzeug) docs/s over pouchdb-server docs/s (aim >= 1.2, issue 20)",
        "ratio_gunicorn": "hirfa (gunicorn, production) docs/s over pouchdb-server docs/s",
        "results": rows,
        "environment": environment(),
    }
    print(table(rows))
    print(
        "requests, server wait: hirfa (werkzeug) / hirfa (gunicorn) / pouchdb-server, in the"
        " median run; the wait sums each request's time to its response headers (concurrent"
        " ones overlap)"
    )
    line = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
    print(line)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    return report


class ProfiledApp:
    """WSGI middleware: profiles each request in its own thread, merged per phase.

    The clock is each thread's CPU time: up to a hundred requests run at once (the
    attachment fetches of a pull), and wall time would count every wait for the GIL.
    Waits on the disk (fsync) show in the benchmark's server_wait_s instead.
    """

    def __init__(self, app) -> None:
        self.app = app
        self.phase = "setup"
        self.profiles: dict[str, list[cProfile.Profile]] = {}
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self.profiles.setdefault(self.phase, []).append(profile)
        profile.enable()
        try:
            # Drain the body here, so a streamed response is profiled too.
            return list(self.app(environ, start_response))
        finally:
            profile.disable()

    def stats(self, phase: str) -> pstats.Stats | None:
        profiles = self.profiles.get(phase)
        if not profiles:
            return None
        stats = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            stats.add(profile)
        return stats


def profile(quick: bool = False) -> str:
    """Profile Hirfa's side of one push and one pull of each workload; a text report."""
    require_node_modules()
    count = QUICK_DOCS if quick else DOCS
    apps: list[ProfiledApp] = []

    def wrap(app):
        apps.append(ProfiledApp(app))
        return apps[-1]

    def set_phase(phase: str) -> None:
        apps[-1].phase = phase

    PROFILE_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    for attachment_bytes in (0, ATTACHMENT_BYTES):
        docs = make_docs(count, attachment_bytes)
        results = push_then_pull(Hirfa(wrap), docs, on_phase=set_phase)
        for phase in ("push", "pull"):
            name = label(phase, attachment_bytes)
            seconds = results[phase]["seconds"]
            out.write(f"\n=== Hirfa {name}, {count} docs: {seconds:.2f} s under cProfile ===\n")
            stats = apps[-1].stats(phase)
            if stats is None:
                continue
            stats.stream = out
            stats.sort_stats("tottime").print_stats(PROFILE_TOP)
            # Inclusive time of Hirfa's own functions: which of its steps cost most.
            stats.sort_stats("cumulative").print_stats(f"{REPO}/(api|sync|schemas)/", PROFILE_TOP)
            slug = phase + (f"_att{attachment_bytes}" if attachment_bytes else "")
            stats.dump_stats(PROFILE_OUTPUT.with_name(f"hirfa_{slug}.pstats"))
    return out.getvalue()

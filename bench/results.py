"""What every benchmark writes beside its figures: the machine and the commit they were
measured on, and the report saved under var/bench/ for docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def environment() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "commit": commit.stdout.strip(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs",
        # Other work on the machine skews the figures: keep the load beside them.
        "loadavg_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def save(report: dict[str, Any], output: Path) -> None:
    """The report as one line on stdout (for logs) and as a file (for the docs)."""
    print(json.dumps(report, ensure_ascii=False, separators=(",", ":")))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")

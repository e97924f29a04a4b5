"""The layers hold: the engine and the rules load no web framework and nothing of the app
(docs/architecture.md, "Layers"; the full contract is import-linter's, in setup.cfg)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BELOW_THE_WEB = [
    "sync.store.documents",
    "sync.store.migrations",
    "sync.rules.access",
    "sync.rules.orders",
    "sync.rules.resolution",
    "sync.compact.batch",
    "sync.compact.client",
    "sync.replication.worker",
    "schemas.documents",
    "schemas.accounts",
]


def _loaded_after_import(module: str) -> list[str]:
    """The modules a fresh interpreter holds after importing ``module`` alone."""
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("module", BELOW_THE_WEB)
def test_the_engine_and_the_rules_load_neither_flask_nor_the_app(module):
    loaded = _loaded_after_import(module)
    assert module in loaded
    web = [m for m in loaded if m.split(".")[0] in ("flask", "werkzeug", "flask_restx")]
    app = [m for m in loaded if m.split(".")[0] in ("api", "seed")]
    assert web == [] and app == [], (web, app)


def test_the_http_face_of_sync_loads_flask_but_nothing_of_the_app():
    loaded = _loaded_after_import("sync.http")
    assert "flask" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("api", "seed")] == []

"""Drive a PouchDB device with the hirfa-sync plugin (tests/js/plugin_device.js).

The device and its ops are device.js's (tests/support/pouch_device.py), plus
``hirfa_sync``, ``get_leaves`` and ``rev_trees``. Revision trees are compared as
``{id: [{rev, deleted, revisions}]}``: every leaf with its ancestry, which is the
whole tree; ``server_rev_trees`` builds the same shape from a live server's store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.pouch_device import JS_DIR, PouchDevice, results

PLUGIN_DEVICE_JS = JS_DIR / "plugin_device.js"
PLUGIN_DIR = Path(__file__).resolve().parents[2] / "clients" / "js"

# Small waits between retries: the tests cut links on purpose and should not sit out a
# production backoff (the plugin's default starts at a second).
FAST_RETRIES = {"retries": 3, "backoff": {"initial": 10, "max": 50}, "timeout": 20000}


class PluginDevice(PouchDevice):
    """A PouchDB with hirfa-sync in ``state_dir``, synced as device ``name``."""

    script = PLUGIN_DEVICE_JS

    def __init__(self, state_dir: str | Path, name: str) -> None:
        super().__init__(state_dir)
        self.name = name

    def sync_op(self, url: str, token: str, **options: Any) -> dict:
        return {
            "op": "hirfa_sync",
            "url": url,
            "token": token,
            "device": self.name,
            "options": {**FAST_RETRIES, **options},
        }

    def sync(self, url: str, token: str, **options: Any) -> dict:
        """One sync; the result line, ``summary`` and ``events`` in it."""
        return self.result(self.sync_op(url, token, **options))

    def synced(self, url: str, token: str, **options: Any) -> dict:
        """One sync that must succeed; its summary."""
        result = self.sync(url, token, **options)
        assert result["ok"], result
        assert result["summary"]["ok"], result["summary"]
        return result["summary"]

    def rev_trees(self) -> dict[str, list[dict]]:
        return self.result({"op": "rev_trees"})["trees"]

    def revs(self) -> dict[str, str]:
        """Live documents: id -> winning revision."""
        rows = self.result({"op": "all_docs"})["rows"]
        return {row["id"]: row["rev"] for row in rows}

    def docs(self) -> dict[str, dict]:
        rows = self.result({"op": "all_docs", "include_docs": True, "conflicts": True})["rows"]
        return {row["id"]: row["doc"] for row in rows}

    def get(self, doc_id: str, **options: Any) -> dict:
        return self.result({"op": "get", "id": doc_id, **options})

    def run_ops(self, ops: list[dict]) -> list[dict]:
        """Run ``ops`` and return their result lines, each of which must be ok."""
        lines = results(self.run(ops))
        for line in lines:
            assert line["ok"], line
        return lines


def leaf_entry(doc: dict) -> dict:
    start, ids = doc["_revisions"]["start"], doc["_revisions"]["ids"]
    return {
        "rev": doc["_rev"],
        "deleted": bool(doc.get("_deleted")),
        "revisions": [f"{start - i}-{h}" for i, h in enumerate(ids)],
    }


def server_rev_trees(store, doc_ids) -> dict[str, list[dict]]:
    """The server's revision trees of ``doc_ids``, in the shape ``rev_trees`` answers."""
    trees = {}
    for doc_id in doc_ids:
        leaves = [found["ok"] for found in store.open_revs(doc_id, "all", revs=True)]
        if leaves:
            trees[doc_id] = sorted((leaf_entry(doc) for doc in leaves), key=lambda e: e["rev"])
    return trees


def require_plugin() -> None:
    """Fail with what is missing when the plugin is not in clients/js."""
    if not (PLUGIN_DIR / "package.json").is_file():
        raise RuntimeError(f"the hirfa-sync plugin is missing from {PLUGIN_DIR}")

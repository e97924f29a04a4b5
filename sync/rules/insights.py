"""Insights' rules: the artisan's summary document ``insights:<artisan id>`` is in her
channel and her cooperative's, and the server's alone to write (like training's
results and certificates): a phone reads it, never writes or deletes it."""

from __future__ import annotations

from typing import Any

from schemas.insights import SUMMARY_PREFIX, SUMMARY_TYPE
from sync.store.errors import WriteForbidden

SERVERS_ONLY = (
    "insights summaries are written by the server from the page views and orders; "
    "they cannot be written"
)


def channels(body: dict[str, Any]) -> set[str]:
    found = set()
    owner, coop = body.get("owner"), body.get("cooperative")
    if isinstance(owner, str) and owner:
        found.add(f"artisan:{owner}")
    if isinstance(coop, str) and coop:
        found.add(f"coop:{coop}")
    return found


def check(doc_id: str, old: dict | None, new: dict) -> None:
    """Any write of a summary, or of another type under a summary's id."""
    if new.get("type") == SUMMARY_TYPE or (old or {}).get("type") == SUMMARY_TYPE:
        raise WriteForbidden(SERVERS_ONLY)
    if doc_id.startswith(SUMMARY_PREFIX):
        raise WriteForbidden(f"ids starting with {SUMMARY_PREFIX!r} are the server's")


def check_deletion(old: dict) -> None:
    if old.get("type") == SUMMARY_TYPE:
        raise WriteForbidden(SERVERS_ONLY)

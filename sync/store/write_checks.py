"""Who may write a document: the check a write passes, and the writer's channels.

A check is ``check(doc_id, old, new)`` and raises WriteForbidden (sync/rules/access.py builds them).
Wrapped by ``seeing`` it also knows the channels its writer reads, so a write to a
document outside them is refused before anything about that document (its revisions,
whether it was deleted or exists at all) shapes the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.store.errors import WriteForbidden
from sync.store.reads import Visible

ChannelsFn = Callable[[str, dict[str, Any] | None], set[str]]
# check(doc_id, old, new): raises WriteForbidden. ``old`` is the document's last live body (its
# winner; for a deleted document the latest revision that still has fields; None: a new
# document), ``new`` the revision written (with ``"_deleted": True`` for a deletion).
# A check may carry ``visible``, the channels its writer reads (see ``seeing``).
CheckFn = Callable[[str, dict[str, Any] | None, dict[str, Any]], None]
# What a writer who cannot see a document is told, whatever the document holds.
UNSEEN = "you may not write this document"


@dataclass(frozen=True)
class SeeingCheck:
    """A check that knows the channels its writer reads: writes to a document outside
    them are refused before anything about the document (its revisions, whether it was
    deleted) shapes the answer."""

    check: CheckFn
    visible: Visible

    def __call__(self, doc_id: str, old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        self.check(doc_id, old, new)


def seeing(check: CheckFn | None, visible: Visible) -> CheckFn | None:
    if check is None or isinstance(check, SeeingCheck):
        return check
    return SeeingCheck(check, visible)


def checked_body(doc: dict[str, Any]) -> dict[str, Any]:
    """What the check sees of an incoming document before it is stored."""
    body = {k: v for k, v in doc.items() if not k.startswith("_")}
    return {**body, "_deleted": True} if doc.get("_deleted") else body


def passes(check: CheckFn, doc_id: str, body: dict[str, Any]) -> bool:
    try:
        check(doc_id, body, body)
    except WriteForbidden:
        return False
    return True

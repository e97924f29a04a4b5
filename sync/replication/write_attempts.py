"""How often the target refused each revision for a reason that may pass, across sessions.

A refusal that is not permanent (conflict, unknown_error, a name we do not know: see
``replicator.PERMANENT_WRITE_ERRORS``) stops the batch's checkpoint so the next session
sends it again. One document that is refused that way every time would then hold back
every later change for good. So the tries of each (id, revision) are counted in a
``_local`` document of the store, beside the checkpoints (a restart must not reset the
count), and after :data:`MAX_WRITE_ATTEMPTS` the refusal counts as a doc_write_failure:
listed in the worker's status, gone past by the checkpoint, as CouchDB's replicator
goes past a document it cannot write.
"""

from __future__ import annotations

from typing import Any

from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

ATTEMPTS_SCOPE = "_replication_attempts"
MAX_WRITE_ATTEMPTS = 5


class WriteAttempts:
    """The tries of one replication (``rep_id``) whose batch has not gone through yet."""

    def __init__(self, store: DocumentStore, rep_id: str, limit: int = MAX_WRITE_ATTEMPTS):
        self.store, self.rep_id, self.limit = store, rep_id, limit

    def _read(self) -> dict[str, int]:
        try:
            return dict(self.store.local_get(ATTEMPTS_SCOPE, self.rep_id).get("attempts", {}))
        except DocumentNotFound:
            return {}

    def given_up(
        self, errors: list[dict[str, Any]], docs: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Count one more try of each refused revision; the refusals tried ``limit``
        times, with the count in their reason (the caller treats them as permanent)."""
        revs: dict[str, list[str]] = {}
        for doc in docs:
            revs.setdefault(doc.get("_id"), []).append(doc.get("_rev"))
        counts = self._read()
        out = []
        for error in errors:
            doc_id = error.get("id")
            key = f"{doc_id} {error.get('rev') or ','.join(sorted(revs.get(doc_id, [])))}"
            counts[key] = counts.get(key, 0) + 1
            if counts[key] >= self.limit:
                reason = f"{error.get('reason', '')} (given up after {counts[key]} attempts)"
                out.append({**error, "reason": reason.strip()})
        self.store.local_put(ATTEMPTS_SCOPE, self.rep_id, {"attempts": counts})
        return out

    def clear(self) -> None:
        """The batch went through (or past): its counts are spent."""
        if self._read():
            self.store.local_put(ATTEMPTS_SCOPE, self.rep_id, {"attempts": {}})

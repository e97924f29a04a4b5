"""One document of a given type, as a REST caller may see it: by the channels she reads
(sync/rules/access.py), or a 404 that does not say whether it exists."""

from __future__ import annotations

from typing import Any

from sync.rules.access import Reader, user_channels
from sync.store.documents import DocumentStore
from sync.store.errors import DocumentNotFound

from ..errors import NotFound


def visible_doc(
    store: DocumentStore, user: Reader, doc_id: str, kind: str, noun: str
) -> dict[str, Any]:
    """The winning revision of ``doc_id`` if it is a ``kind`` document ``user`` reads;
    otherwise 404 "No such <noun>."."""
    try:
        doc = store.get_doc(doc_id, visible=user_channels(user))
    except DocumentNotFound as exc:
        raise NotFound(f"No such {noun}.", details={"id": doc_id}) from exc
    if doc.get("type") != kind:
        raise NotFound(f"No such {noun}.", details={"id": doc_id})
    return doc

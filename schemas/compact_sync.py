"""Bodies of the compact sync protocol (``POST /sync/<db>/_sync``, sync/compact/batch.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .fields import StrictBoolean

PUSH_STATUSES = ("ok", "conflict", "forbidden", "invalid")

_EXAMPLE_DOC = {
    "_id": "product:9b1c2f",
    "_rev": "2-5c1f0d3e9a7b4c2d8e6f1a0b3c5d7e9f",
    "_revisions": {
        "start": 2,
        "ids": ["5c1f0d3e9a7b4c2d8e6f1a0b3c5d7e9f", "0a7d2c9b8e1f4a6d3c5b7e9f1a2c4d6e"],
    },
    "type": "product",
    "owner": "art_fatima",
    "cooperative": "coop-taza-zerbia",
    "title": {"ar": "زربية", "fr": "Zerbia de Taza"},
    "category": "carpets",
    "status": "submitted",
}


class SyncRequestSchema(Schema):
    """One round trip: the device's new revisions and its cursor."""

    request_id = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Chosen by the device, unique per request; a retry sends the same "
            "id and body and gets the first outcome back, with nothing written twice.",
            "example": "phone-7f3a:000042",
        },
    )
    device = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={
            "description": "The device's id, stable per installation: what it pushes is "
            "not sent back to it, and its first sync skips deletions. Without one (empty), "
            "nothing is held back: every change since the cursor comes, deletions "
            "included, since two phones without an id cannot be told apart.",
            "example": "phone-7f3a",
        },
    )
    server = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={
            "description": "The `server` of the previous answer, whose sequence `since` "
            "is. When it is not this server's (the store was restored from a backup and "
            "got a new uuid), the answer has `reset: true` and no changes (cursor 0, "
            "`more: true`): the device should push again every document it holds, with "
            "the history it knows (revisions the server has cost nothing), then pull "
            "from 0, deletions included.",
            "example": "8c3f2a9e1b7d4c6f0a5e9d8c7b6a5f4e",
        },
    )
    since = fields.Integer(
        strict=True,
        load_default=0,
        # SQLite integers are 64-bit: a larger cursor is no cursor this server gave out.
        validate=validate.Range(min=0, max=2**62),
        metadata={
            "description": "The cursor from the previous answer (0: nothing yet).",
            "example": 1234,
        },
    )
    docs = fields.List(
        fields.Dict(),
        load_default=list,
        metadata={
            "description": "New revisions, each with `_id`, `_rev` and `_revisions` (its "
            "ancestry back to a revision the server has), as CouchDB's "
            "`_bulk_docs` with `new_edits: false`.",
            "example": [_EXAMPLE_DOC],
        },
    )
    max_bytes = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(min=1024, max=2**31),
        metadata={
            "description": "Budget for the changes of this page, in bytes of JSON before "
            "gzip (capped by the server; at least one change is always sent).",
            "example": 65536,
        },
    )
    pull = StrictBoolean(
        load_default=True,
        metadata={"description": "false: push only, no changes in the answer.", "example": True},
    )
    revs = StrictBoolean(
        load_default=False,
        metadata={
            "description": "true: each change carries its `_revisions` (the winner's "
            "ancestry) and, when the document has other leaves (conflicts, deleted ones "
            "too), `_leaves`: those revisions with their own `_revisions`. Stored with "
            "`new_edits: false`, they give the device the server's revision tree, as "
            "CouchDB's replication does (the PouchDB plugin in clients/js asks for it).",
            "example": True,
        },
    )


class PushResultSchema(Schema):
    id = fields.String(metadata={"example": "product:9b1c2f"})
    status = fields.String(
        validate=validate.OneOf(PUSH_STATUSES),
        metadata={
            "description": "ok: stored; conflict: stored as a branch in conflict (the "
            "winner comes with the changes); forbidden: refused by the access rules; "
            "invalid: malformed.",
            "example": "ok",
        },
    )
    reason = fields.String(metadata={"example": "owner must be your own user id"})
    winner = fields.String(metadata={"example": "3-9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"})
    conflicts = fields.List(fields.String(), metadata={"example": ["2-5c1f0d3e9a7b4c2d8e6f1a0b"]})


class SyncResponseSchema(Schema):
    results = fields.List(
        fields.Nested(PushResultSchema),
        metadata={"description": "One per pushed revision, in the order sent."},
    )
    changes = fields.List(
        fields.Dict(),
        metadata={
            "description": "Winning revisions changed since the cursor, in the user's "
            "channels: documents (with `_conflicts` when in conflict), deletions "
            '`{"_id", "_rev", "_deleted": true}` and removals from the channels '
            '`{"_id", "_rev", "_removed": true}`. Not what this device just pushed.',
            "example": [_EXAMPLE_DOC],
        },
    )
    cursor = fields.Integer(metadata={"description": "Send as `since` next.", "example": 1240})
    server = fields.String(
        metadata={
            "description": "This server's uuid: send it as `server` with the cursor.",
            "example": "8c3f2a9e1b7d4c6f0a5e9d8c7b6a5f4e",
        }
    )
    reset = fields.Boolean(
        metadata={
            "description": "Present (true) when the request named another server: no "
            "changes, the cursor restarted from 0; push every document held again, then "
            "sync on.",
            "example": True,
        }
    )
    more = fields.Boolean(
        metadata={"description": "true: another page is waiting; sync again.", "example": False}
    )

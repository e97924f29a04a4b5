"""Bodies of the replication endpoints (the hub worker's state, conflicts left open)."""

from __future__ import annotations

from marshmallow import Schema, fields

STATES = "off, never_run, starting, replicating, idle, backing_off, stopped"
# waiting_for_lease is a worker's own state (another worker holds the lease), never the
# shared status row's.


def _time(description: str) -> fields.Float:
    return fields.Float(
        allow_none=True, metadata={"description": description, "example": 1763800000.0}
    )


class WriteFailureSchema(Schema):
    id = fields.String(metadata={"example": "photo:9f2c41d07a3b5e88"})
    error = fields.String(metadata={"example": "too_large"})
    reason = fields.String(
        metadata={"example": "attachment 'display.webp' is larger than 1048576 bytes"}
    )
    direction = fields.String(metadata={"description": "push or pull", "example": "pull"})
    at = _time("when it was refused")


class ReplicationStatusSchema(Schema):
    configured = fields.Boolean(
        metadata={"description": "HIRFA_COUCHDB_URL is set", "example": True}
    )
    remote = fields.String(
        allow_none=True,
        metadata={
            "description": "the hub database, without credentials",
            "example": "https://hub.example.org:6984/hirfa",
        },
    )
    state = fields.String(metadata={"description": STATES, "example": "backing_off"})
    running = fields.Boolean(
        metadata={"description": "the worker runs in this process", "example": True}
    )
    pid = fields.Integer(allow_none=True, metadata={"example": 4242})
    last_attempt_at = _time("when the worker last tried")
    last_success_at = _time("when both directions last completed")
    last_error = fields.String(
        allow_none=True,
        metadata={"example": "HubUnreachable: GET db: ConnectionRefusedError"},
    )
    last_error_at = _time("when the last error happened")
    failures = fields.Integer(metadata={"description": "consecutive failed attempts", "example": 3})
    next_retry_at = _time("when the worker tries again (backing off)")
    pending_push = fields.Integer(
        allow_none=True,
        metadata={"description": "local changes the hub has not had yet", "example": 12},
    )
    pending_pull = fields.Integer(
        allow_none=True,
        metadata={"description": "hub changes not pulled yet (last known)", "example": 0},
    )
    docs_pushed = fields.Integer(metadata={"example": 240})
    docs_pulled = fields.Integer(metadata={"example": 31})
    conflicts_resolved = fields.Integer(metadata={"example": 2})
    open_conflicts = fields.Integer(
        metadata={"description": "conflicts no rule resolved", "example": 1}
    )
    doc_write_failures = fields.Integer(
        metadata={
            "description": "documents the target refused for good (forbidden, too large) "
            "and replication went past, since the store first replicated",
            "example": 1,
        }
    )
    write_failures = fields.List(
        fields.Nested(WriteFailureSchema),
        metadata={"description": "the last few refused documents and why"},
    )


class ReplicationConflictSchema(Schema):
    doc_id = fields.String(metadata={"example": "order:5d1f0a9e2b7c4e11"})
    doc_type = fields.String(allow_none=True, metadata={"example": "material_movement"})
    cooperative = fields.String(allow_none=True, metadata={"example": "coop-taza-zerbia"})
    revs = fields.List(
        fields.String(),
        metadata={
            "description": "the conflicting revisions, CouchDB's winner first",
            "example": ["3-9b1c...", "3-4e2a..."],
        },
    )
    reason = fields.String(
        metadata={"example": "the same stock movement was changed differently on two servers"}
    )
    detected_at = _time("when replication found it")

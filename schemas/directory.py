"""REST bodies of the public directory: a cooperative's and an artisan's public profile,
the same fields as their documents (schemas/documents.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

from .documents import ArtisanContent, CooperativeContent


class _Revision(Schema):
    """What the server adds to a profile it answers with."""

    rev = fields.String(
        metadata={"description": "the revision; send it back as If-Match", "example": "2-5f0c..."}
    )
    cooperative = fields.String(metadata={"example": "coop-taza-zerbia"})
    created_at = fields.String(metadata={"example": "2026-11-22T10:00:00Z"})
    updated_at = fields.String(metadata={"example": "2026-11-22T10:05:00Z"})


class CooperativeProfileBodySchema(CooperativeContent):
    """What a coordinator (or an admin) writes: every field, replacing the last revision's."""


class CooperativeDirectorySchema(CooperativeContent, _Revision):
    id = fields.String(metadata={"example": "cooperative:coop-taza-zerbia"})


class ArtisanProfileBodySchema(ArtisanContent):
    """What a coordinator writes, or the artisan herself (her story and photo only)."""


class ArtisanDirectorySchema(ArtisanContent, _Revision):
    id = fields.String(metadata={"example": "artisan:art_fatima"})

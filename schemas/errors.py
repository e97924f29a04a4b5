"""The REST API's error body, ``{"error": {"code", "message", "details"}}``, for the docs.

api/errors.py builds every such body; this schema describes it in the Swagger, where
every error response of every operation refers to it (api/rest.py).
"""

from __future__ import annotations

from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(
        required=True,
        metadata={"description": "stable: clients switch on it", "example": "validation_error"},
    )
    message = fields.String(
        required=True,
        metadata={"description": "for a person; may change", "example": "Some fields are invalid."},
    )
    details = fields.Dict(
        required=True,
        metadata={
            "description": "more about this error: for `validation_error`, the messages of "
            "each field in `fields`",
            "example": {"fields": {"phone": ["Not a valid phone number."]}},
        },
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)

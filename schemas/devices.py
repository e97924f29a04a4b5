"""REST bodies of the devices namespace (push tokens) and of logout with a device."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .accounts import RefreshSchema

PLATFORMS = ("android", "ios", "web")


class DeviceRegisterSchema(Schema):
    token = fields.String(
        required=True,
        validate=validate.Length(min=1, max=4096),
        metadata={"description": "the FCM registration token", "example": "fcm-token-abc123"},
    )
    platform = fields.String(
        required=True, validate=validate.OneOf(PLATFORMS), metadata={"example": "android"}
    )
    locale = fields.String(
        validate=validate.Length(max=20),
        metadata={"description": "language of this phone's notifications", "example": "ar"},
    )
    app_version = fields.String(validate=validate.Length(max=40), metadata={"example": "1.4.2"})


class DeviceSchema(DeviceRegisterSchema):
    # Registered without them, a device has none: the answer says null.
    locale = fields.String(
        allow_none=True,
        metadata={"description": "language of this phone's notifications", "example": "ar"},
    )
    app_version = fields.String(allow_none=True, metadata={"example": "1.4.2"})
    created_at = fields.Float(metadata={"example": 1763800000.0})
    updated_at = fields.Float(metadata={"example": 1763800000.0})


class DeviceListSchema(Schema):
    items = fields.List(fields.Nested(DeviceSchema))


class LogoutSchema(RefreshSchema):
    device_token = fields.String(
        validate=validate.Length(min=1, max=4096),
        metadata={
            "description": "this phone's push token, removed so it gets no more notifications",
            "example": "fcm-token-abc123",
        },
    )

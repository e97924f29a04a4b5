"""Field types shared by several schemas."""

from __future__ import annotations

from marshmallow import ValidationError, fields

from schemas.phones import InvalidPhone, normalise_phone


class Phone(fields.String):
    """A phone number, loaded as E.164 (a Moroccan ``0612345678`` becomes ``+212612345678``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        raw = super()._deserialize(value, attr, data, **kwargs)
        try:
            return normalise_phone(raw)
        except InvalidPhone as exc:
            raise ValidationError(str(exc)) from exc


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` and nothing else: marshmallow's Boolean also takes "yes", 1,
    "on"..., which the docs (``type: boolean``) do not promise and clients must not rely on."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class StrictFloat(fields.Float):
    """A JSON number: marshmallow's Float also takes the string "200", which the docs
    (``type: number``) do not promise."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)

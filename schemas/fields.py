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

"""Phone numbers, normalised to E.164 with libphonenumber (Morocco is the default region)."""

from __future__ import annotations

import phonenumbers

DEFAULT_REGION = "MA"


class InvalidPhone(ValueError):
    """Not a valid phone number."""


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """``0612345678`` -> ``+212612345678``; raises InvalidPhone with a readable message."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"{raw!r} is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"{raw!r} is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

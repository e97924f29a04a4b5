"""The one gate for JSON values on their way into the store or its look-ups.

JSON can carry what the store cannot keep or find: a string holding half of a character
(a lone UTF-16 surrogate, ``"\\ud83d"``: a title cut in the middle of an emoji), which
SQLite cannot encode; ``NaN`` and ``Infinity``, which Python's parser accepts and no
other JSON reader does; an id long enough to weigh on every page that lists it. Each is
refused with an error that names the field, before anything is written, so a phone is
told what to fix instead of retrying a batch that can never pass.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sync.store.errors import InvalidInput

# Ids are keys in every index, every changes page, every checkpoint: a phone's id is a
# few dozen characters; 200 leaves room for prefixes ("review:product:...").
MAX_ID_LENGTH = 200


class InvalidValue(InvalidInput):
    """A value the store cannot keep; ``error`` is a stable code, ``field`` where it is."""

    def __init__(self, error: str, field: str, reason: str):
        super().__init__(f"{field}: {reason}" if field else reason)
        self.error = error
        self.field = field


HALF_CHARACTER = "lone_surrogate"
NOT_FINITE = "non_finite_number"
ID_TOO_LONG = "id_too_long"
NOT_AN_ID = "invalid_id"
NOT_A_STRING = "not_a_string"


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def find_problem(value: Any, field: str = "") -> InvalidValue | None:
    """The first value under ``value`` that the store cannot keep, or None."""
    if isinstance(value, str):
        if _has_surrogate(value):
            return InvalidValue(
                HALF_CHARACTER, field, "text holds half of a character (a lone surrogate)"
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            return InvalidValue(NOT_FINITE, field, "numbers must be finite (no NaN, Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and _has_surrogate(key):
                # Named by its parent: the answer must not carry the half character back.
                return InvalidValue(
                    HALF_CHARACTER, field or "(document)", "a name in it holds half of a character"
                )
            name = f"{field}.{key}" if field else str(key)
            problem = find_problem(item, name)
            if problem is not None:
                return problem
    elif isinstance(value, list):
        for index, item in enumerate(value):
            problem = find_problem(item, f"{field}[{index}]")
            if problem is not None:
                return problem
    return None


def check_value(value: Any, field: str = "") -> None:
    """Raise InvalidValue for the first value the store cannot keep (small values: query
    parameters, request bodies, ``_local`` documents)."""
    problem = find_problem(value, field)
    if problem is not None:
        raise problem


def check_document(doc: dict[str, Any]) -> None:
    """The same for a document, cheaply: serialising it (as storing it will) finds any
    bad value at C speed; only a document that fails is walked, to name the field.
    Inline attachment data (base64, plain ASCII when valid) is not serialised again."""
    fields = {k: v for k, v in doc.items() if k != "_attachments"}
    atts = doc.get("_attachments")
    if isinstance(atts, dict):
        fields["_attachments"] = {
            name: {k: _ascii_or_itself(v) if k == "data" else v for k, v in att.items()}
            if isinstance(att, dict)
            else att
            for name, att in atts.items()
        }
    elif atts is not None:
        fields["_attachments"] = atts
    try:
        json.dumps(fields, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):  # allow_nan=False raises ValueError
        check_value(fields)


def _ascii_or_itself(value: Any) -> Any:
    """Base64 as it should be stands in as one character; anything else is checked."""
    return "" if isinstance(value, str) and value.isascii() else value


def check_id(doc_id: Any, max_length: int = MAX_ID_LENGTH, field: str = "_id") -> str:
    """A document id the store can look up and keep: a string, whole characters, at most
    ``max_length`` long."""
    if not isinstance(doc_id, str):
        raise InvalidValue(NOT_AN_ID, field, "a document id is a string")
    if len(doc_id) > max_length:
        raise InvalidValue(
            ID_TOO_LONG, field, f"a document id is at most {max_length} characters long"
        )
    check_value(doc_id, field)
    return doc_id

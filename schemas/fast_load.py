"""marshmallow's load of a document, done faster for the common case: a valid document.

Every document a phone pushes is checked against its schema (sync/rules/access.py). In
marshmallow each field goes through several layers of calls; the profile of PouchDB
pushing 1,000 listings (``python -m bench sync_pouchdb --profile``) put that at a third
of the server's time in ``_bulk_docs``.

``compile_load(schema)`` reads the schema once and builds a plain function that loads a
document as marshmallow does, for the field kinds our schemas are made of: ``String``,
``Integer``, ``StrictFloat``/``Float``, ``StrictBoolean``, ``Nested``, ``List`` and a
plain ``Dict``. It calls the fields' own validators and the schema's own
``@validates_schema`` methods, and hands any other field (``Url``, ``Phone``, our
custom ones) to that field's own ``deserialize``. At the first doubt (an error, a value
of a type it does not take as is, an option of a field or a schema it does not know) it
gives up and answers ``None``; the caller then runs marshmallow's ``load``, which gives
the error messages. So the outcome is marshmallow's own: the fast path only answers
when its answer equals ``schema.load`` (tests/rules/test_fast_load.py checks it with
Hypothesis on documents derived from the schemas, valid and broken).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import EXCLUDE, INCLUDE, Schema, ValidationError, fields, missing
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA
from marshmallow.validate import Validator

from .fields import StrictBoolean, StrictFloat

# A nested schema deeper than this is left to marshmallow (and a schema nesting itself
# does not make the compiler loop).
MAX_DEPTH = 8


class _Doubt(Exception):
    """The fast path cannot vouch for this value: marshmallow decides."""


# A compiled field: (raw value or ``missing``, the raw mapping it came from) -> loaded.
FieldLoad = Callable[[Any, Any], Any]


def compile_load(schema: Schema) -> Callable[[Any], dict | None]:
    """A function answering what ``schema.load(data)`` answers, or None when in doubt."""
    load = _schema_load(schema, depth=0)

    def fast_load(data: Any) -> dict | None:
        try:
            return load(data)
        except _Doubt:
            return None

    return fast_load


def _by_marshmallow(load: Callable[[], Any]) -> Any:
    try:
        return load()
    except ValidationError as exc:
        raise _Doubt from exc


def schema_supported(schema: Schema) -> bool:
    """Whether the compiler takes this schema; else its loads are marshmallow's whole."""
    hooks = schema._hooks  # marshmallow keeps the decorated methods here
    if schema.many or schema.partial or hooks[PRE_LOAD] or hooks[POST_LOAD] or hooks[VALIDATES]:
        return False
    for _name, pass_collection, options in hooks[VALIDATES_SCHEMA]:
        if pass_collection or options.get("pass_original"):
            return False
    return all(
        field.data_key is None and field.attribute is None for field in schema.load_fields.values()
    )


def _schema_load(schema: Schema, depth: int) -> Callable[[Any], dict]:
    if depth > MAX_DEPTH or not schema_supported(schema):
        return lambda data: _by_marshmallow(lambda: schema.load(data))
    loads = [(name, _field_load(field, depth)) for name, field in schema.load_fields.items()]
    known = frozenset(schema.load_fields)
    unknown = schema.unknown
    validators = [
        getattr(schema, name) for name, _many, _options in schema._hooks[VALIDATES_SCHEMA]
    ]
    dict_class = schema.dict_class

    def load(data: Any) -> dict:
        if not isinstance(data, Mapping):
            raise _Doubt
        out = dict_class()
        for name, load_field in loads:
            value = load_field(data.get(name, missing), data)
            if value is not missing:
                out[name] = value
        if unknown != EXCLUDE:
            extra = data.keys() - known
            if extra:
                if unknown != INCLUDE:
                    raise _Doubt  # RAISE: marshmallow refuses unknown fields
                for key in extra:
                    out[key] = data[key]
        for validator in validators:
            try:
                validator(out, partial=None, many=False, unknown=unknown)
            except Exception as exc:  # its error, or its crash, is marshmallow's to give
                raise _Doubt from exc
        return out

    return load


def _field_load(field: fields.Field, depth: int) -> FieldLoad:
    convert = None if field.pre_load or field.post_load else _converter(field, depth)
    if convert is None:
        return lambda value, data: _by_marshmallow(
            lambda: field.deserialize(value, field.name, data)
        )
    required, allow_none, default = field.required, field.allow_none, field.load_default
    validators = tuple(field.validators)

    def load(value: Any, data: Any) -> Any:
        if value is missing:
            if required:
                raise _Doubt
            return default() if callable(default) else default
        if value is None:
            if allow_none:
                return None
            raise _Doubt
        out = convert(value)
        for validator in validators:
            try:
                result = validator(out)
            except Exception as exc:
                raise _Doubt from exc
            # marshmallow's And: a plain function may also refuse by returning False.
            if result is False and not isinstance(validator, Validator):
                raise _Doubt
        return out

    return load


def _converter(field: fields.Field, depth: int) -> Callable[[Any], Any] | None:
    """What the field's ``_deserialize`` does with a value of the plain JSON type it
    expects; None for a field kind (or option) left whole to marshmallow."""
    kind = type(field)
    if kind is fields.String:
        return _string
    if kind is fields.Integer:
        return _integer
    if kind in (fields.Float, StrictFloat) and field.allow_nan is False:
        return _finite_float
    if kind is StrictBoolean:
        return _boolean
    if kind is fields.Dict and field.key_field is None and field.value_field is None:
        return _plain_dict(field.mapping_type)
    if kind is fields.List:
        return _list(_field_load(field.inner, depth))
    if kind is fields.Nested and not field.many and field.unknown is None:
        nested = field.schema
        if nested.many:
            return None
        return _schema_load(nested, depth + 1)
    return None


def _string(value: Any) -> str:
    if type(value) is not str:
        raise _Doubt
    return value


def _integer(value: Any) -> int:
    if type(value) is not int:  # bool is refused by marshmallow; strings are its to judge
        raise _Doubt
    return value


def _finite_float(value: Any) -> float:
    if type(value) is not int and type(value) is not float:
        raise _Doubt
    try:
        number = float(value)
    except OverflowError as exc:
        raise _Doubt from exc
    if not math.isfinite(number):
        raise _Doubt
    return number


def _boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise _Doubt
    return value


def _plain_dict(mapping_type: type) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise _Doubt
        return mapping_type(value)

    return convert


def _list(load_item: FieldLoad) -> Callable[[Any], list]:
    def convert(value: Any) -> list:
        if type(value) is not list:
            raise _Doubt
        # A list's items are loaded without the document around them (fields.List).
        return [load_item(item, None) for item in value]

    return convert

"""The flask-restx Api, and the bridge from marshmallow schemas to it.

marshmallow validates every body; Swagger models are generated from the same schemas
with apispec's converter, so the docs cannot drift from what the code accepts.
Nested schemas are inlined because flask-restx does not follow ``$ref`` inside a
``schema_model`` (docs/library-notes.md).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, request
from flask_restx import Api, Namespace
from marshmallow import Schema, ValidationError

from schemas.errors import ErrorSchema
from schemas.fields import Phone
from sync.store.json_values import find_problem

from .errors import AppError, InvalidJSON, UnsupportedMediaType, from_exception
from .swagger_errors import ERROR_MODEL, ErrorSwagger

_plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)
APISpec("hirfa", "1", "2.0", plugins=[_plugin])
# Which numbers are valid is libphonenumber's per-country rules, not a pattern: a format of
# its own says so (Swagger 2.0 allows any format name).
_plugin.map_to_openapi_type(Phone, "string", "phone")

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

AUTHORIZATIONS = {
    "bearer": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Bearer <access token>` from POST /auth/login",
    }
}


class _Api(Api):
    """The Api, its Swagger written with every operation's error responses."""

    _schema_guard = threading.Lock()

    @cached_property
    def __schema__(self):
        with self._schema_guard:
            if not self._schema:
                self._schema = ErrorSwagger(self).as_dict()
        return self._schema


api = _Api(
    blueprint,
    version="1.0",
    title="Hirfa API",
    description=(
        "Offline-first backend for artisan cooperatives: accounts, listings, review, "
        'catalogue, orders. Errors are `{"error": {"code", "message", "details"}}`. '
        "The CouchDB-compatible sync endpoints live under `/sync`."
    ),
    doc="/docs",
    authorizations=AUTHORIZATIONS,
    catch_all_404s=False,
)


@api.errorhandler(Exception)
def _restx_error(exc: Exception):
    # flask-restx calls this for errors raised inside resources; it wants (body, status,
    # headers). ERROR_INCLUDE_MESSAGE is off so it does not add its own "message".
    error = from_exception(exc)
    body = {"error": {"code": error.code, "message": error.message, "details": error.details}}
    return body, error.status, error.headers


_models: dict[str, Any] = {}


def model(schema_cls: type[Schema], *, partial: bool = False):
    """The Swagger model of a marshmallow schema, registered once on the Api; ``partial``
    for a body loaded with ``load_body(..., partial=True)``, where no top-level field is
    required."""
    name = schema_cls.__name__.removesuffix("Schema")
    if name not in _models:
        jsonschema = _plugin.converter.schema2jsonschema(schema_cls)
        if partial:
            jsonschema.pop("required", None)
        # Where the fields' examples together would make an invalid body (either `pin` or
        # `password`), the schema names the example of the whole body.
        if example := getattr(schema_cls, "swagger_example", None):
            jsonschema["example"] = example
        _models[name] = api.schema_model(name, jsonschema)
    return _models[name]


# The body of every error response (api/swagger_errors.py refers to it by name).
assert model(ErrorSchema).name == ERROR_MODEL


def load_body(schema: Schema | type[Schema], *, partial: bool = False) -> dict[str, Any]:
    """Parse the JSON body with a marshmallow schema: 415, invalid JSON and 400 as AppErrors.

    ``partial``: any top-level field may be left out (a PATCH); a field that is sent
    replaces the old one whole, so what it nests must be complete.
    """
    if isinstance(schema, type):
        schema = schema()
    if not request.is_json:
        raise UnsupportedMediaType(
            details={"content_type": request.content_type or None, "expected": "application/json"}
        )
    try:
        data = request.get_json(silent=True)
    except RecursionError as exc:  # nested deeper than the parser's stack: not ValueError
        raise InvalidJSON(details={"reason": "nested too deeply"}) from exc
    if data is None:
        raise InvalidJSON()
    if not isinstance(data, dict):
        raise AppError("The JSON body must be an object.", details={"got": type(data).__name__})
    problem = find_problem(data)
    if problem is not None:  # half a character, NaN: nothing the store could keep
        raise from_exception(problem)
    try:
        # Field names, not True: marshmallow would let nested fields be left out too.
        return schema.load(data, partial=tuple(schema.fields) if partial else False)
    except ValidationError as exc:
        # Converted here: flask-restx would answer with the exception's ``data`` attribute
        # (the rejected input) instead of our error body.
        raise from_exception(exc) from exc


def dump(schema_cls: type[Schema], obj: Any, many: bool = False) -> Any:
    return schema_cls(many=many).dump(obj)


def namespace(name: str, description: str, path: str | None = None) -> Namespace:
    """A resource module's Namespace; api/resources/__init__.py adds them all to the Api."""
    return Namespace(name, description=description, path=path)


def add_namespaces(namespaces: list[Namespace]) -> None:
    """Add the namespaces to the one Api, once: the Api and its blueprint are shared by
    every app this process builds (the tests build many)."""
    for ns in namespaces:
        if ns not in api.namespaces:
            api.add_namespace(ns)

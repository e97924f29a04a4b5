"""The error responses of every operation in the Swagger, added where it is written.

Each operation gets the errors it can answer from what it takes and who may call it
(``error_statuses``): a resource declares with ``@ns.response`` only the statuses of its
own (409, 412, 429...), and may name the error behind one
(``@ns.response(428, "...", error=SomeAppError)``) for its example. Every error response
has the body of api/errors.py, the ``Error`` model, and an example.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_restx.swagger import Swagger

from .errors import (
    AppError,
    Conflict,
    Forbidden,
    NotConfigured,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    error_body,
)
from .services.idempotency import IdempotencyKeyReused

# The model of schemas/errors.py's ErrorSchema, registered by api/rest.py.
ERROR_MODEL = "Error"

# What each error status stands for in the docs, when an operation does not say:
# (description, the error it stands for, the details of its example).
ERRORS: dict[int, tuple[str, type[AppError], dict[str, Any]]] = {
    400: (
        "The request is invalid: `validation_error` (each field's messages in "
        "`details.fields`), `invalid_json`, a value the store cannot keep (`lone_surrogate`, "
        "`non_finite_number`, `id_too_long`, `not_a_string`), or `bad_request` (a query "
        "parameter out of its bounds)",
        ValidationFailed,
        {"fields": {"phone": ["Not a valid phone number."]}},
    ),
    401: (
        "Not signed in: `unauthorized` (no token), `invalid_token` (or the session ended), "
        "`token_expired` (refresh it)",
        Unauthorized,
        {},
    ),
    403: (
        "Signed in, but not allowed: `forbidden` (`details.required_roles` when it is the "
        "role), or `account_disabled`",
        Forbidden,
        {"required_roles": ["coordinator", "admin"]},
    ),
    404: ("Not found, or not visible to you", NotFound, {}),
    409: ("Conflicts with the current state", Conflict, {}),
    412: ("The revision in `If-Match` is stale", PreconditionFailed, {}),
    413: ("The body is larger than this server accepts", PayloadTooLarge, {}),
    415: (
        "The body is not JSON: send `Content-Type: application/json`",
        UnsupportedMediaType,
        {"content_type": "text/plain", "expected": "application/json"},
    ),
    422: (
        "This `Idempotency-Key` was used for a different request",
        IdempotencyKeyReused,
        {},
    ),
    428: ("A required header is missing", PreconditionRequired, {}),
    429: (
        "Too many attempts: wait `Retry-After` seconds",
        TooManyRequests,
        {"retry_after": 60, "scope": "phone"},
    ),
    501: ("Not configured on this server", NotConfigured, {}),
    503: ("The store is busy or unavailable: retry shortly", ServiceUnavailable, {}),
}
# Headers whose absence is 428 Precondition Required (RFC 6585) where they are required.
PRECONDITIONS = ("if-match", "idempotency-key")
RETRY_AFTER = {
    "Retry-After": {"type": "integer", "description": "seconds to wait", "x-example": 60}
}


def error_statuses(method: str, params: list[dict], has_body: bool, signed_in: bool) -> set[int]:
    """The error statuses an operation can answer, from what it takes and who may call it.

    400 wherever there is input to refuse (a body, a parameter: the JSON gate also refuses
    ids); 401 and 403 wherever ``login_required`` is (403 also for a disabled account);
    404 where a path names something; 413 and 415 where a JSON body is read; 428 where a
    header is required (If-Match, Idempotency-Key); 422 where an Idempotency-Key is
    accepted; 503 wherever the store is read, that is everywhere but the few operations
    that take nothing and need no sign-in (reference data, tus discovery). Other statuses
    (409, 412, 429, 501...) are declared by the operation itself with ``@ns.response``.
    """
    if method == "OPTIONS":  # CORS and tus discovery: no sign-in, no input, no store
        return set()
    statuses: set[int] = set()
    if has_body or params:
        statuses |= {400, 503}
    if signed_in:
        statuses |= {401, 403, 503}
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if has_body:
        statuses |= {413, 415}
    headers = {p["name"].lower(): p for p in params if p.get("in") == "header"}
    if any(headers.get(name, {}).get("required") for name in PRECONDITIONS):
        statuses.add(428)
    if "idempotency-key" in headers:
        statuses.add(422)
    return statuses


def error_example(status: int, error: type[AppError] | None = None) -> dict[str, Any]:
    """The example body of an error response: ``error``'s, else the status's usual one."""
    description, usual, details = ERRORS.get(status, ("", None, {}))
    error = error or usual
    if error is None:  # a status of its own, declared without its error class
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        return error_body(phrase.lower().replace(" ", "_"), description or f"{phrase}.")
    return error_body(error.code, error.message, details if error is usual else {})


class ErrorSwagger(Swagger):
    """flask-restx's Swagger writer, adding to every operation the error responses it can
    answer (``error_statuses``), each with the error model and an example body."""

    def extract_resource_doc(self, resource, url, route_doc=None):
        doc = super().extract_resource_doc(resource, url, route_doc)
        if doc is False:
            return doc
        for method in resource.methods or ():
            method_doc = doc.get(method.lower())
            if not method_doc:
                continue
            signed_in = hasattr(getattr(resource, method.lower()), "__hirfa_roles__")
            if signed_in:
                method_doc.setdefault("security", "bearer")
            params = [
                {"name": name, **param}
                for name, param in {**doc.get("params", {}), **method_doc["params"]}.items()
            ]
            has_body = bool(method_doc.get("expect")) or any(p.get("in") == "body" for p in params)
            responses = {**doc.get("responses", {}), **method_doc.get("responses", {})}
            for status in error_statuses(method.upper(), params, has_body, signed_in):
                responses.setdefault(str(status), ERRORS[status][0])
            method_doc["responses"] = {
                code: _error_response(int(code), spec) if int(code) >= 400 else spec
                for code, spec in responses.items()
            }
        return doc

    def serialize_operation(self, doc, method):
        operation = super().serialize_operation(doc, method)
        if "consumes" in doc[method]:  # a body that is not JSON (a tus chunk)
            operation["consumes"] = doc[method]["consumes"]
        return operation

    def responses_for(self, doc, method):
        responses = super().responses_for(doc, method)
        for code, spec in doc[method].get("responses", {}).items():
            if isinstance(spec, tuple) and len(spec) == 3 and "example" in spec[2]:
                responses[str(code)]["examples"] = {"application/json": spec[2]["example"]}
        return responses


def _error_response(status: int, spec: str | tuple) -> tuple[str, Any, dict[str, Any]]:
    """An error response as flask-restx wants it: (description, the error model, kwargs
    with the example); ``@ns.response(..., error=SomeAppError)`` names the error."""
    if isinstance(spec, str):
        spec = (spec, None, {})
    description, model_, kwargs = (*spec, {}) if len(spec) == 2 else spec
    kwargs = dict(kwargs)
    kwargs.setdefault("example", error_example(status, kwargs.pop("error", None)))
    if status == 429:
        kwargs.setdefault("headers", RETRY_AFTER)
    return description, model_ or ERROR_MODEL, kwargs

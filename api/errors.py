"""One error shape for the REST API, built in one place.

Every error is ``{"error": {"code": "...", "message": "...", "details": {...}}}``.
``code`` is stable: clients switch on it; ``message`` is for a person.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from sync.http.errors import status_of
from sync.store.database import StorageError, StoreBusy
from sync.store.errors import StoreError

log = logging.getLogger(__name__)


class AppError(Exception):
    """Base of every error the API answers on purpose."""

    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or {}
        self.headers = headers or {}


class BadRequest(AppError):
    """The request is malformed."""


class InvalidJSON(AppError):
    """The body is not valid JSON."""

    code = "invalid_json"
    message = "The request body is not valid JSON."


class ValidationFailed(AppError):
    """One or more fields are invalid; ``details.fields`` says which and why."""

    code = "validation_error"
    message = "Some fields are invalid."


class Unauthorized(AppError):
    """No valid credentials."""

    status = 401
    code = "unauthorized"
    message = "Sign in first: send an access token as `Authorization: Bearer <token>`."


class InvalidToken(Unauthorized):
    """The token is malformed, forged, revoked or for another audience."""

    code = "invalid_token"
    message = "The access token is not valid. Sign in again."


class TokenExpired(Unauthorized):
    """The access token is past its ``exp``: refresh it."""

    code = "token_expired"
    message = "The access token has expired. Use your refresh token to get a new one."


class InvalidCredentials(Unauthorized):
    """Wrong phone number, PIN or password."""

    code = "invalid_credentials"
    message = "The phone number or the PIN/password is wrong."


class InvalidRefreshToken(Unauthorized):
    """The refresh token is unknown, expired, revoked or was replayed."""

    code = "invalid_refresh_token"
    message = "This session has ended. Sign in again."


class AccountDisabled(AppError):
    """The account was disabled by a coordinator or an admin."""

    status = 403
    code = "account_disabled"
    message = "This account is disabled. Ask your cooperative's coordinator."


class Forbidden(AppError):
    """Signed in, but this role or user may not do this."""

    status = 403
    code = "forbidden"
    message = "You are not allowed to do this."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Not found."


class MethodNotAllowed(AppError):
    status = 405
    code = "method_not_allowed"
    message = "This method is not allowed here."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "The request conflicts with the current state."


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    message = "Send the body as JSON with `Content-Type: application/json`."


class PreconditionFailed(AppError):
    """If-Match named an old revision; ``details.current`` is the document as it is now."""

    status = 412
    code = "precondition_failed"
    message = "The document changed since you read it. Merge with `details.current` and retry."


class PreconditionRequired(AppError):
    status = 428
    code = "precondition_required"
    message = "Send the revision you edited as `If-Match`, so no one's change is overwritten."


class TooManyRequests(AppError):
    """Throttled; ``Retry-After`` says when to try again."""

    status = 429
    code = "too_many_requests"
    message = "Too many attempts. Try again later."


class SignInLocked(TooManyRequests):
    """Unknown devices are locked out of this number until a coordinator lifts it; the
    devices that have signed in to the account before still can."""

    code = "sign_in_locked"
    message = (
        "Too many wrong attempts from new devices: signing in to this number from a new "
        "device is locked. Use a phone that has signed in before, or ask your "
        "cooperative's coordinator to lift the lock."
    )


class NotConfigured(AppError):
    """A feature that needs configuration this server does not have."""

    status = 501
    code = "not_configured"
    message = "This feature is not configured on this server."


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    message = "The service is temporarily unavailable. Try again shortly."


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(error: AppError):
    response = jsonify(error_body(error.code, error.message, error.details))
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


_HTTP_CODES = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    429: TooManyRequests,
}


def from_exception(exc: BaseException) -> AppError:
    """Map anything raised while handling a request to an AppError."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return ValidationFailed(details={"fields": messages})
    if isinstance(exc, StoreError):
        # The store names errors as CouchDB does; over REST they keep that name as code.
        error = AppError(exc.reason)
        error.status, error.code = status_of(exc) or 500, exc.error
        if field := getattr(exc, "field", None):
            error.details = {"field": field}
        return error
    if isinstance(exc, StoreBusy):
        return ServiceUnavailable("The store is busy. Try again shortly.")
    if isinstance(exc, StorageError):
        log.error("storage error: %s", exc)
        return ServiceUnavailable("The store is unavailable. Try again shortly.")
    if isinstance(exc, HTTPException):
        cls = _HTTP_CODES.get(exc.code or 500)
        if cls is not None:
            error = cls()
            if exc.code == 405 and getattr(exc, "valid_methods", None):
                error.details = {"allowed": sorted(exc.valid_methods)}
                error.headers = {"Allow": ", ".join(sorted(exc.valid_methods))}
            return error
        error = AppError(exc.description or "HTTP error")
        error.status = exc.code or 500
        error.code = "http_error"
        return error
    log.exception("unhandled error", exc_info=exc)
    error = AppError("Something went wrong on our side. It has been logged.")
    error.status = 500
    error.code = "internal_error"
    return error


def describe(exc: BaseException) -> tuple[int, str, dict[str, str]]:
    """(status, message, headers) of anything raised, for the sync endpoints, which answer
    in CouchDB's shape (sync/http/errors.py)."""
    error = from_exception(exc)
    return error.status, error.message, error.headers


def handle(exc: BaseException):
    return error_response(from_exception(exc))

"""Who is calling: the bearer token checked on every protected request, and role checks."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import g, request

from .errors import AccountDisabled, Forbidden, InvalidToken, Unauthorized
from .services import accounts, tokens
from .services.accounts import User
from .state import hirfa


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> User:
    """The signed-in user; 401 without a valid token, 403 when the account is disabled."""
    if "user" in g:
        return g.user
    token = bearer_token()
    if token is None:
        raise Unauthorized()
    claims = tokens.decode_access_token(hirfa().settings, token)
    user = accounts.get_user(hirfa().db(), claims["sub"])
    # A reset PIN, "logout everywhere" or a disabled account bumps the session version:
    # access tokens issued before it stop working at once, not when they expire.
    if user is None or claims.get("sv") != user.session_version:
        raise InvalidToken("This session has ended. Sign in again.")
    if user.disabled:
        raise AccountDisabled()
    g.user = user
    return user


def current_user() -> User:
    return authenticate()


def login_required(*roles: str) -> Callable:
    """Require a signed-in user, optionally with one of ``roles``."""

    def decorate(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args, **kwargs):
            user = authenticate()
            if roles and user.role not in roles:
                raise Forbidden(
                    f"This needs the role {' or '.join(roles)}; you are signed in as {user.role}.",
                    details={"required_roles": list(roles)},
                )
            return fn(*args, **kwargs)

        wrapper.__hirfa_roles__ = roles or ("any",)  # read by the docs test
        return wrapper

    return decorate

"""A signed-in area of the pages, kept in cookies: the coordinator's /review, the buyer's /buy.

The Hirfa access and refresh tokens live in HttpOnly, SameSite=Lax cookies scoped to the
area's path, so its pages need no script, a stolen XSS could not read them, and one
area's cookies never reach the other. The access token is short-lived: when it has
expired the server refreshes it with the refresh cookie (the same rotation as
``POST /api/v1/auth/refresh``) and sets new cookies. Every POST carries a CSRF token kept
in the signed Flask session (the synchronizer token pattern, OWASP CSRF cheat sheet);
SameSite=Lax alone leaves older browsers open. A browser that has signed in keeps a
device cookie (OWASP's device cookies, see api/services/throttle.py), so wrong passwords
from elsewhere never lock it out.
"""

from __future__ import annotations

import hmac
import re
import secrets

from flask import Response, g, redirect, request, session

from schemas.phones import InvalidPhone, normalise_phone

from ..errors import AppError, SignInLocked, TooManyRequests
from ..services import accounts, known_devices, sessions, tokens
from ..services.accounts import User
from ..state import hirfa
from .rendering import render

ACCESS, REFRESH = "hirfa_access", "hirfa_refresh"
DEVICE = "hirfa_device"  # this browser's device credentials (api/services/known_devices.py)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok() -> bool:
    sent, kept = request.form.get("csrf", ""), session.get("csrf", "")
    return bool(kept) and hmac.compare_digest(sent.encode(), kept.encode())


def _user_from_access(token: str) -> User | None:
    """Like api.security.authenticate, for a cookie instead of a bearer header."""
    app = hirfa()
    claims = tokens.decode_access_token(app.settings, token)
    user = accounts.get_user(app.db(), claims["sub"])
    if user is None or user.disabled or claims.get("sv") != user.session_version:
        return None
    return user


class CookieSession:
    """One signed-in area under ``path``, for users of ``roles``.

    ``pages`` maps the area's fixed pages to their titles' keys, ``patterns`` its other
    pages (regular expressions of whole paths) to theirs: the sign-in form returns to one
    of these only, never to an address a link chose. ``refused`` is the message for a
    signed-in user of another role.
    """

    def __init__(
        self,
        path: str,
        roles: tuple[str, ...],
        pages: dict[str, str],
        refused: str,
        patterns: tuple[tuple[str, str], ...] = (),
        register: str | None = None,
    ):
        self.path, self.roles, self.pages, self.refused = path, roles, pages, refused
        self.patterns = tuple((re.compile(p), key) for p, key in patterns)
        self.register = register  # the address of a sign-up form, if the area has one

    def title_key(self, back: str | None) -> str | None:
        """The title of a page ``back`` may name, None if it is not one of the area's."""
        if not back:
            return None
        if back in self.pages:
            return self.pages[back]
        for pattern, key in self.patterns:
            if pattern.fullmatch(back):
                return key
        return None

    def safe_back(self, back: str | None) -> str:
        return back if self.title_key(back) else self.path

    def signed_in(self) -> User | None:
        """The user behind the cookies, refreshing an expired access token on the way."""
        if "web_user" in g:
            return g.web_user
        user = None
        access, refresh = request.cookies.get(ACCESS), request.cookies.get(REFRESH)
        if access:
            try:
                user = _user_from_access(access)
            except AppError:  # expired or not ours: the refresh token decides
                user = None
        if user is None and refresh:
            app = hirfa()
            try:
                user, pair = sessions.refresh(app.db(), app.settings, refresh)
                g.web_tokens = pair
            except AppError:
                g.web_sign_out = True
        g.web_user = user
        return user

    def token_cookies(self, response: Response) -> Response:
        """after_request: the new tokens, or their end, as cookies scoped to the area."""
        if not request.path.startswith(self.path):
            return response
        response.headers["Cache-Control"] = "no-store"  # personal, and changes with use
        secure = request.is_secure
        pair = g.get("web_tokens")
        if pair is not None:
            days = hirfa().settings.refresh_token_days * 86400
            for name, value in ((ACCESS, pair.access_token), (REFRESH, pair.refresh_token)):
                response.set_cookie(
                    name, value, max_age=days, path=self.path, secure=secure,
                    httponly=True, samesite="Lax",
                )  # fmt: skip
        elif g.get("web_sign_out"):
            for name in (ACCESS, REFRESH):
                response.delete_cookie(name, path=self.path, secure=secure, samesite="Lax")
        return response

    def sign_in_form(
        self, status: int = 200, error: str | None = None, phone: str = "", back: str | None = None
    ) -> Response:
        """The sign-in form; ``back`` (else the form's own) is the page to return to after."""
        back = self.safe_back(back or request.form.get("back"))
        return render(
            "sign_in.html",
            status=status,
            title_key=self.title_key(back),
            error=error,
            phone=phone,
            back=back,
            home=self.path,
            action=f"{self.path}/sign-in",
            register=self.register,
            csrf=csrf_token(),
        )

    def start(self, pair) -> None:
        """A new session for this request's answer to set."""
        session["csrf"] = secrets.token_urlsafe(32)  # a new token for the new session
        g.web_tokens = pair

    def sign_in(self) -> Response:
        """The sign-in form's POST: the same throttled sign-in as ``POST /auth/login``."""
        if not csrf_ok():  # e.g. a form kept open across a restart: offer a fresh one
            return self.sign_in_form(400, "form_expired")
        app = hirfa()
        phone = request.form.get("phone", "").strip()[:40]
        kept = request.cookies.get(DEVICE)
        try:
            signed = sessions.sign_in(
                app.db(),
                app.settings,
                app.hasher,
                normalise_phone(phone),
                request.form.get("password", ""),
                request.remote_addr or "unknown",
                device_credentials=known_devices.cookie_credentials(kept),
                now=app.clock(),
            )
        except InvalidPhone:
            return self.sign_in_form(401, "wrong_credentials", phone)
        except TooManyRequests as exc:
            locked = isinstance(exc, SignInLocked)
            refused = self.sign_in_form(429, "locked_ask" if locked else "locked_out", phone)
            refused.headers.update(exc.headers)  # Retry-After
            return refused
        except AppError:  # wrong secret, disabled account: the same answer, nothing revealed
            return self.sign_in_form(401, "wrong_credentials", phone)
        user, pair = signed.user, signed.pair
        if user.role not in self.roles:
            # The tokens were issued before the role could be known: end that session now.
            tokens.logout(app.db(), app.settings, user, pair.refresh_token)
            return self.sign_in_form(403, self.refused, phone)
        self.start(pair)
        response = redirect(self.safe_back(request.form.get("back")), 303)
        # The device cookie outlives the session (signing out keeps it): it is what lets
        # this browser in when wrong passwords from elsewhere have locked new devices out.
        # Always Secure: over plain HTTP a browser drops it, and is then merely an unknown
        # device.
        response.set_cookie(
            DEVICE, known_devices.cookie_value(signed.device_credential, kept),
            max_age=app.settings.device_credential_days * 86400, path=self.path,
            secure=True, httponly=True, samesite="Lax",
        )  # fmt: skip
        return response

    def sign_out(self) -> None:
        """End the session behind the cookies (the answer clears them)."""
        user, refresh = self.signed_in(), request.cookies.get(REFRESH)
        if user is not None and refresh:
            app = hirfa()
            # signed_in() may just have rotated the refresh token: end it by the newest.
            current = g.web_tokens.refresh_token if g.get("web_tokens") else refresh
            try:
                tokens.logout(app.db(), app.settings, user, current)
            except AppError:
                pass  # already ended elsewhere: signing out still clears the cookies
        g.pop("web_tokens", None)
        g.web_sign_out = True
        session.clear()

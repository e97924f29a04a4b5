"""Sign-in, token refresh, logout, and the signed-in user's own account."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.accounts import (
    FirebaseExchangeSchema,
    ProfileUpdateSchema,
    RefreshSchema,
    SessionSchema,
    SignInSchema,
    UserSchema,
)
from schemas.devices import LogoutSchema

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import accounts, devices, sessions, tokens
from ..state import hirfa

ns = namespace("auth", "Sign in with a phone number and a PIN or password; refresh; log out.")
me_ns = namespace("me", "The signed-in user's own account.", path="/me")


def _session(user, pair) -> dict:
    return dump(SessionSchema, {**pair.to_dict(), "user": user.to_dict()})


@ns.route("/login")
class Login(Resource):
    @ns.doc(
        description=(
            "Sign in with a phone number (any format, normalised to E.164) and either a "
            "`pin` (4-8 digits) or a `password`. Returns a short-lived access token and a "
            "long-lived refresh token. Repeated wrong attempts lock the number out for a "
            "growing time (429 with `Retry-After`)."
        )
    )
    @ns.expect(model(SignInSchema), validate=False)
    @ns.response(200, "Signed in", model(SessionSchema))
    @ns.response(401, "Wrong phone number or secret")
    @ns.response(429, "Locked out for a while")
    def post(self):
        """Sign in"""
        data = load_body(SignInSchema)
        app = hirfa()
        user, pair = sessions.sign_in(
            app.db(),
            app.settings,
            app.hasher,
            data["phone"],
            data["pin"] if "pin" in data else data["password"],
            request.remote_addr or "unknown",
        )
        return _session(user, pair)


@ns.route("/refresh")
class Refresh(Resource):
    @ns.doc(
        description=(
            "Exchange a refresh token for a new access token and a new refresh token (the old "
            "one is used up). Retrying within the grace period, e.g. after a response lost on "
            "a bad link, returns the same new refresh token. Replaying a used token later "
            "ends every session of its family."
        )
    )
    @ns.expect(model(RefreshSchema), validate=False)
    @ns.response(200, "New tokens", model(SessionSchema))
    @ns.response(401, "The refresh token is unknown, expired, revoked or reused")
    def post(self):
        """Refresh the tokens"""
        data = load_body(RefreshSchema)
        app = hirfa()
        user, pair = sessions.refresh(app.db(), app.settings, data["refresh_token"])
        return _session(user, pair)


@ns.route("/firebase")
class FirebaseExchange(Resource):
    @ns.doc(
        description=(
            "Exchange a Firebase Auth ID token (phone sign-in on the app) for Hirfa tokens. "
            "The phone number must belong to an existing account. 501 when Firebase is not "
            "configured on this server."
        )
    )
    @ns.expect(model(FirebaseExchangeSchema), validate=False)
    @ns.response(200, "Signed in", model(SessionSchema))
    @ns.response(501, "Firebase is not configured")
    def post(self):
        """Sign in with Firebase"""
        data = load_body(FirebaseExchangeSchema)
        app = hirfa()
        user, pair = sessions.sign_in_with_firebase(
            app.db(), app.settings, app.firebase(), data["id_token"]
        )
        return _session(user, pair)


@ns.route("/logout")
class Logout(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "End this device's session: its refresh token family is revoked, and its push "
            "token (`device_token` in the body, or the `X-Device-Token` header) is removed."
        ),
        params={
            "X-Device-Token": {
                "in": "header",
                "description": "this phone's FCM token",
                "example": "fcm-token-abc123",
            }
        },
    )
    @ns.expect(model(LogoutSchema), validate=False)
    @ns.response(204, "Logged out")
    @login_required()
    def post(self):
        """Log out of this device"""
        data = load_body(LogoutSchema)
        app = hirfa()
        tokens.logout(app.db(), app.settings, current_user(), data["refresh_token"])
        device = data.get("device_token") or request.headers.get("X-Device-Token")
        if device:
            devices.forget(app.db(), current_user(), device, missing_ok=True)
        return "", 204


@ns.route("/logout-all")
class LogoutAll(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "End every session of this account on every device: refresh tokens are revoked, "
            "access tokens already issued stop working, and the account's devices get no "
            "more push notifications until they sign in again."
        ),
    )
    @ns.response(204, "Logged out everywhere")
    @login_required()
    def post(self):
        """Log out everywhere"""
        accounts.end_all_sessions(hirfa().db(), current_user().id)
        return "", 204


@me_ns.route("")
class Me(Resource):
    @me_ns.doc(security="bearer", description="The signed-in user's account and cooperatives.")
    @me_ns.response(200, "The account", model(UserSchema))
    @login_required()
    def get(self):
        """Who am I"""
        return dump(UserSchema, current_user().to_dict())

    @me_ns.doc(
        security="bearer",
        description="Change one's display name or the language of messages (ar, fr, en).",
    )
    @me_ns.expect(model(ProfileUpdateSchema), validate=False)
    @me_ns.response(200, "The updated account", model(UserSchema))
    @login_required()
    def patch(self):
        """Update my profile"""
        changes = load_body(ProfileUpdateSchema)
        user = accounts.update_profile(hirfa().db(), current_user(), changes)
        return dump(UserSchema, user.to_dict())

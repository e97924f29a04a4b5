"""Sign-in, token refresh, logout, and the signed-in user's own account."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.accounts import (
    DEVICE_CREDENTIAL_EXAMPLE,
    FirebaseExchangeSchema,
    ProfileUpdateSchema,
    RefreshSchema,
    SessionSchema,
    SignInSchema,
    SignInSessionSchema,
    UserSchema,
)
from schemas.devices import LogoutSchema

from ..errors import AccountDisabled
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
            "`pin` (4-8 digits) or a `password`. Returns a short-lived access token, a "
            "long-lived refresh token and this device's `device_credential` for the "
            "account: keep it and send it back at every sign-in (in the body, or as "
            "`X-Device-Credential`). Wrong attempts from a known device count for that "
            "device only; failures from elsewhere never hold it back. Unknown devices wait "
            "a growing delay per number and per address after a few wrong attempts (429 "
            "`too_many_requests` with `Retry-After`, at most 5 minutes), and after 100 in a "
            "row are locked out of the number until a coordinator lifts it (429 "
            "`sign_in_locked`; `POST /users/{id}/unlock`)."
        ),
        params={
            "X-Device-Credential": {
                "in": "header",
                "description": (
                    "the `device_credential` of this device's last sign-in to the account "
                    "(or send `device_credential` in the body)"
                ),
                "example": DEVICE_CREDENTIAL_EXAMPLE,
            }
        },
    )
    @ns.expect(model(SignInSchema), validate=False)
    @ns.response(200, "Signed in", model(SignInSessionSchema))
    @ns.response(401, "Wrong phone number or secret")
    @ns.response(403, "The account is disabled", error=AccountDisabled)
    @ns.response(
        429,
        "Wait `Retry-After` seconds (`too_many_requests`, `details.scope`: `device`, "
        "`phone` or `addr`), or unknown devices are locked out of this number "
        "(`sign_in_locked`)",
    )
    def post(self):
        """Sign in"""
        data = load_body(SignInSchema)
        app = hirfa()
        sent = [data.get("device_credential"), request.headers.get("X-Device-Credential")]
        signed = sessions.sign_in(
            app.db(),
            app.settings,
            app.hasher,
            data["phone"],
            data["pin"] if "pin" in data else data["password"],
            request.remote_addr or "unknown",
            device_credentials=[c for c in sent if c],
            now=app.clock(),
        )
        return dump(
            SignInSessionSchema,
            {
                **signed.pair.to_dict(),
                "user": signed.user.to_dict(),
                "device_credential": signed.device_credential,
            },
        )


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
    @ns.response(403, "The account is disabled", error=AccountDisabled)
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
    @ns.response(401, "The ID token is not valid, or no account has its phone number")
    @ns.response(403, "The account is disabled", error=AccountDisabled)
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

"""Creating accounts: buyers register themselves, coordinators onboard artisans, admins
create coordinators; PIN resets and disabling."""

from __future__ import annotations

from flask_restx import Resource

from schemas.accounts import (
    CreateArtisanSchema,
    CreateCoordinatorSchema,
    DisableSchema,
    RegisterBuyerSchema,
    ResetPinSchema,
    SessionSchema,
    UserSchema,
)

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import accounts, tokens
from ..state import hirfa

ns = namespace("users", "Accounts: registration, onboarding, PIN resets, disabling.", path="/")


@ns.route("/buyers")
class Buyers(Resource):
    @ns.doc(
        description=(
            "A buyer registers with a phone number and a password and is signed in at once. "
            "409 when the number already has an account."
        )
    )
    @ns.expect(model(RegisterBuyerSchema), validate=False)
    @ns.response(201, "Registered and signed in", model(SessionSchema))
    @ns.response(409, "The phone number is taken")
    def post(self):
        """Register as a buyer"""
        data = load_body(RegisterBuyerSchema)
        app = hirfa()
        user = accounts.register_buyer(app.db(), app.hasher, data)
        pair = tokens.issue_pair(app.db(), app.settings, user)
        return dump(SessionSchema, {**pair.to_dict(), "user": user.to_dict()}), 201


@ns.route("/artisans")
class Artisans(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A coordinator onboards an artisan of one of her cooperatives (in person: many "
            "artisans have no e-mail), with a PIN the artisan will sign in with. Admins may "
            "onboard into any cooperative."
        ),
    )
    @ns.expect(model(CreateArtisanSchema), validate=False)
    @ns.response(201, "Created", model(UserSchema))
    @ns.response(403, "Not a coordinator of this cooperative")
    @ns.response(409, "The phone number is taken")
    @login_required("coordinator", "admin")
    def post(self):
        """Onboard an artisan"""
        data = load_body(CreateArtisanSchema)
        actor = current_user()
        accounts.ensure_coordinates(actor, data["cooperative_id"])
        app = hirfa()
        user = accounts.create_user(
            app.db(),
            app.hasher,
            role="artisan",
            phone=data["phone"],
            display_name=data["display_name"],
            secret=data["pin"],
            secret_kind="pin",
            locale=data["locale"],
            cooperative_id=data["cooperative_id"],
            created_by=actor.id,
        )
        return dump(UserSchema, user.to_dict()), 201


@ns.route("/coordinators")
class Coordinators(Resource):
    @ns.doc(
        security="bearer",
        description="An admin creates a coordinator who manages one or more cooperatives.",
    )
    @ns.expect(model(CreateCoordinatorSchema), validate=False)
    @ns.response(201, "Created", model(UserSchema))
    @ns.response(403, "Not an admin")
    @login_required("admin")
    def post(self):
        """Create a coordinator"""
        data = load_body(CreateCoordinatorSchema)
        app = hirfa()
        user = accounts.create_user(
            app.db(),
            app.hasher,
            role="coordinator",
            phone=data["phone"],
            display_name=data["display_name"],
            secret=data["password"],
            secret_kind="password",
            locale=data["locale"],
            cooperative_ids=tuple(dict.fromkeys(data["cooperative_ids"])),
            created_by=current_user().id,
        )
        return dump(UserSchema, user.to_dict()), 201


@ns.route("/users/<string:user_id>/pin")
@ns.param("user_id", "The account's id", example="art_5f2c9e1a7b3d4c60")
class ResetPin(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Set a new PIN for an artisan of one's cooperative (admins: anyone). Every "
            "session of that account ends, so a lost phone is cut off."
        ),
    )
    @ns.expect(model(ResetPinSchema), validate=False)
    @ns.response(204, "PIN reset")
    @ns.response(403, "Not this artisan's coordinator")
    @ns.response(404, "No such user")
    @login_required("coordinator", "admin")
    def put(self, user_id: str):
        """Reset a PIN"""
        data = load_body(ResetPinSchema)
        app = hirfa()
        accounts.reset_secret(app.db(), app.hasher, current_user(), user_id, data["pin"])
        return "", 204


@ns.route("/users/<string:user_id>/unlock")
@ns.param("user_id", "The account's id", example="art_5f2c9e1a7b3d4c60")
class Unlock(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Lift the sign-in locks of an artisan of one's cooperative (admins: anyone): "
            "the lock of new devices on her number (after 100 wrong attempts in a row from "
            "devices that never signed in to her account) and the delays of her own "
            "devices. Her PIN and her sessions stay as they are; to cut off a lost phone, "
            "reset the PIN instead (which lifts the locks too)."
        ),
    )
    @ns.response(204, "Locks lifted")
    @ns.response(403, "Not this artisan's coordinator")
    @ns.response(404, "No such user")
    @login_required("coordinator", "admin")
    def post(self, user_id: str):
        """Lift a sign-in lock"""
        accounts.unlock(hirfa().db(), current_user(), user_id)
        return "", 204


@ns.route("/users/<string:user_id>/disabled")
@ns.param("user_id", "The account's id", example="art_5f2c9e1a7b3d4c60")
class Disable(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Disable or re-enable an account (coordinators: artisans of their cooperatives; "
            "admins: anyone). Disabling ends every session at once."
        ),
    )
    @ns.expect(model(DisableSchema), validate=False)
    @ns.response(200, "The account", model(UserSchema))
    @ns.response(403, "Not allowed to manage this account")
    @ns.response(404, "No such user")
    @login_required("coordinator", "admin")
    def put(self, user_id: str):
        """Disable or enable an account"""
        data = load_body(DisableSchema)
        user = accounts.set_disabled(hirfa().db(), current_user(), user_id, data["disabled"])
        return dump(UserSchema, user.to_dict())

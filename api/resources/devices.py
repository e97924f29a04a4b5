"""Devices: the FCM tokens push notifications go to (a user may have several phones)."""

from __future__ import annotations

from flask_restx import Resource

from schemas.devices import DeviceListSchema, DeviceRegisterSchema, DeviceSchema

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import devices
from ..state import hirfa

ns = namespace("devices", "Push tokens of the signed-in user's phones.")

TOKEN_PARAM = {"description": "The FCM registration token", "example": "fcm-token-abc123"}


@ns.route("")
class Devices(Resource):
    @ns.doc(security="bearer", description="The signed-in user's registered push tokens.")
    @ns.response(200, "The devices", model(DeviceListSchema))
    @login_required()
    def get(self):
        """List my devices"""
        return dump(DeviceListSchema, {"items": devices.list_mine(hirfa().db(), current_user())})

    @ns.doc(
        security="bearer",
        description=(
            "Register this phone's FCM token with its platform, language and app version "
            "(registering again refreshes it). Notifications come in the device's language "
            "(ar, fr, en), else the account's. A token registered by another account moves "
            "to this one."
        ),
    )
    @ns.expect(model(DeviceRegisterSchema), validate=False)
    @ns.response(200, "Registered", model(DeviceSchema))
    @login_required()
    def post(self):
        """Register a device"""
        data = load_body(DeviceRegisterSchema)
        return dump(DeviceSchema, devices.register(hirfa().db(), current_user(), data))


@ns.route("/<path:token>")
@ns.param("token", **TOKEN_PARAM)
class Device(Resource):
    @ns.doc(security="bearer", description="Stop sending notifications to this token.")
    @ns.response(204, "Removed")
    @ns.response(404, "Not a token of this account")
    @login_required()
    def delete(self, token: str):
        """Remove a device"""
        devices.forget(hirfa().db(), current_user(), token)
        return "", 204

"""Cooperatives: listed publicly, created by admins; their artisans, for coordinators."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.accounts import CooperativeSchema, CreateCooperativeSchema, UserSchema

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import accounts
from ..state import hirfa

ns = namespace("cooperatives", "Cooperatives and their artisans.")


@ns.route("")
class Cooperatives(Resource):
    @ns.doc(
        description="Every cooperative, optionally in one region (`?region=souss-massa`).",
        params={"region": {"description": "region code", "example": "souss-massa"}},
    )
    @ns.response(200, "The cooperatives", [model(CooperativeSchema)])
    def get(self):
        """List cooperatives"""
        coops = accounts.list_cooperatives(hirfa().db(), request.args.get("region"))
        return dump(CooperativeSchema, coops, many=True)

    @ns.doc(security="bearer", description="An admin creates a cooperative.")
    @ns.expect(model(CreateCooperativeSchema), validate=False)
    @ns.response(201, "Created", model(CooperativeSchema))
    @ns.response(403, "Not an admin")
    @ns.response(409, "The id is taken")
    @login_required("admin")
    def post(self):
        """Create a cooperative"""
        data = load_body(CreateCooperativeSchema)
        coop = accounts.create_cooperative(
            hirfa().db(), current_user(), data, coop_id=data.get("id")
        )
        return dump(CooperativeSchema, coop), 201


@ns.route("/<string:cooperative_id>")
@ns.param("cooperative_id", "The cooperative's id", example="coop-taza-zerbia")
class Cooperative(Resource):
    @ns.doc(description="One cooperative.")
    @ns.response(200, "The cooperative", model(CooperativeSchema))
    @ns.response(404, "No such cooperative")
    def get(self, cooperative_id: str):
        """Get a cooperative"""
        return dump(CooperativeSchema, accounts.get_cooperative(hirfa().db(), cooperative_id))


@ns.route("/<string:cooperative_id>/artisans")
@ns.param("cooperative_id", "The cooperative's id", example="coop-taza-zerbia")
class CooperativeArtisans(Resource):
    @ns.doc(
        security="bearer",
        description="The artisans of a cooperative, for its coordinators and admins.",
    )
    @ns.response(200, "The artisans", [model(UserSchema)])
    @ns.response(403, "Not a coordinator of this cooperative")
    @login_required("coordinator", "admin")
    def get(self, cooperative_id: str):
        """List a cooperative's artisans"""
        users = accounts.list_artisans(hirfa().db(), current_user(), cooperative_id)
        return dump(UserSchema, [u.to_dict() for u in users], many=True)

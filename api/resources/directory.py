"""The public directory over REST: a cooperative's and an artisan's public profile, the
same documents phones sync and the hub replicates (api/services/directory_docs.py)."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.directory import (
    ArtisanDirectorySchema,
    ArtisanProfileBodySchema,
    CooperativeDirectorySchema,
    CooperativeProfileBodySchema,
)

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import directory_docs
from ..state import hirfa
from .params import IF_MATCH, with_etag

ns = namespace("directory", "Public profiles of cooperatives and artisans, as documents.")

STALE = (
    "`If-Match` must carry the revision you edited: a stale one gets 412 with the current "
    "profile in `details.current`."
)


def _answer(schema, doc: dict):
    return with_etag(dump(schema, directory_docs.render(doc)))


def _get(kind: str, key: str, schema):
    return _answer(schema, directory_docs.get_profile(hirfa().store(), kind, key))


def _put(kind: str, key: str, body_schema, schema):
    fields = load_body(body_schema)
    doc = directory_docs.put_profile(
        hirfa().store(), current_user(), kind, key, request.headers.get("If-Match"), fields
    )
    return _answer(schema, doc)


@ns.route("/cooperatives/<string:cooperative_id>")
@ns.param("cooperative_id", "The cooperative's id", example="coop-taza-zerbia")
class CooperativeProfile(Resource):
    @ns.doc(
        description="A cooperative's public profile (`cooperative:<id>`): names, region, "
        "commune, crafts, story, photos, public contacts, visiting information. "
        "`ETag` is its revision."
    )
    @ns.response(200, "The profile", model(CooperativeDirectorySchema))
    @ns.response(404, "No such cooperative in the directory")
    def get(self, cooperative_id: str):
        """Get a cooperative's public profile"""
        return _get("cooperative", cooperative_id, CooperativeDirectorySchema)

    @ns.doc(
        security="bearer",
        description="A coordinator of the cooperative, or an admin, replaces its public "
        "profile. " + STALE,
        params=IF_MATCH,
    )
    @ns.expect(model(CooperativeProfileBodySchema), validate=False)
    @ns.response(200, "Updated", model(CooperativeDirectorySchema))
    @ns.response(412, "Stale revision")
    @login_required("coordinator", "admin")
    def put(self, cooperative_id: str):
        """Update a cooperative's public profile"""
        return _put(
            "cooperative", cooperative_id, CooperativeProfileBodySchema, CooperativeDirectorySchema
        )


@ns.route("/artisans/<string:artisan_id>")
@ns.param("artisan_id", "The artisan's user id", example="art_fatima")
class ArtisanProfile(Resource):
    @ns.doc(
        description="An artisan's public profile (`artisan:<user id>`): display name, "
        "cooperative, crafts, her story, a photo. Never a phone number. `ETag` is its "
        "revision."
    )
    @ns.response(200, "The profile", model(ArtisanDirectorySchema))
    @ns.response(404, "No such artisan in the directory")
    def get(self, artisan_id: str):
        """Get an artisan's public profile"""
        return _get("artisan", artisan_id, ArtisanDirectorySchema)

    @ns.doc(
        security="bearer",
        description="A coordinator of her cooperative or an admin replaces the profile; the "
        "artisan herself may change only her story and photo. " + STALE,
        params=IF_MATCH,
    )
    @ns.expect(model(ArtisanProfileBodySchema), validate=False)
    @ns.response(200, "Updated", model(ArtisanDirectorySchema))
    @ns.response(412, "Stale revision")
    @login_required("artisan", "coordinator", "admin")
    def put(self, artisan_id: str):
        """Update an artisan's public profile"""
        return _put("artisan", artisan_id, ArtisanProfileBodySchema, ArtisanDirectorySchema)

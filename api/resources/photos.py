"""Photo documents over REST: declare a photo (by the hash of its bytes) for a product."""

from __future__ import annotations

from flask_restx import Resource

from schemas.products import PhotoCreateSchema, PhotoSchema

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import photo_docs
from ..services.products import owner_for
from ..state import hirfa

ns = namespace("photos", "Photo documents; the bytes go through /uploads (tus).")


@ns.route("")
class Photos(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Declare a photo by the SHA-256 of its file. It is `pending` until the bytes "
            "have been uploaded (tus, /api/v1/uploads) and processed, then `ready`, with "
            "thumbnail and display URLs; the change syncs to the phone."
        ),
    )
    @ns.expect(model(PhotoCreateSchema), validate=False)
    @ns.response(201, "Created", model(PhotoSchema))
    @ns.response(404, "No such artisan (`artisan_id`) in your cooperatives")
    @ns.response(409, "The id is taken")
    @login_required("artisan", "coordinator", "admin")
    def post(self):
        """Declare a photo"""
        data = load_body(PhotoCreateSchema)
        app, user = hirfa(), current_user()
        store = app.store()
        owner, coop = owner_for(store, user, data.get("artisan_id"))
        doc = photo_docs.create(store, user, data, app.settings.media_dir, owner, coop)
        return dump(PhotoSchema, photo_docs.render(doc)), 201


@ns.route("/<string:photo_id>")
@ns.param("photo_id", "The photo's id", example="photo:3f2a")
class Photo(Resource):
    @ns.doc(security="bearer", description="One photo document and its processing state.")
    @ns.response(200, "The photo", model(PhotoSchema))
    @ns.response(404, "No such photo (or not yours)")
    @login_required("artisan", "coordinator", "admin")
    def get(self, photo_id: str):
        """Get a photo"""
        doc = photo_docs.get(hirfa().store(), current_user(), photo_id)
        return dump(PhotoSchema, photo_docs.render(doc))

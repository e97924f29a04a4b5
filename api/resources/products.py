"""Products over REST: the same documents the phones sync through /sync."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.documents import PRODUCT_STATUSES
from schemas.products import (
    MaterialsCostSchema,
    ProductCreateSchema,
    ProductPageSchema,
    ProductSchema,
    ProductUpdateSchema,
)

from ..errors import BadRequest
from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import idempotency, products
from ..services.ledger import costs
from ..state import hirfa
from .params import LIMIT, NOT_BLANK, SINCE, choice_param, idempotent, with_etag

ns = namespace("products", "An artisan's listings (and coordinators listing for them).")

ROLES = ("artisan", "coordinator", "admin")
ID_PARAM = {"description": "The product's id", "example": "product:9b1c2f"}


@ns.route("")
class Products(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The caller's products (a coordinator: her cooperatives'), oldest change first. "
            "`since` is the cursor returned as `next`; ids deleted since then come in "
            "`deleted`. Filters: `status`, `category`."
        ),
        params={
            **SINCE.doc(),
            **LIMIT.doc(),
            "status": choice_param("one product status", PRODUCT_STATUSES, "submitted"),
            "category": {"description": "a category code", "example": "carpets"},
        },
    )
    @ns.response(200, "A page of products", model(ProductPageSchema))
    @login_required(*ROLES)
    def get(self):
        """List my products"""
        args = request.args
        since, limit = SINCE.read(), LIMIT.read()
        status = args.get("status")
        if status is not None and status not in PRODUCT_STATUSES:
            raise BadRequest(
                f"Unknown status {status!r}.", details={"allowed": list(PRODUCT_STATUSES)}
            )
        page = products.list_mine(
            hirfa().store(), current_user(), since, limit, status, args.get("category")
        )
        return dump(ProductPageSchema, page)

    @ns.doc(
        security="bearer",
        description=(
            "List a product. The client may choose the `id` (a phone offline does); send an "
            "`Idempotency-Key` header so a retry after a lost answer returns the first "
            "result instead of a duplicate. Status may be `draft` or `submitted` (for review)."
        ),
        params={
            "Idempotency-Key": {
                "in": "header",
                "description": "any unique string",
                "maxLength": idempotency.MAX_KEY_LENGTH,
                "example": "3b8e6f0e-listing-1",
            }
        },
    )
    @ns.expect(model(ProductCreateSchema), validate=False)
    @ns.response(201, "Created", model(ProductSchema))
    @ns.response(404, "No such artisan (`artisan_id`) in your cooperatives")
    @ns.response(409, "The id is taken")
    @login_required(*ROLES)
    def post(self):
        """Create a product"""
        data = load_body(ProductCreateSchema)
        app, user = hirfa(), current_user()
        store = app.store()

        def run():
            doc = products.create(store, user, data)
            return dump(ProductSchema, products.render(store, doc)), 201

        body, status = idempotent(run)
        return with_etag(body, status)


@ns.route("/<string:product_id>")
@ns.param("product_id", **ID_PARAM)
class Product(Resource):
    @ns.doc(
        security="bearer",
        description="One product; `ETag` is its revision (304 with `If-None-Match`).",
    )
    @ns.response(200, "The product", model(ProductSchema))
    @ns.response(304, "Not modified")
    @ns.response(404, "No such product (or not yours)")
    @login_required(*ROLES)
    def get(self, product_id: str):
        """Get a product"""
        store = hirfa().store()
        doc = products.get(store, current_user(), product_id)
        if request.if_none_match.contains(doc["_rev"]):
            return "", 304, {"ETag": f'"{doc["_rev"]}"'}
        return with_etag(dump(ProductSchema, products.render(store, doc)))

    @ns.doc(
        security="bearer",
        description=(
            "Change some fields. `If-Match` must carry the revision you edited: a stale one "
            "gets 412 with the current product in `details.current`, so nothing is "
            "overwritten blindly. Only the review moves a product past `submitted`. "
            "Editing an approved product's content sends it back to `submitted` (out of the "
            "catalogue until approved again); a change to `stock` alone keeps it approved."
        ),
        params={
            "If-Match": {
                "in": "header",
                "description": "the revision you edited",
                "example": '"2-5f0c"',
                "required": True,
                "pattern": NOT_BLANK,
            }
        },
    )
    @ns.expect(model(ProductUpdateSchema, partial=True), validate=False)
    @ns.response(200, "Updated", model(ProductSchema))
    @ns.response(412, "Stale revision")
    @login_required(*ROLES)
    def patch(self, product_id: str):
        """Update a product"""
        changes = load_body(ProductUpdateSchema, partial=True)
        store = hirfa().store()
        doc = products.update(
            store, current_user(), product_id, request.headers.get("If-Match"), changes
        )
        return with_etag(dump(ProductSchema, products.render(store, doc)))

    @ns.doc(
        security="bearer",
        description=(
            "Delete a product (a tombstone syncs to phones). `If-Match` must carry its "
            "current revision (412 if stale)."
        ),
        params={
            "If-Match": {
                "in": "header",
                "description": "the current revision",
                "example": '"2-5f0c"',
                "required": True,
                "pattern": NOT_BLANK,
            }
        },
    )
    @ns.response(204, "Deleted")
    @ns.response(412, "Stale revision")
    @login_required(*ROLES)
    def delete(self, product_id: str):
        """Delete a product"""
        products.delete(
            hirfa().store(), current_user(), product_id, request.headers.get("If-Match")
        )
        return "", 204


@ns.route("/<string:product_id>/materials-cost")
@ns.param("product_id", **ID_PARAM)
class MaterialsCost(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "What one piece's materials cost, for the artisan who owns the product and her "
            "cooperative's coordinators: a line per entry of its `bill_of_materials` "
            "(quantity in the material's unit, cost at the material's average purchase "
            "cost, `null` for a material never bought), the total in centimes (the exact "
            "sum rounded half to even once) and the price asked. `complete` is false when "
            "a material was never bought (the total is then a lower bound) or the bill is "
            "empty. `message` says it in the caller's language (her account's locale)."
        ),
    )
    @ns.response(200, "The materials cost", model(MaterialsCostSchema))
    @ns.response(404, "No such product (or not yours)")
    @login_required(*ROLES)
    def get(self, product_id: str):
        """A product's materials cost"""
        store, user = hirfa().store(), current_user()
        doc = products.get(store, user, product_id)
        return dump(MaterialsCostSchema, costs.materials_cost(store.db, doc, user.locale))

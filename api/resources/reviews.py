"""The coordinator's review queue and decisions."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.reviews import (
    BatchDecisionSchema,
    BatchResultsSchema,
    DecisionSchema,
    QueueSchema,
    ReviewSchema,
)

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import photo_docs, reviews
from ..state import hirfa
from .params import LIMIT, IntParam

OFFSET = IntParam("offset", "skip this many", 0, 10**6, 0, 0)

ns = namespace(
    "reviews",
    "Coordinators review submitted products: approve, ask for changes (with reasons), or reject.",
)
PRODUCT = {"description": "The product's id", "example": "product:9b1c2f"}


@ns.route("/queue")
class Queue(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Submitted products of the coordinator's cooperatives, waiting longest first, "
            "with thumbnails, and counts per status. Filters: `cooperative`, `category`."
        ),
        params={
            "cooperative": {
                "description": "one of your cooperatives",
                "example": "coop-taza-zerbia",
            },
            "category": {"description": "a category code", "example": "carpets"},
            **LIMIT.doc(),
            **OFFSET.doc(),
        },
    )
    @ns.response(200, "The queue", model(QueueSchema))
    @login_required("coordinator", "admin")
    def get(self):
        """The review queue"""
        store = hirfa().store()
        filters = {
            "cooperative": request.args.get("cooperative"),
            "category": request.args.get("category"),
            "limit": LIMIT.read(),
            "offset": OFFSET.read(),
        }
        page = reviews.queue(store, current_user(), filters)
        for item in page["items"]:
            photos = item.get("photos") or []
            ref = photo_docs.reference(store, photos[0], item.get("owner")) if photos else {}
            item["thumb_url"] = ref.get("thumb_url")
        return dump(QueueSchema, page)


@ns.route("/batch")
class Batch(Resource):
    @ns.doc(
        security="bearer",
        description="Decide on several products at once; each stands or falls on its own.",
    )
    @ns.expect(model(BatchDecisionSchema), validate=False)
    @ns.response(200, "One result per product", model(BatchResultsSchema))
    @login_required("coordinator", "admin")
    def post(self):
        """Decide on several products"""
        data = load_body(BatchDecisionSchema)
        results = reviews.decide_many(hirfa().store(), current_user(), data["decisions"])
        return dump(BatchResultsSchema, {"results": results})


@ns.route("/<string:product_id>")
@ns.param("product_id", **PRODUCT)
class Review(Resource):
    @ns.doc(
        security="bearer",
        description="The review of a product and its whole history (who, when, what); "
        "for its coordinators and its artisan.",
    )
    @ns.response(200, "The review", model(ReviewSchema))
    @ns.response(404, "Not reviewed yet, or no such product")
    @login_required("coordinator", "admin", "artisan")
    def get(self, product_id: str):
        """Get a product's review"""
        return dump(ReviewSchema, reviews.get_review(hirfa().store(), current_user(), product_id))

    @ns.doc(
        security="bearer",
        description=(
            "Decide on a submitted product. The product moves to approved, "
            "changes_requested or rejected; the artisan's phone learns it through sync and "
            "a push notification. 409 when the product is not submitted, or (`product_changed`) "
            "when `product_rev` is given and the product has a newer revision."
        ),
    )
    @ns.expect(model(DecisionSchema), validate=False)
    @ns.response(200, "The review, with the new decision", model(ReviewSchema))
    @ns.response(403, "Not a coordinator of this product's cooperative")
    @ns.response(409, "The product is not waiting for review")
    @login_required("coordinator", "admin")
    def post(self, product_id: str):
        """Decide on a product"""
        data = load_body(DecisionSchema)
        review = reviews.decide(
            hirfa().store(),
            current_user(),
            product_id,
            data["decision"],
            data["reason_codes"],
            data["comment"],
            data.get("product_rev"),
        )
        return dump(ReviewSchema, review)

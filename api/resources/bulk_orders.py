"""Bulk orders over REST: a buyer's request for many pieces, the cooperative's answer,
its parts shared out among artisans, the quality checks, the parcels and their delivery
(docs/bulk-orders.md). The same documents coordinators' and artisans' phones sync."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.bulk_api import (
    BulkOrderCreateSchema,
    BulkOrderMoveSchema,
    CheckCreateSchema,
    PartCreateSchema,
    ShipmentCreateSchema,
)
from schemas.bulk_orders import BULK_STATUSES
from schemas.bulk_views import (
    BulkOrderPageSchema,
    BulkOrderSchema,
    CheckSchema,
    PartSchema,
    ShipmentSchema,
)

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import orders
from ..services.bulk import parts, quality, requests, shipments
from ..state import hirfa
from .params import (
    IDEMPOTENCY_KEY,
    LIMIT,
    SINCE,
    choice_arg,
    choice_param,
    idempotent,
    require_idempotency_key,
    with_etag,
)

ns = namespace(
    "bulk-orders",
    "Many pieces from one cooperative, shared out among its artisans.",
    path="/bulk-orders",
)

PARTIES = ("buyer", "coordinator", "admin")
COOPERATIVE = ("coordinator", "admin")
ID_PARAM = {"description": "The bulk order's id", "example": "bulk:5d1f0a9e2b7c4e11"}
SHIPMENT_PARAM = {"description": "The shipment's id", "example": "shipment:5d1f0a9e2b7c4e11"}
IF_MATCH_OPTIONAL = {
    "If-Match": {
        "in": "header",
        "description": "optional: the revision you saw; another one is a 412",
        "example": '"2-5f0c"',
    }
}


def _doc(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if not k.startswith("_")} | {
        "id": doc["_id"],
        "rev": doc["_rev"],
    }


def _shipment(doc: dict) -> dict:
    return _doc(doc) | {"count": sum(line["count"] for line in doc["pieces"])}


@ns.route("")
class BulkOrders(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The caller's bulk orders, oldest change first, each with its totals: a buyer's "
            "own, a coordinator's cooperatives'. `since` is the cursor returned as `next`; "
            "`status` filters on the bulk order's own status (400 for another value)."
        ),
        params={
            **SINCE.doc(),
            **LIMIT.doc(),
            "status": choice_param("one bulk order status", BULK_STATUSES, "accepted"),
        },
    )
    @ns.response(200, "A page of bulk orders", model(BulkOrderPageSchema))
    @login_required(*PARTIES)
    def get(self):
        """List my bulk orders"""
        since, limit = SINCE.read(), LIMIT.read()
        status = choice_arg("status", BULK_STATUSES)
        page = requests.list_bulk_orders(hirfa().store(), current_user(), since, limit, status)
        return dump(BulkOrderPageSchema, page)

    @ns.doc(
        security="bearer",
        description=(
            "A buyer asks a cooperative for `quantity` pieces (1 to 100,000) at "
            "`unit_price_centimes` each, by `due` (not past): of an approved product "
            "(`product_id`), or of a piece she describes (`cooperative` and `piece`), "
            "never both (400 `validation_error`). 404 for a product not in the catalogue "
            "or an unknown cooperative. An `Idempotency-Key` is required (428 "
            "`idempotency_key_required` without one; 422 `idempotency_key_reused` with "
            "another body): a retry with the same key returns the same bulk order. The "
            "cooperative's coordinators are told."
        ),
        params=IDEMPOTENCY_KEY,
    )
    @ns.expect(model(BulkOrderCreateSchema), validate=False)
    @ns.response(201, "Requested", model(BulkOrderSchema))
    @ns.response(404, "No such product or cooperative")
    @ns.response(422, "The Idempotency-Key was used for another request")
    @ns.response(428, "No Idempotency-Key")
    @login_required("buyer")
    def post(self):
        """Request a bulk order"""
        require_idempotency_key()
        data = load_body(BulkOrderCreateSchema)
        store, user = hirfa().store(), current_user()

        def run():
            return dump(BulkOrderSchema, requests.create(store, user, data)), 201

        body, status = idempotent(run)
        return with_etag(body, status)


@ns.route("/<string:bulk_id>")
@ns.param("bulk_id", **ID_PARAM)
class BulkOrder(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "One bulk order with its stage and totals (where every piece is). The buyer "
            "sees her terms and the parcels; the cooperative's coordinators also the "
            "artisans' share, each part, each check. `ETag` is its revision."
        ),
    )
    @ns.response(200, "The bulk order", model(BulkOrderSchema))
    @ns.response(404, "No such bulk order (or not yours)")
    @login_required(*PARTIES)
    def get(self, bulk_id: str):
        """Get a bulk order"""
        view = requests.get(hirfa().store(), current_user(), bulk_id)
        return with_etag(dump(BulkOrderSchema, view))


@ns.route("/<string:bulk_id>/moves")
@ns.param("bulk_id", **ID_PARAM)
class Moves(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The cooperative accepts a request (with `artisan_share_centimes`, what each "
            "artisan is paid per piece, or `margin_percent`, the cooperative's margin: "
            "not both; 400 without either or with a share above the price) or declines it; "
            "the buyer cancels it while it is requested; the cooperative cancels an "
            "accepted one (409 `already_shipped` once pieces have shipped; parts still "
            "waiting for an answer are cancelled with it). 409 `invalid_transition` for a "
            "move not from the current status, 403 for a move that is the other side's. "
            "With `If-Match`, a stale revision is a 412 with the current view."
        ),
        params=IF_MATCH_OPTIONAL,
    )
    @ns.expect(model(BulkOrderMoveSchema), validate=False)
    @ns.response(200, "Moved", model(BulkOrderSchema))
    @ns.response(403, "The other side's move")
    @ns.response(404, "No such bulk order (or not yours)")
    @ns.response(409, "`invalid_transition`, `already_shipped`")
    @ns.response(412, "Stale revision")
    @login_required(*PARTIES)
    def post(self, bulk_id: str):
        """Move a bulk order"""
        data = load_body(BulkOrderMoveSchema)
        view = requests.move(
            hirfa().store(),
            current_user(),
            bulk_id,
            data["status"],
            request.headers.get("If-Match"),
            share=data.get("artisan_share_centimes"),
            margin_percent=data.get("margin_percent"),
        )
        return with_etag(dump(BulkOrderSchema, view))


@ns.route("/<string:bulk_id>/parts")
@ns.param("bulk_id", **ID_PARAM)
class Parts(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A coordinator assigns `quantity` pieces of an accepted bulk order to an "
            "artisan of its cooperative: a part, an order of hers priced at the share, "
            "which she answers like any order (`POST /orders/{order_id}/moves`). 403 "
            "`artisan_of_another_cooperative`, or `forbidden` for a buyer; 409 "
            "`bulk_order_not_accepted`, or `beyond_bulk_order` for more pieces than are "
            "left to assign."
        ),
    )
    @ns.expect(model(PartCreateSchema), validate=False)
    @ns.response(201, "Assigned", model(PartSchema))
    @ns.response(403, "`artisan_of_another_cooperative`, or not a coordinator")
    @ns.response(404, "No such bulk order (or not yours)")
    @ns.response(409, "`bulk_order_not_accepted`, `beyond_bulk_order`")
    @login_required(*PARTIES)
    def post(self, bulk_id: str):
        """Assign a part"""
        data = load_body(PartCreateSchema)
        user = current_user()
        part = parts.assign(hirfa().store(), user, bulk_id, data["artisan"], data["quantity"])
        return with_etag(dump(PartSchema, orders.render(user, part)), 201)


@ns.route("/<string:bulk_id>/checks")
@ns.param("bulk_id", **ID_PARAM)
class Checks(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A coordinator records the quality check of a part's pieces: how many passed, "
            "how many were refused and why (`reason`, which the artisan reads in her "
            "language, with `note`). Refused pieces go back to be assigned. 404 for a "
            "part not of this bulk order; 409 `part_not_checkable` before the artisan "
            "accepted it, `more_than_part` for more pieces than the part has left to check."
        ),
    )
    @ns.expect(model(CheckCreateSchema), validate=False)
    @ns.response(201, "Recorded", model(CheckSchema))
    @ns.response(403, "Not a coordinator of the cooperative")
    @ns.response(404, "No such bulk order or part")
    @ns.response(409, "`part_not_checkable`, `more_than_part`")
    @login_required(*PARTIES)
    def post(self, bulk_id: str):
        """Record a quality check"""
        data = load_body(CheckCreateSchema)
        doc = quality.record(hirfa().store(), current_user(), bulk_id, data)
        return dump(CheckSchema, _doc(doc)), 201


@ns.route("/<string:bulk_id>/shipments")
@ns.param("bulk_id", **ID_PARAM)
class Shipments(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "A coordinator ships checked pieces in a parcel: `pieces` ([{part, count}]), "
            "or without it every checked piece waiting. The buyer is told; what the "
            "pieces earn their artisans is written to their ledgers. 409 "
            "`nothing_to_ship`, or `more_than_checked` for more pieces than passed the "
            "check and have not shipped; 400 for a part not of this bulk order."
        ),
    )
    @ns.expect(model(ShipmentCreateSchema), validate=False)
    @ns.response(201, "Shipped", model(ShipmentSchema))
    @ns.response(403, "Not a coordinator of the cooperative")
    @ns.response(404, "No such bulk order (or not yours)")
    @ns.response(409, "`nothing_to_ship`, `more_than_checked`")
    @login_required(*PARTIES)
    def post(self, bulk_id: str):
        """Ship pieces"""
        data = load_body(ShipmentCreateSchema)
        doc = shipments.ship(hirfa().store(), current_user(), bulk_id, data)
        return with_etag(dump(ShipmentSchema, _shipment(doc)), 201)


@ns.route("/<string:bulk_id>/shipments/<string:shipment_id>/delivered")
@ns.param("bulk_id", **ID_PARAM)
@ns.param("shipment_id", **SHIPMENT_PARAM)
class Delivered(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The buyer (or a coordinator) records that a parcel arrived; its artisans and "
            "coordinators are told, and parts whose pieces have all arrived move to "
            "`delivered`. No body. 404 for a shipment not of this bulk order; 409 "
            "`already_delivered`; with `If-Match`, a stale revision is a 412."
        ),
        params=IF_MATCH_OPTIONAL,
    )
    @ns.response(200, "Delivered", model(ShipmentSchema))
    @ns.response(403, "Not the buyer or a coordinator")
    @ns.response(404, "No such shipment of this bulk order")
    @ns.response(409, "`already_delivered`")
    @ns.response(412, "Stale revision")
    @login_required(*PARTIES)
    def post(self, bulk_id: str, shipment_id: str):
        """Record a delivery"""
        doc = shipments.deliver(
            hirfa().store(), current_user(), bulk_id, shipment_id, request.headers.get("If-Match")
        )
        return with_etag(dump(ShipmentSchema, _shipment(doc)))

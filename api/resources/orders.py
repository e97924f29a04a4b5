"""Orders over REST: the same documents the artisan's phone syncs through /sync."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.documents import ORDER_STATUSES
from schemas.orders import (
    MaterialUsesSchema,
    OrderCreateSchema,
    OrderMovedSchema,
    OrderMoveSchema,
    OrderPageSchema,
    OrderSchema,
)

from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services import orders
from ..services.ledger import costs
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

ns = namespace("orders", "Buyers order approved pieces; artisans answer, even offline.")

PARTIES = ("buyer", "artisan", "coordinator", "admin")


ID_PARAM = {"description": "The order's id", "example": "order:5d1f0a9e2b7c4e11"}


@ns.route("")
class Orders(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The caller's orders, oldest change first: a buyer's own, an artisan's sales, a "
            "coordinator's cooperatives'. `since` is the cursor returned as `next`."
        ),
        params={
            **SINCE.doc(),
            **LIMIT.doc(),
            "status": choice_param("one order status", ORDER_STATUSES, "placed"),
        },
    )
    @ns.response(200, "A page of orders", model(OrderPageSchema))
    @login_required(*PARTIES)
    def get(self):
        """List my orders"""
        since, limit = SINCE.read(), LIMIT.read()
        status = choice_arg("status", ORDER_STATUSES)
        page = orders.list_orders(hirfa().store(), current_user(), since, limit, status)
        return dump(OrderPageSchema, page)

    @ns.doc(
        security="bearer",
        description=(
            "Order an approved product: quantity, a choice for each of its options, delivery "
            "details and a note. The server computes the price from the product and the "
            "chosen options; a price sent by the client is refused. An `Idempotency-Key` "
            "is required (428 `idempotency_key_required` without one): a retry with the "
            "same key after a lost answer returns the same order. The artisan's phone is "
            "woken by a high-priority notification."
        ),
        params=IDEMPOTENCY_KEY,
    )
    @ns.expect(model(OrderCreateSchema), validate=False)
    @ns.response(201, "Placed", model(OrderSchema))
    @ns.response(409, "Not orderable (not approved, no price, not enough stock)")
    @ns.response(428, "No Idempotency-Key")
    @login_required("buyer")
    def post(self):
        """Place an order"""
        require_idempotency_key()
        data = load_body(OrderCreateSchema)
        app, user = hirfa(), current_user()
        store = app.store()

        def run():
            return dump(OrderSchema, orders.render(user, orders.create(store, user, data))), 201

        body, status = idempotent(run)
        return with_etag(body, status)


@ns.route("/<string:order_id>")
@ns.param("order_id", **ID_PARAM)
class Order(Resource):
    @ns.doc(security="bearer", description="One order, with the moves open to the caller.")
    @ns.response(200, "The order", model(OrderSchema))
    @ns.response(404, "No such order (or not yours)")
    @login_required(*PARTIES)
    def get(self, order_id: str):
        """Get an order"""
        user = current_user()
        return with_etag(
            dump(OrderSchema, orders.render(user, orders.get(hirfa().store(), user, order_id)))
        )


@ns.route("/<string:order_id>/moves")
@ns.param("order_id", **ID_PARAM)
class Moves(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "Move the order: the seller (the artisan, or her coordinator) accepts or declines, "
            "then `in_production`, `ready`, `shipped`; the buyer cancels before acceptance; "
            "either confirms `delivered`. Without `If-Match` the move applies to the order as "
            "it is; with `If-Match` naming the revision you saw, a concurrent move is merged "
            "by the convergence rule (a cancellation beats an acceptance), exactly as for a "
            "move a phone made offline. Accepting reserves stock of in-stock products, and "
            "its answer carries `proposed_material_uses`: the use movements of the "
            "product's bill of materials for the artisan to confirm on her phone (as "
            "`GET /orders/{order_id}/material-uses`; the server records none)."
        ),
        params={
            "If-Match": {
                "in": "header",
                "description": "the revision the move was decided on",
                "example": '"1-5f0c"',
            }
        },
    )
    @ns.expect(model(OrderMoveSchema), validate=False)
    @ns.response(200, "Moved (or merged)", model(OrderMovedSchema))
    @ns.response(409, "Not a move from the current status, or not enough stock")
    @login_required(*PARTIES)
    def post(self, order_id: str):
        """Move an order"""
        data = load_body(OrderMoveSchema)
        user = current_user()
        store = hirfa().store()
        doc = orders.move(store, user, order_id, data["status"], request.headers.get("If-Match"))
        body = orders.render(user, doc)
        if data["status"] == "accepted":  # none if a cancellation won the race
            stands = doc["status"] == "accepted"
            body["proposed_material_uses"] = costs.material_uses(store, doc) if stands else []
        return with_etag(dump(OrderMovedSchema, body))


@ns.route("/<string:order_id>/material-uses")
@ns.param("order_id", **ID_PARAM)
class MaterialUses(Resource):
    @ns.doc(
        security="bearer",
        description=(
            "The use movements an order proposes, for the order's artisan and her "
            "coordinators: per material of the ordered product's `bill_of_materials`, the "
            "quantity per piece times the pieces ordered, from the artisan's home, with the "
            "quantity shown in the material's unit. Each `movement` is a body for `POST "
            "/movements` as it is (its `id` makes a second confirmation a retry, not a "
            "second use); through /sync, record it under that id with `type` "
            '"material_movement" and `owner` (the recorder) added. The server records '
            "none. Empty when the product has no bill of materials."
        ),
    )
    @ns.response(200, "The proposed uses", model(MaterialUsesSchema))
    @ns.response(404, "No such order (or not yours)")
    @login_required("artisan", "coordinator", "admin")
    def get(self, order_id: str):
        """The material uses an order proposes"""
        store, user = hirfa().store(), current_user()
        doc = orders.get(store, user, order_id)
        return dump(
            MaterialUsesSchema,
            {"order_id": order_id, "proposed_material_uses": costs.material_uses(store, doc)},
        )

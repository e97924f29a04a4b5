"""Visits and workshops over REST: a cooperative's workshops (its coordinators write
them with If-Match), its upcoming sessions with their places left (public), and
bookings, made by buyers on the cooperative's home server (api/services/visits/)."""

from __future__ import annotations

from flask import request
from flask_restx import Resource

from schemas.visits import WORKSHOP_STATUSES
from schemas.visits_api import (
    BookingCreateSchema,
    BookingListSchema,
    BookingSchema,
    CancelSchema,
    UpcomingSessionListSchema,
    WorkshopCreateSchema,
    WorkshopListSchema,
    WorkshopSchema,
    WorkshopUpdateSchema,
)

from ..errors import BadRequest, NotFound
from ..rest import dump, load_body, model, namespace
from ..security import authenticate, bearer_token, current_user, login_required
from ..services import directory_docs
from ..services.visits import bookings, workshops
from ..state import hirfa
from .params import IF_MATCH, NOT_BLANK, choice_arg, choice_param, with_etag

ns = namespace(
    "visits",
    "Visits and workshops: a cooperative's workshops and their sessions, places left, "
    "and bookings, counted on the cooperative's home server.",
    path="/",
)

WORKSHOP_ID = {"description": "The workshop's id", "example": "workshop:coop-taza-zerbia:weaving"}
BOOKING_ID = {"description": "The booking's id", "example": "booking:0b6f2a8e-58f4-4b8e-9d0e"}
COOPERATIVE = {"description": "A cooperative's id", "example": "coop-taza-zerbia"}
HOME_NOTE = (
    "Places are counted on the cooperative's home server (`home_server` in its directory "
    "document): any other server answers 409 `book_on_home_server` with the home server "
    "and the booking URL there in `details`."
)


def _workshop(doc) -> tuple:
    return with_etag(dump(WorkshopSchema, workshops.render(doc)))


@ns.route("/workshops")
class Workshops(Resource):
    @ns.doc(
        security="bearer",
        description="The workshops of your cooperatives, in every status (an admin: of any "
        "cooperative); `?cooperative=` for one.",
        params={
            "cooperative": COOPERATIVE,
            "status": choice_param("only workshops in this status", WORKSHOP_STATUSES, "published"),
        },
    )
    @ns.response(200, "The workshops", model(WorkshopListSchema))
    @ns.response(403, "Not one of your cooperatives")
    @login_required(*workshops.WRITERS)
    def get(self):
        """List workshops"""
        status = choice_arg("status", WORKSHOP_STATUSES)
        found = workshops.list_workshops(
            hirfa().store(), current_user(), request.args.get("cooperative") or None
        )
        items = [workshops.render(w) for w in found if status in (None, w.get("status"))]
        return dump(WorkshopListSchema, {"items": items})

    @ns.doc(
        security="bearer",
        description="A coordinator writes a workshop for one of her cooperatives "
        "(`cooperative`, optional when she has one; an admin names it): "
        "`workshop:<cooperative>:<code>`, 409 `workshop_exists` if the code is taken. "
        "`status: published` shows it on the cooperative's page and opens its sessions for "
        "booking. Each session's `starts_at` carries its offset (Morocco: `+01:00`); a "
        "session's `capacity` overrides the workshop's.",
    )
    @ns.expect(model(WorkshopCreateSchema), validate=False)
    @ns.response(201, "Created", model(WorkshopSchema))
    @ns.response(403, "Not a coordinator of this cooperative")
    @ns.response(409, "The code is taken (`workshop_exists`)")
    @login_required(*workshops.WRITERS)
    def post(self):
        """Create a workshop"""
        data = load_body(WorkshopCreateSchema)
        body, _, headers = _workshop(workshops.create(hirfa().store(), current_user(), data))
        return body, 201, headers


@ns.route("/workshops/<string:workshop_id>")
@ns.param("workshop_id", **WORKSHOP_ID)
class Workshop(Resource):
    @ns.doc(
        description="A published workshop, for anyone; a draft or cancelled one for its "
        "cooperative's coordinators (send your token). `ETag` is its revision.",
    )
    @ns.response(200, "The workshop", model(WorkshopSchema))
    @ns.response(404, "No such workshop")
    def get(self, workshop_id: str):
        """Get a workshop"""
        user = authenticate() if bearer_token() else None  # a token shows drafts too
        return _workshop(workshops.get(hirfa().store(), user, workshop_id))

    @ns.doc(
        security="bearer",
        description="Its cooperative's coordinators replace its fields (code and cooperative "
        "stay). `If-Match` must carry the revision you edited: a stale one gets 412 with the "
        "current workshop in `details.current`; none, 428. A workshop is never deleted: "
        "`status: cancelled` closes it. Changing a capacity changes the places left at "
        "once; places already booked stay booked.",
        params=IF_MATCH,
    )
    @ns.expect(model(WorkshopUpdateSchema), validate=False)
    @ns.response(200, "Updated", model(WorkshopSchema))
    @ns.response(403, "Not a coordinator of its cooperative")
    @ns.response(404, "No such workshop")
    @ns.response(412, "Stale revision")
    @ns.response(428, "No If-Match")
    @login_required(*workshops.WRITERS)
    def put(self, workshop_id: str):
        """Update, publish or cancel a workshop"""
        data = load_body(WorkshopUpdateSchema)
        doc = workshops.update(
            hirfa().store(), current_user(), workshop_id, request.headers.get("If-Match"), data
        )
        return _workshop(doc)


@ns.route("/cooperatives/<string:cooperative_id>/sessions")
@ns.param("cooperative_id", **COOPERATIVE)
class Sessions(Resource):
    @ns.doc(
        description="The sessions to come of the cooperative's published workshops, soonest "
        "first, each with its places left (`full` when none) and where to book it "
        "(`book_url`: this server, or the cooperative's home server).",
    )
    @ns.response(200, "The sessions", model(UpcomingSessionListSchema))
    @ns.response(404, "No such cooperative")
    def get(self, cooperative_id: str):
        """Upcoming workshop sessions of a cooperative"""
        db, here = hirfa().db(), hirfa().settings.public_url
        if directory_docs.public_cooperative(db, cooperative_id) is None:
            raise NotFound("No such cooperative.", details={"cooperative": cooperative_id})
        items = workshops.upcoming(db, cooperative_id)
        for item in items:
            item["book_url"] = bookings.book_url(
                db, cooperative_id, here, item["workshop_id"], item["session_id"]
            )
        home = (
            None
            if bookings.is_home(db, cooperative_id, here)
            else bookings.home_server(db, cooperative_id)
        )
        return dump(UpcomingSessionListSchema, {"items": items, "home_server": home})


@ns.route("/bookings")
class Bookings(Resource):
    @ns.doc(
        security="bearer",
        description="A buyer's own bookings; a coordinator's cooperatives' (`?cooperative=` "
        "for one); an admin names the cooperative. Soonest session first.",
        params={"cooperative": COOPERATIVE},
    )
    @ns.response(200, "The bookings", model(BookingListSchema))
    @ns.response(403, "Not one of your cooperatives")
    @login_required("buyer", "coordinator", "admin")
    def get(self):
        """List bookings"""
        store, user = hirfa().store(), current_user()
        given = request.args.get("cooperative") or None
        if user.role == "buyer":
            items = bookings.for_buyer(store, user)
        elif given or user.role == "admin":
            if not given:
                raise BadRequest("Say which cooperative: `cooperative`.")
            items = bookings.for_cooperative(store, user, given)
        else:
            items = [
                b for c in user.cooperative_ids for b in bookings.for_cooperative(store, user, c)
            ]
        return dump(BookingListSchema, {"items": items})

    @ns.doc(
        security="bearer",
        description="A buyer books places in a session of a published workshop, in one "
        "transaction: the places are taken only if they are left (409 `session_full` with "
        "`places_left`), never in a session that has started (409 `session_past`) or a "
        "workshop that is not published (409 `workshop_not_open`). The cooperative's "
        "coordinators get a notification. With an `Idempotency-Key`, a second submit "
        "returns the first booking. " + HOME_NOTE,
        params={
            "Idempotency-Key": {
                "in": "header",
                "description": "optional: any unique string, the same on every retry",
                "pattern": NOT_BLANK,
                "maxLength": 200,
                "example": "c1a7-booking-1",
            }
        },
    )
    @ns.expect(model(BookingCreateSchema), validate=False)
    @ns.response(201, "Booked", model(BookingSchema))
    @ns.response(403, "Not a buyer")
    @ns.response(404, "No such workshop or session")
    @ns.response(409, "`session_full`, `session_past`, `workshop_not_open`, `book_on_home_server`")
    @ns.response(422, "The idempotency key was used for another session")
    @login_required("buyer")
    def post(self):
        """Book places in a workshop session"""
        data = load_body(BookingCreateSchema)
        key = (request.headers.get("Idempotency-Key") or "").strip()[:200] or None
        booking = bookings.book(
            hirfa().store(),
            current_user(),
            data["workshop"],
            data["session"],
            data["places"],
            data.get("note"),
            key,
        )
        return dump(BookingSchema, booking), 201


@ns.route("/bookings/<string:booking_id>/cancel")
@ns.param("booking_id", **BOOKING_ID)
class Cancel(Resource):
    @ns.doc(
        security="bearer",
        description="Its buyer, or a coordinator of its cooperative, cancels a booking with a "
        "reason: its places are free again and the other side gets a notification. "
        "Cancelling again changes nothing; a session that has started is not cancelled "
        "(409 `session_past`). " + HOME_NOTE,
    )
    @ns.expect(model(CancelSchema), validate=False)
    @ns.response(200, "Cancelled", model(BookingSchema))
    @ns.response(404, "No such booking (or not yours)")
    @ns.response(409, "`session_past`, `book_on_home_server`")
    @login_required("buyer", "coordinator", "admin")
    def post(self, booking_id: str):
        """Cancel a booking"""
        data = load_body(CancelSchema)
        booking = bookings.cancel(hirfa().store(), current_user(), booking_id, data["reason"])
        return dump(BookingSchema, booking)

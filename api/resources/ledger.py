"""The raw-materials ledger over REST: a cooperative's materials, the movements of them,
the balances they add up to and the ledger as CSV. The same documents phones record
offline (api/services/ledger/)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import Response, request
from flask_restx import Resource

from schemas.ledger import MOVEMENT_KINDS
from schemas.ledger_api import (
    BalanceListSchema,
    MaterialCreateSchema,
    MaterialListSchema,
    MaterialSchema,
    MaterialUpdateSchema,
    MovementCreateSchema,
    MovementPageSchema,
    MovementSchema,
)
from schemas.taxonomy import LOCALES

from ..errors import BadRequest, MethodNotAllowed
from ..rest import dump, load_body, model, namespace
from ..security import current_user, login_required
from ..services.ledger import export, materials, movements, reads
from ..state import hirfa
from .params import (
    IF_MATCH,
    LIMIT,
    IntParam,
    bool_arg,
    bool_param,
    choice_param,
    language_arg,
    with_etag,
)

materials_ns = namespace(
    "materials", "A cooperative's raw materials: wool, argan kernels, clay...", path="/materials"
)
movements_ns = namespace(
    "movements",
    "Receipts, transfers, uses, waste, counts and batches of materials; never edited, "
    "undone by a reversal.",
    path="/movements",
)
ledger_ns = namespace("ledger", "Balances of materials, and the ledger as CSV.", path="/")

MEMBERS = ("artisan", "coordinator", "admin")
WRITERS = ("coordinator", "admin")
COOPERATIVE = {
    "cooperative": {
        "type": "string",
        "description": "the cooperative; optional when you belong to one",
        "example": "coop-taza-zerbia",
    }
}
MATERIAL_ID = {"description": "The material's id", "example": "material:coop-taza-zerbia:wool"}
MOVEMENT_ID = {"description": "The movement's id", "example": "movement:5d1f0a9e2b7c4e11"}
PLACE = {
    "type": "string",
    "description": 'a place: "store" or "artisan:<user id>" (an artisan: her own only)',
    "pattern": r"^(store|artisan:\S+)$",
    "example": "store",
}
MATERIAL_FILTER = {
    "type": "string",
    "description": "one material's id",
    "example": "material:coop-taza-zerbia:wool",
}
CURSOR = IntParam("cursor", "`next` of the previous page", 1, 2**62, None, 42)


PLACE_FORM = re.compile(PLACE["pattern"])


def _arg(name: str, form: re.Pattern | None = None) -> str | None:
    """A query parameter given at most once (and of its form): 400 otherwise, rather
    than one of two values silently used."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadRequest(f"Give `{name}` once.", details={name: values})
    value = values[0] if values else None
    if value is not None and form is not None and not form.fullmatch(value):
        raise BadRequest(f"`{name}` is not of the form {form.pattern}.", details={name: value})
    return value


def _coop():
    return materials.cooperative_for(hirfa().db(), current_user(), _arg("cooperative"))


# Materials


@materials_ns.route("")
class Materials(Resource):
    @materials_ns.doc(
        security="bearer",
        description="The materials of a cooperative, by id: its coordinators' and its "
        "artisans' to read. Archived ones only with `archived=true`.",
        params={**COOPERATIVE, "archived": bool_param("archived materials too")},
    )
    @materials_ns.response(200, "The materials", model(MaterialListSchema))
    @login_required(*MEMBERS)
    def get(self):
        """List a cooperative's materials"""
        coop, archived = _coop(), bool_arg("archived")
        items = materials.list_materials(hirfa().store(), coop, archived)
        return dump(MaterialListSchema, {"items": items})

    @materials_ns.doc(
        security="bearer",
        description="A coordinator of the cooperative (or an admin, naming it) adds a "
        "material at `material:<cooperative>:<code>`; 409 `material_exists` if the code is "
        "taken. Quantities of it are kept in its unit's base unit (kg in g).",
    )
    @materials_ns.expect(model(MaterialCreateSchema), validate=False)
    @materials_ns.response(201, "Created", model(MaterialSchema))
    @materials_ns.response(409, "The code is taken in this cooperative")
    @login_required(*WRITERS)
    def post(self):
        """Create a material"""
        data = load_body(MaterialCreateSchema)
        store = hirfa().store()
        doc = materials.create(store, current_user(), data)
        return with_etag(dump(MaterialSchema, materials.render(store.db, doc)), 201)


@materials_ns.route("/<string:material_id>")
@materials_ns.param("material_id", **MATERIAL_ID)
class Material(Resource):
    @materials_ns.doc(
        security="bearer",
        description="One material of your cooperative; `ETag` is its revision.",
    )
    @materials_ns.response(200, "The material", model(MaterialSchema))
    @materials_ns.response(404, "No such material in your cooperatives")
    @login_required(*MEMBERS)
    def get(self, material_id: str):
        """Get a material"""
        store = hirfa().store()
        doc = materials.get(store, current_user(), material_id)
        return with_etag(dump(MaterialSchema, materials.render(store.db, doc)))

    @materials_ns.doc(
        security="bearer",
        description="A coordinator of its cooperative replaces its fields; `archived: true` "
        "archives it (it is never deleted: movements name it). `If-Match` must carry the "
        "revision you edited: a stale one gets 412 with the current material in "
        "`details.current`. Its unit may change within its family only (kg <-> g).",
        params=IF_MATCH,
    )
    @materials_ns.expect(model(MaterialUpdateSchema), validate=False)
    @materials_ns.response(200, "Updated", model(MaterialSchema))
    @materials_ns.response(409, "A unit of another family (`unit_family_changed`)")
    @materials_ns.response(412, "Stale revision")
    @login_required(*WRITERS)
    def put(self, material_id: str):
        """Update or archive a material"""
        data = load_body(MaterialUpdateSchema)
        store = hirfa().store()
        doc = materials.update(
            store, current_user(), material_id, request.headers.get("If-Match"), data
        )
        return with_etag(dump(MaterialSchema, materials.render(store.db, doc)))

    @materials_ns.doc(
        security="bearer",
        description="Always 405: a material is kept for its history. Archive it: PUT with "
        '`"archived": true`.',
    )
    @materials_ns.response(405, "Materials are archived, not deleted")
    @login_required(*WRITERS)
    def delete(self, material_id: str):
        """Delete a material (refused: archive it)"""
        raise MethodNotAllowed(
            'A material is kept for its history: archive it with PUT and "archived": true.',
            details={"allowed": ["GET", "PUT"], "archive": {"archived": True}},
            headers={"Allow": "GET, PUT"},
        )


# Movements

KIND_RULES = (
    "What each kind says: `receive` material, quantity, `to` (and supplier, "
    "cost_centimes); `transfer` material, quantity, `from`, `to`; `use` and `waste` "
    "material, quantity, `from` (and product_id, order_id); `count` material, `at`, "
    "`counted` (and `expected`: left out, the server's balance there now); `batch` `at`, "
    "`inputs`, `outputs`, `lot`; `reversal` only `reverses` (a movement of your "
    "cooperative; an artisan reverses her own)."
)


@movements_ns.route("")
class Movements(Resource):
    @movements_ns.doc(
        security="bearer",
        description="A cooperative's movements, newest first: a coordinator's any, an "
        "artisan's those that move her own materials (`place` is hers). `cursor` is the "
        "`next` of the previous page. Filters: `kind`, `material`, `place`.",
        params={
            **COOPERATIVE,
            **CURSOR.doc(),
            **LIMIT.doc(),
            "kind": choice_param("one kind of movement", MOVEMENT_KINDS, "transfer"),
            "material": MATERIAL_FILTER,
            "place": PLACE,
        },
    )
    @movements_ns.response(200, "A page of movements", model(MovementPageSchema))
    @login_required(*MEMBERS)
    def get(self):
        """List movements"""
        kind = _arg("kind")
        if kind is not None and kind not in MOVEMENT_KINDS:
            raise BadRequest(f"Unknown kind {kind!r}.", details={"allowed": list(MOVEMENT_KINDS)})
        page = movements.page(
            hirfa().db(),
            current_user(),
            _coop(),
            cursor=CURSOR.read(),
            limit=LIMIT.read(),
            kind=kind,
            material=_arg("material"),
            place=_arg("place", PLACE_FORM),
        )
        return dump(MovementPageSchema, page)

    @movements_ns.doc(
        security="bearer",
        description="Record a movement; the server fills `owner` (you), the cooperative "
        "(yours), an id and `created_at`. Quantities are whole base units, or an amount "
        "with `unit` of the material's family that makes whole base units (2.5 kg). "
        "Send an `id` to retry safely: the same id and body again answer 200 with the "
        "movement recorded; another body under it is 409 `id_taken`. " + KIND_RULES,
    )
    @movements_ns.expect(model(MovementCreateSchema), validate=False)
    @movements_ns.response(201, "Recorded", model(MovementSchema))
    @movements_ns.response(200, "Recorded before (a retry with the same id)", model(MovementSchema))
    @movements_ns.response(
        403,
        "Not yours to record: `forbidden`, `material_of_another_cooperative`, "
        "`place_outside_cooperative`",
    )
    @movements_ns.response(404, "`unknown_material`, or the movement to reverse is not found")
    @movements_ns.response(409, "`already_reversed`, `not_reversible`, `id_taken`")
    @login_required(*MEMBERS)
    def post(self):
        """Record a movement"""
        data = load_body(MovementCreateSchema)
        store, user = hirfa().store(), current_user()
        coop = materials.cooperative_for(store.db, user, data.pop("cooperative", None))
        doc, created = movements.create(store, user, coop, data)
        return with_etag(
            dump(MovementSchema, movements.render(store, doc)), 201 if created else 200
        )


@movements_ns.route("/<string:movement_id>")
@movements_ns.param("movement_id", **MOVEMENT_ID)
class Movement(Resource):
    @movements_ns.doc(
        security="bearer",
        description="One movement, with `reversed` when a reversal undoes it.",
    )
    @movements_ns.response(200, "The movement", model(MovementSchema))
    @movements_ns.response(404, "No such movement (or not yours to see)")
    @login_required(*MEMBERS)
    def get(self, movement_id: str):
        """Get a movement"""
        store = hirfa().store()
        doc = movements.get(store, current_user(), movement_id)
        return with_etag(dump(MovementSchema, movements.render(store, doc)))


# Balances and the CSV


@ledger_ns.route("/balances")
class Balances(Resource):
    @ledger_ns.doc(
        security="bearer",
        description="Each material's balance at each place of a cooperative, in base units "
        "and as shown in its unit; `negative` when uses ran ahead of transfers, `low` when "
        "the store is below the material's threshold. An artisan sees her own home's.",
        params={**COOPERATIVE, "place": PLACE, "material": MATERIAL_FILTER},
    )
    @ledger_ns.response(200, "The balances", model(BalanceListSchema))
    @login_required(*MEMBERS)
    def get(self):
        """List balances"""
        user = current_user()
        place = movements.own_place(user, _arg("place", PLACE_FORM))
        items = reads.balances(hirfa().db(), _coop(), place=place, material=_arg("material"))
        return dump(BalanceListSchema, {"items": items})


@ledger_ns.route("/ledger.csv")
class LedgerCsv(Resource):
    @ledger_ns.doc(
        security="bearer",
        description="A cooperative's ledger as CSV (UTF-8 with a byte-order mark), one row "
        "per movement, oldest first: date, id, kind, material and its name (in `lang`, "
        "else your language, falling back to French, Arabic, English), places, quantity "
        "in base units and in the material's unit, cost in MAD, supplier, lot, product, "
        "order, what a reversal reverses, whether a movement is reversed, who recorded it.",
        params={
            **COOPERATIVE,
            "lang": choice_param(
                "the language of material names", LOCALES, "ar", empty_is_absent=True
            ),
        },
    )
    @ledger_ns.produces(["text/csv", "application/json"])
    @ledger_ns.response(
        200,
        "The ledger, as an attachment",
        headers={
            "Content-Disposition": {
                "type": "string",
                "description": "attachment; its file name",
                "x-example": 'attachment; filename="ledger-coop-taza-zerbia-20261102.csv"',
            }
        },
    )
    @login_required(*WRITERS)
    def get(self):
        """Download the ledger as CSV"""
        user = current_user()
        asked = language_arg()
        lang = asked or user.locale
        coop = _coop()
        name = export.filename(coop, datetime.now(UTC).strftime("%Y%m%d"))
        return Response(
            export.streamed(hirfa().pool, coop, lang),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

"""The public catalogue and public profiles: no sign-in, public fields only."""

from __future__ import annotations

from flask import request
from flask_restx import Resource
from werkzeug.http import unquote_etag

from schemas.reviews import ArtisanProfileSchema, CatalogPageSchema, CatalogProductSchema
from schemas.taxonomy import CATEGORY_CODES, REGION_CODES

from ..errors import BadRequest
from ..rest import dump, model, namespace
from ..services import catalog, profiles
from ..state import hirfa
from .params import IntParam, bool_arg, bool_param, choice_param

ns = namespace("catalog", "The public catalogue of approved products.")
profiles_ns = namespace("artisans", "Public profiles of artisans.")


MIN_PRICE = IntParam("min_price", "centimes", 0, 10**12, None, 10000)
MAX_PRICE = IntParam("max_price", "centimes", 0, 10**12, None, 900000)
LIMIT = IntParam("limit", "page size", 1, catalog.PAGE_MAX, 24, 24)


def _filters() -> dict:
    args = request.args
    out: dict = {"q": args.get("q", "").strip()[:200] or None}
    for name, allowed in (("category", CATEGORY_CODES), ("region", REGION_CODES)):
        value = args.get(name)
        if value and value not in allowed:
            raise BadRequest(f"Unknown {name} {value!r}.", details={"allowed": sorted(allowed)})
        out[name] = value
    out["cooperative"] = args.get("cooperative")
    out["min_price"] = MIN_PRICE.read()
    out["max_price"] = MAX_PRICE.read()
    out["limit"] = LIMIT.read()
    for name in ("customisable", "available"):
        out[name] = bool_arg(name)
    sort = args.get("sort")
    if sort and sort not in catalog.SORTS:
        raise BadRequest(f"Unknown sort {sort!r}.", details={"allowed": list(catalog.SORTS)})
    out["sort"], out["cursor"] = sort, args.get("cursor")
    return out


@ns.route("")
class Catalog(Resource):
    @ns.doc(
        description=(
            "Approved products, public fields only. Full-text search `q` over titles and "
            "descriptions in Arabic, French and English, with Arabic normalisation (hamza "
            "forms of alef, ta marbuta, alef maqsura, diacritics, the article). Filters, "
            "sorting and a `cursor` for the next page. `ETag`/`If-None-Match` give 304."
        ),
        params={
            "q": {"description": "search words", "example": "زربية"},
            "category": choice_param(
                "category code", sorted(CATEGORY_CODES), "carpets", empty_is_absent=True
            ),
            "region": choice_param(
                "region code", sorted(REGION_CODES), "fes-meknes", empty_is_absent=True
            ),
            "cooperative": {"description": "cooperative id", "example": "coop-taza-zerbia"},
            **MIN_PRICE.doc(),
            **MAX_PRICE.doc(),
            "customisable": bool_param("only products with options"),
            "available": bool_param("in stock or made to order"),
            "sort": choice_param(
                "order of the results", catalog.SORTS, "newest", empty_is_absent=True
            ),
            **LIMIT.doc(),
            "cursor": {"description": "`next` of the previous page", "example": ""},
        },
    )
    @ns.response(200, "A page of the catalogue", model(CatalogPageSchema))
    @ns.response(304, "Not modified")
    def get(self):
        """Browse and search the catalogue"""
        filters = _filters()
        db = hirfa().db()
        catalog.refresh(db)
        tag = catalog.etag(db, filters)
        headers = {"ETag": tag, "Cache-Control": "public, max-age=60"}
        # Weak comparison, any of several tags, or * (RFC 9110 section 13.1.2).
        if request.if_none_match.contains_weak(unquote_etag(tag)[0]):
            return "", 304, headers
        return dump(CatalogPageSchema, catalog.search(db, filters)), 200, headers


@ns.route("/<string:product_id>")
@ns.param("product_id", "The product's id", example="product:9b1c2f")
class CatalogProduct(Resource):
    @ns.doc(description="One approved product, public fields only.")
    @ns.response(200, "The product", model(CatalogProductSchema))
    @ns.response(404, "Not in the catalogue")
    def get(self, product_id: str):
        """Get a catalogue product"""
        db = hirfa().db()
        catalog.refresh(db)
        return dump(CatalogProductSchema, catalog.product(db, product_id))


@profiles_ns.route("/<string:artisan_id>/profile")
@profiles_ns.param("artisan_id", "The artisan's id", example="art_fatima")
class ArtisanProfile(Resource):
    @profiles_ns.doc(
        description="An artisan's public profile: name, cooperative, region, "
        "number of approved products. Never a phone number."
    )
    @profiles_ns.response(200, "The profile", model(ArtisanProfileSchema))
    @profiles_ns.response(404, "No such artisan")
    def get(self, artisan_id: str):
        """An artisan's public profile"""
        db = hirfa().db()
        catalog.refresh(db)
        return dump(ArtisanProfileSchema, profiles.artisan(db, artisan_id))

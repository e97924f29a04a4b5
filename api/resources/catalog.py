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
from .params import int_arg

ns = namespace("catalog", "The public catalogue of approved products.")
profiles_ns = namespace("artisans", "Public profiles of artisans.")


def _filters() -> dict:
    args = request.args
    out: dict = {"q": args.get("q", "").strip()[:200] or None}
    for name, allowed in (("category", CATEGORY_CODES), ("region", REGION_CODES)):
        value = args.get(name)
        if value and value not in allowed:
            raise BadRequest(f"Unknown {name} {value!r}.", details={"allowed": sorted(allowed)})
        out[name] = value
    out["cooperative"] = args.get("cooperative")
    out["min_price"] = int_arg("min_price", None, 0, 10**12)
    out["max_price"] = int_arg("max_price", None, 0, 10**12)
    out["limit"] = int_arg("limit", 24, 1, catalog.PAGE_MAX)
    for name in ("customisable", "available"):
        out[name] = args.get(name, "").lower() in ("1", "true", "yes")
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
            "category": {"description": "category code", "example": "carpets"},
            "region": {"description": "region code", "example": "fes-meknes"},
            "cooperative": {"description": "cooperative id", "example": "coop-taza-zerbia"},
            "min_price": {"description": "centimes", "example": "10000"},
            "max_price": {"description": "centimes", "example": "900000"},
            "customisable": {"description": "only products with options", "example": "true"},
            "available": {"description": "in stock or made to order", "example": "true"},
            "sort": {
                "description": "newest, price_asc, price_desc, relevance",
                "example": "newest",
            },
            "limit": {"description": f"1-{catalog.PAGE_MAX}, default 24", "example": "24"},
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

"""Reference data: craft categories and regions, in Arabic, French and English."""

from __future__ import annotations

from flask_restx import Resource

from schemas.accounts import ReferenceEntrySchema
from schemas.taxonomy import CATEGORIES, REGIONS

from ..rest import dump, model, namespace

ns = namespace("reference", "Craft categories and regions (ar, fr, en).")


@ns.route("/categories")
class Categories(Resource):
    @ns.doc(description="Craft categories with their names in Arabic, French and English.")
    @ns.response(200, "The categories", [model(ReferenceEntrySchema)])
    def get(self):
        """List craft categories"""
        return dump(ReferenceEntrySchema, CATEGORIES, many=True)


@ns.route("/regions")
class Regions(Resource):
    @ns.doc(description="Morocco's 12 regions with their names in Arabic, French and English.")
    @ns.response(200, "The regions", [model(ReferenceEntrySchema)])
    def get(self):
        """List regions"""
        return dump(ReferenceEntrySchema, REGIONS, many=True)

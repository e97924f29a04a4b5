"""The REST API: one flask-restx Namespace per module, added to the Api by ``init_app``."""

from __future__ import annotations

from flask import Flask

from .. import rest
from . import (
    auth,
    bulk_orders,
    catalog,
    compact_sync,
    cooperatives,
    devices,
    directory,
    earnings,
    insights,
    ledger,
    lesson_media,
    media,
    orders,
    photos,
    products,
    reference,
    replication,
    reviews,
    training,
    uploads,
    users,
    visits,
)

# In this order in the Swagger UI and openapi.yaml.
NAMESPACES = [
    auth.ns,
    auth.me_ns,
    bulk_orders.ns,
    catalog.ns,
    catalog.profiles_ns,
    compact_sync.ns,
    cooperatives.ns,
    devices.ns,
    directory.ns,
    earnings.ns,
    insights.ns,
    ledger.materials_ns,
    ledger.movements_ns,
    ledger.ledger_ns,
    lesson_media.ns,
    lesson_media.bundles_ns,
    orders.ns,
    photos.ns,
    products.ns,
    reference.ns,
    replication.ns,
    reviews.ns,
    training.courses_ns,
    training.training_ns,
    uploads.ns,
    users.ns,
    visits.ns,
]


def init_app(app: Flask) -> None:
    rest.add_namespaces(NAMESPACES)
    app.register_blueprint(rest.blueprint)
    # Photo derivatives at /media, outside the REST prefix: immutable, cached by URL.
    app.register_blueprint(media.blueprint)

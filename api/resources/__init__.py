"""One flask-restx Namespace per module; importing this package registers them all."""

from . import (  # noqa: F401
    auth,
    catalog,
    compact_sync,
    cooperatives,
    devices,
    orders,
    photos,
    products,
    reference,
    replication,
    reviews,
    uploads,
    users,
)

"""One flask-restx Namespace per module; importing this package registers them all."""

from . import (  # noqa: F401
    auth,
    catalog,
    cooperatives,
    photos,
    products,
    reference,
    reviews,
    uploads,
    users,
)

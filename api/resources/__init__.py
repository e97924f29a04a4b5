"""One flask-restx Namespace per module; importing this package registers them all."""

from . import auth, cooperatives, photos, products, reference, users  # noqa: F401

"""Server-rendered pages: the public catalogue and product pages, the coordinator review.

Plain HTML with Jinja, no script (api/web/rendering.py). ``init_app`` mounts them.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask

from ..state import of
from . import (
    booking_pages,
    bulk_pages,
    buyer_orders,
    buyer_pages,
    certificate_pages,
    earnings_pages,
    insights_pages,
    inventory_pages,
    pages,
    rendering,
    review_pages,
    seo,
    share_view,
    training_pages,
    wellknown,
)


def init_app(app: Flask) -> None:
    settings = of(app).settings
    if not app.secret_key:
        # Derived, not shared: the Flask session cookie (CSRF token, one-shot messages)
        # must not be signed with the very key that signs the JWTs.
        app.secret_key = hmac.new(
            settings.jwt_signing_key.encode(), b"hirfa-web-session", hashlib.sha256
        ).hexdigest()
    app.config["SESSION_COOKIE_NAME"] = "hirfa_session"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.add_template_global(rendering.t, "t")
    app.add_template_global(rendering.lang_url, "lang_url")
    # Each app gets its own parent blueprint: the page blueprints nest in it, so its
    # hooks (language, Vary) and the review's token cookies apply to every page.
    web = rendering.web_blueprint()
    web.register_blueprint(pages.blueprint)
    web.register_blueprint(review_pages.blueprint)
    web.register_blueprint(inventory_pages.blueprint)
    web.register_blueprint(insights_pages.blueprint)
    web.register_blueprint(training_pages.blueprint)
    web.register_blueprint(bulk_pages.blueprint)
    web.register_blueprint(earnings_pages.blueprint)
    web.register_blueprint(certificate_pages.blueprint)
    web.register_blueprint(buyer_pages.blueprint)
    web.register_blueprint(buyer_orders.blueprint)
    web.register_blueprint(booking_pages.blueprint)
    web.register_blueprint(share_view.blueprint)
    web.after_request(review_pages.token_cookies)
    web.after_request(buyer_pages.token_cookies)
    app.register_blueprint(web)
    # The keys, the revocation list and credential files: the same in every language.
    app.register_blueprint(wellknown.blueprint)
    # /sitemap.xml and /robots.txt: one answer for every language.
    app.register_blueprint(seo.blueprint)
    app.register_blueprint(share_view.images)

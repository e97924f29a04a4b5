"""How every page is rendered: the language chosen, the stylesheet, the templates.

Plain HTML with Jinja, no script: a shared WhatsApp link must show something useful on
a low-end phone over EDGE, so every page stays under 50 KB before its images.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlencode

from flask import Blueprint, Response, g, render_template, request

from . import i18n

CSS_PATH = Path(__file__).parent / "static" / "hirfa.css"
CSS = CSS_PATH.read_text(encoding="utf-8")
CSS_VERSION = hashlib.sha256(CSS.encode()).hexdigest()[:12]
IMMUTABLE = "public, max-age=31536000, immutable"


def _language() -> None:
    g.lang, g.remember_lang = i18n.choose(request)


def _remember_language(response: Response) -> Response:
    if g.get("remember_lang"):
        response.set_cookie(i18n.COOKIE, g.lang, max_age=365 * 86400, samesite="Lax", httponly=True)
    if request.endpoint == "web.stylesheet":
        return response
    # The same URL renders in three languages: caches must key on what chose it.
    response.vary.add("Cookie")
    response.vary.add("Accept-Language")
    return response


def t(key: str, **values) -> str:
    return i18n.text(g.lang, key, **values)


def lang_url(code: str) -> str:
    """This page in another language, keeping its other query parameters."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode([*args, ("lang", code)])


def render(template: str, status: int = 200, **context) -> Response:
    lang = g.lang
    html = render_template(
        template,
        lang=lang,
        dir="rtl" if lang in i18n.RTL else "ltr",
        langs=i18n.LANG_NAMES,
        css=CSS,
        pick=lambda localised: i18n.pick(localised, lang),
        price=lambda centimes, signed=False: i18n.price(centimes, lang, signed),
        category=lambda code: i18n.category(code, lang),
        region=lambda code: i18n.region(code, lang),
        **context,
    )
    return Response(html, status=status, mimetype="text/html")


def error_page(
    status: int, title_key: str, text_key: str | None = None, back: str = "/catalog"
) -> Response:
    back_key = "review" if back.startswith("/review") else "back"
    if back.startswith("/buy"):
        back_key = "my_orders"
    return render(
        "error.html",
        status=status,
        title_key=title_key,
        text_key=text_key,
        back=back,
        back_key=back_key,
    )


def stylesheet() -> Response:
    """The same CSS the pages inline, for clients that prefer a cached file."""
    response = Response(CSS, mimetype="text/css")
    if request.args.get("v") == CSS_VERSION:
        response.headers["Cache-Control"] = IMMUTABLE
    else:
        response.headers["Cache-Control"] = "public, max-age=3600"
    response.set_etag(CSS_VERSION)
    return response.make_conditional(request)


def css_url() -> str:
    return f"/static/web/hirfa.css?v={CSS_VERSION}"


def page_blueprint(name: str) -> Blueprint:
    """A blueprint of pages, rendered from api/web/templates."""
    return Blueprint(name, __name__, template_folder="templates")


def web_blueprint() -> Blueprint:
    """The parent of every page blueprint, one per app: its hooks (the language, Vary)
    apply to all the pages nested in it."""
    web = page_blueprint("web")
    web.before_request(_language)
    web.after_request(_remember_language)
    web.add_url_rule("/static/web/hirfa.css", view_func=stylesheet, methods=["GET"])
    return web

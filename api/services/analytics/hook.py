"""The pages' side of counting: after a public page is served, record the view.

Registered as an ``after_request`` of the pages' blueprint (api/web/pages.py). No store
access: the request's path, query, referrer, address and user agent go to the view
counter's buffer (``counter.py``), the address only as part of the visitor's hash. Only
a GET answered 200 or 304 counts, and only the first page of a paged list (a
``cursor`` is the same visit going on). Nothing a client sends can make it fail the
request: every value is bounded, and any error is logged and the response returned.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Response, request

from ...state import hirfa
from . import sources

log = logging.getLogger("hirfa.analytics")

# The view functions of api/web/pages.py, by the kind of page they serve.
KINDS = {"product_page": "product", "cooperative_page": "cooperative", "catalogue": "catalog"}


def count_view(response: Response) -> Response:
    try:
        _count(response)
    except Exception:  # counting must never cost a visitor the page
        log.exception("counting a view of %s", request.path[:200])
    return response


def _target(kind: str, view_args: dict) -> str:
    if kind == "product":
        product_id = str(view_args.get("product_id") or "")
        # /p/9b1c2f is /p/product:9b1c2f (pages._find): one target for both.
        return product_id if ":" in product_id else f"product:{product_id}"
    if kind == "cooperative":
        return str(view_args.get("cooperative_id") or "")
    return ""


def _count(response: Response) -> None:
    state = hirfa()
    counter = state.view_counter
    req = request._get_current_object()  # type: ignore[attr-defined]
    if not counter.enabled or req.method != "GET" or response.status_code not in (200, 304):
        return
    kind = KINDS.get((req.endpoint or "").rsplit(".", 1)[-1])
    args = req.args
    if kind is None or "cursor" in args:
        return
    headers = req.headers
    # 304 answers If-None-Match: "*" too, whatever the id; no browser sends that.
    if response.status_code == 304 and headers.get("If-None-Match", "").strip() == "*":
        return
    own = [req.host.rsplit(":", 1)[0].strip("[]")[:255]]
    if state.settings.public_url:
        own.append(urlsplit(state.settings.public_url).hostname or "")
    counter.record(
        kind,
        _target(kind, req.view_args or {}),
        source=sources.source_of(
            args["via"] if "via" in args else None,
            args["utm_source"] if "utm_source" in args else None,
            headers.get("Referer"),
            own,
        ),
        address=req.remote_addr,
        user_agent=headers.get("User-Agent"),
    )

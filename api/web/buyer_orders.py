"""Ordering on the web: the order form of a piece, her orders and their progress.

Orders go through the very services of ``POST /api/v1/orders`` and ``POST
/api/v1/orders/{id}/moves``: the server prices them, the artisan's phone gets them by
sync and a push. Each render of the order form carries its own idempotency token, so a
double click or a resent form places one order. The sign-in is api/web/buyer_pages.py.
"""

from __future__ import annotations

import re
import secrets

from flask import g, redirect, request, session
from marshmallow import ValidationError

from schemas.orders import OrderCreateSchema

from ..errors import AppError, NotFound, ValidationFailed
from ..services import catalog, idempotency, orders
from ..services.accounts import User
from ..state import hirfa
from . import buyer_text, i18n
from .buyer_pages import ORDERS, PATH, flash, signed_in_buyer
from .rendering import error_page, page_blueprint, render
from .web_sessions import csrf_ok, csrf_token

blueprint = page_blueprint("buy_orders")

MAX_QUANTITY = 100  # schemas/orders.py's bound
# Order history shown on /buy/orders: a buyer's whole list, newest first, up to this.
LIST_LIMIT = 200


# --- the order form -----------------------------------------------------------------


def _product(product_id: str) -> tuple[dict | None, dict | None]:
    """(the public listing, the stored document) of an approved product, or Nones."""
    db = hirfa().db()
    catalog.refresh(db)  # the index follows the store lazily, as on /p/{id}
    ids = (product_id,) if ":" in product_id else (f"product:{product_id}",)
    for candidate in ids:
        try:
            item = catalog.product(db, candidate)
        except NotFound:
            continue
        doc = hirfa().store().winner_body(candidate)
        if doc and doc.get("status") == "approved":
            return item, {**doc, "_id": candidate}
    return None, None


def _stock_left(doc: dict) -> int | None:
    stock = doc.get("stock") or {}
    return stock.get("quantity") or 0 if stock.get("mode") == "in_stock" else None


def _order_form(item: dict, doc: dict, status: int = 200, errors=None, values=None, key=None):
    left = _stock_left(doc)
    values = values or {}
    return render(
        "buy_product.html",
        status=status,
        p=item,
        errors=errors or {},
        v=values,
        chosen=values.get("options") or {},
        delivery=values.get("delivery") or {"country": "MA"},
        left=left,
        max_quantity=min(MAX_QUANTITY, left) if left is not None else MAX_QUANTITY,
        key=key or secrets.token_urlsafe(18),
        csrf=csrf_token(),
        action=f"{PATH}/p/{doc['_id']}",
        user=g.web_user,
    )


@blueprint.get(f"{PATH}/p/<string:product_id>")
def order_page(product_id: str):
    item, doc = _product(product_id)
    if item is None:
        return error_page(404, "not_found", "not_found_text")
    user, refused = signed_in_buyer()
    if user is None:
        return refused
    return _order_form(item, doc, values={"delivery": {"name": user.display_name, "country": "MA"}})


DELIVERY_FIELDS = ("name", "phone", "address", "city", "postal_code", "country")


def _read_order(doc: dict) -> tuple[dict, dict[str, str]]:
    """The form as OrderCreateSchema's body, and the field errors found before the service."""
    form, errors = request.form, {}
    options = {name[4:][:40]: value[:40] for name, value in form.items() if name.startswith("opt_")}
    delivery = {name: form.get(f"d_{name}", "").strip()[:400] for name in DELIVERY_FIELDS}
    delivery["country"] = delivery["country"].upper()
    if not delivery["postal_code"]:
        del delivery["postal_code"]
    raw = form.get("quantity", "").strip()
    quantity = int(raw) if re.fullmatch(r"[0-9]{1,4}", raw) else 0
    data = {
        "product_id": doc["_id"],
        "quantity": quantity,
        "options": options,
        "delivery": delivery,
        "message": form.get("message", "").strip()[:2000],
    }
    for code in {o["code"] for o in doc.get("options") or []} - set(options):
        errors[f"opt_{code}"] = "err_choose"
    try:
        loaded = OrderCreateSchema().load(data)
    except ValidationError as exc:
        messages = exc.messages
        if "quantity" in messages:
            errors["quantity"] = "err_quantity"
        if "message" in messages:
            errors["message"] = "err_too_long"
        for name in messages.get("delivery") or {}:
            given = delivery.get(name)
            errors[f"d_{name}"] = (
                "err_required"
                if not given
                else {"phone": "err_phone", "country": "err_country"}.get(name, "err_too_long")
            )
        if set(messages) - {"quantity", "message", "delivery"}:
            errors["_form"] = "bad_request"
        return data, errors
    return loaded, errors


@blueprint.post(f"{PATH}/p/<string:product_id>")
def place(product_id: str):
    if not csrf_ok():
        return error_page(400, "form_expired", back=f"{PATH}/p/{product_id}")
    user, refused = signed_in_buyer()
    if user is None:
        return refused
    item, doc = _product(product_id)
    if item is None:
        stored = hirfa().store().winner_body(product_id) if ":" in product_id else None
        if stored and stored.get("type") == "product":  # exists, not orderable now
            return error_page(409, "not_orderable", "not_orderable_text")
        return error_page(404, "not_found", "not_found_text")
    key = request.form.get("key", "").strip()[:100]
    if not key:  # every form carries one: without it a resend could order twice
        return error_page(400, "form_expired", back=f"{PATH}/p/{doc['_id']}")
    data, errors = _read_order(doc)
    max_quantity = _stock_left(doc)
    if max_quantity is not None and "quantity" not in errors and data["quantity"] > max_quantity:
        errors["quantity"] = "err_stock"
    if errors:
        return _order_form(item, doc, 400, errors, data, key)
    app = hirfa()
    store = app.store()

    def run():
        return {"id": orders.create(store, user, data)["_id"]}, 201

    try:
        body, _ = idempotency.once(
            app.db(), user.id, f"web:{key}", ("POST", request.path, data), run
        )
    except idempotency.IdempotencyKeyReused:  # the same form sent again, changed: a new one
        return _order_form(item, doc, 400, {"_form": "form_expired"}, data)
    except orders.NotOrderable as exc:
        if "available" in (exc.details or {}):
            return _order_form(item, doc, 409, {"quantity": "err_stock"}, data, key)
        return error_page(409, "not_orderable", "not_orderable_text")
    except NotFound:
        return error_page(404, "not_found", "not_found_text")
    except ValidationFailed as exc:  # an option or a choice the product does not have
        refused = ((exc.details or {}).get("fields") or {}).get("options") or {}
        offered = {o["code"] for o in doc.get("options") or []}
        errors = {f"opt_{code}": "err_choose" for code in refused if code in offered}
        if set(refused) - offered:
            errors["_form"] = "bad_request"
        return _order_form(item, doc, 400, errors or {"_form": "bad_request"}, data, key)
    session["flash"] = {"kind": "ok", "key": "done_placed"}
    return redirect(f"{ORDERS}/{body['id']}", 303)


# --- her orders ---------------------------------------------------------------------


def _all_orders(user: User) -> list[dict]:
    store, since, found = hirfa().store(), 0, []
    while len(found) < LIST_LIMIT:
        page = orders.list_orders(store, user, since, 100, None)
        found += page["items"]
        if not page["more"]:
            break
        since = int(page["next"])
    mine = [o for o in found if o.get("buyer") == user.id]
    return sorted(mine, key=lambda o: o.get("created_at") or "", reverse=True)[:LIST_LIMIT]


@blueprint.get(ORDERS)
def orders_page():
    user, refused = signed_in_buyer()
    if user is None:
        return refused
    return render(
        "buy_orders.html",
        user=user,
        items=_all_orders(user),
        flash=flash(),
        csrf=csrf_token(),
        lang_date=lambda value: i18n.date(value, g.lang),
    )


def _steps(order: dict) -> list[dict]:
    """The order's steps so far with their dates, then the ones still to come."""
    done = [
        {"status": s["status"], "date": i18n.date(s.get("at"), g.lang), "done": True, "by": s}
        for s in order.get("history") or []
    ]
    if order["status"] in buyer_text.STATUSES:
        seen = {s["status"] for s in done}
        rest = buyer_text.STATUSES[buyer_text.STATUSES.index(order["status"]) + 1 :]
        if order.get("stock_mode") != "made_to_order":
            rest = tuple(s for s in rest if s != "in_production")
        done += [{"status": s, "done": False} for s in rest if s not in seen]
    return done


def _own_order(user: User, order_id: str) -> dict | None:
    try:
        doc = orders.get(hirfa().store(), user, order_id)
    except AppError:
        return None
    return doc if doc.get("buyer") == user.id else None


@blueprint.get(f"{ORDERS}/<string:order_id>")
def order_detail(order_id: str):
    user, refused = signed_in_buyer()
    if user is None:
        return refused
    doc = _own_order(user, order_id)
    if doc is None:
        return error_page(404, "order_not_found", "order_not_found_text", back=ORDERS)
    order = orders.render(user, doc)
    return render(
        "buy_order.html",
        o=order,
        steps=_steps(order),
        flash=flash(),
        csrf=csrf_token(),
        user=user,
        labels=_option_labels(order["product_id"]),
    )


def _option_labels(product_id: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{option code: (its label, {choice code: its label})} in the page's language."""
    product = hirfa().store().winner_body(product_id) or {}
    return {
        o["code"]: (
            i18n.pick(o.get("label"), g.lang)[0] or o["code"],
            {c["code"]: i18n.pick(c.get("label"), g.lang)[0] or c["code"] for c in o["choices"]},
        )
        for o in product.get("options") or []
    }


@blueprint.post(f"{ORDERS}/<string:order_id>/cancel")
def cancel(order_id: str):
    if not csrf_ok():
        return error_page(400, "form_expired", back=ORDERS)
    user, refused = signed_in_buyer()
    if user is None:
        return refused
    if _own_order(user, order_id) is None:
        return error_page(404, "order_not_found", "order_not_found_text", back=ORDERS)
    try:  # the move of POST /api/v1/orders/{id}/moves, on the order as it is now
        orders.move(hirfa().store(), user, order_id, "cancelled", None)
        session["flash"] = {"kind": "ok", "key": "done_cancelled"}
    except AppError:
        session["flash"] = {"kind": "error", "key": "cannot_cancel"}
    return redirect(f"{ORDERS}/{order_id}", 303)

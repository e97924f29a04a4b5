"""What a piece's materials cost, from its bill of materials and what the cooperative paid
for them, and the use movements an accepted order proposes to the artisan.

Costs are exact: a material's average cost is a ratio of two integers (centimes paid over
base units received, the ``material_costs`` table), so a line costs quantity x paid /
received as a fraction, and the total is rounded to whole centimes (half to even) once,
at the end. Nothing here writes: the artisan confirms the proposed movements on her
phone, which records them.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sqlite_utils

from schemas.ledger import artisan_place, shown
from sync.store.documents import DocumentStore

from ..push.messages import choose_locale
from . import reads

CURRENCY = {"ar": "درهم", "fr": "MAD", "en": "MAD"}

# What the artisan reads, in the feminine in Arabic like the notifications. {cost} and
# {price} are amounts from ``mad``; {unknown} the materials never bought, by name.
MESSAGES: dict[str, dict[str, str]] = {
    "ar": {
        "cost": "تكلفة مواد هذه القطعة {cost}",
        "at_least": "تكلفة مواد هذه القطعة {cost} على الأقل (لا نعرف ثمن شراء: {unknown})",
        "price": "{cost}؛ ثمنك {price}.",
        "no_price": "{cost}؛ لم تحددي ثمنها بعد.",
        "no_bill": "لم تُسجَّل مواد هذه القطعة بعد.",
        "list_sep": "، ",
    },
    "fr": {
        "cost": "Les matières de cette pièce coûtent {cost}",
        "at_least": "Les matières de cette pièce coûtent au moins {cost} "
        "(prix d'achat inconnu : {unknown})",
        "price": "{cost} ; vous demandez {price}.",
        "no_price": "{cost} ; vous n'avez pas encore fixé de prix.",
        "no_bill": "Les matières de cette pièce ne sont pas encore renseignées.",
        "list_sep": ", ",
    },
    "en": {
        "cost": "The materials of this piece cost {cost}",
        "at_least": "The materials of this piece cost at least {cost} "
        "(no purchase price for: {unknown})",
        "price": "{cost}; you ask {price}.",
        "no_price": "{cost}; you have not set a price yet.",
        "no_bill": "The materials of this piece are not recorded yet.",
        "list_sep": ", ",
    },
}


def mad(centimes: int, lang: str) -> str:
    """Dirhams from integer centimes, no float: 38000 -> "380 MAD", 38050 -> "380,50 MAD"
    in French, "380.50 MAD" in English, "380,50 درهم" in Arabic. French groups thousands
    with a narrow no-break space and English with a comma; Arabic does not group, since a
    space inside a number lets the bidi algorithm split it in a right-to-left line."""
    whole, cents = divmod(abs(centimes), 100)
    if lang == "en":
        amount = f"{whole:,}"
    elif lang == "fr":
        amount = f"{whole:,}".replace(",", "\u202f")
    else:
        amount = str(whole)
    if cents:
        amount += ("." if lang == "en" else ",") + f"{cents:02d}"
    sign = "-" if centimes < 0 else ""
    return f"{sign}{amount} {CURRENCY.get(lang, 'MAD')}"


def _localised(name: dict[str, str] | None, lang: str) -> str:
    name = name or {}
    return next((name[code] for code in (lang, "ar", "fr", "en") if name.get(code)), "")


def average_cost(db: sqlite_utils.Database, material_id: str) -> Fraction | None:
    """Centimes per base unit, exactly: what its receipts cost over what they brought
    (None: never bought). The same figure as ``average_cost_centimes`` in reads.py,
    without the float."""
    row = db.execute(
        "SELECT received, cost_centimes FROM material_costs WHERE material = ?", [material_id]
    ).fetchone()
    if row is None or not row[0] or row[0] <= 0 or row[1] is None:
        return None
    return Fraction(row[1], row[0])


def _line(
    db: sqlite_utils.Database, material_id: str, quantity: int
) -> tuple[dict, Fraction | None]:
    found = reads.material(db, material_id)
    unit = found["unit"] if found else None
    average = average_cost(db, material_id)
    exact = average * quantity if average is not None else None
    return {
        "material": material_id,
        "name": found["name"] if found else {},
        "quantity": quantity,
        "unit": unit,
        "shown": shown(quantity, unit) if unit else str(quantity),
        "average_cost_centimes": found["average_cost_centimes"] if found else None,
        "cost_centimes": round(exact) if exact is not None else None,
    }, exact


def materials_cost(db: sqlite_utils.Database, product: dict[str, Any], locale: str) -> dict:
    """A piece's materials cost: a line per entry of its bill of materials (its cost in
    whole centimes, None for a material never bought), the total rounded once from the
    exact sum, and whether it is complete (every material bought; an empty bill is not
    a cost of zero, so it is incomplete too)."""
    lang = choose_locale(locale)
    lines, total, unknown = [], Fraction(0), []
    for entry in product.get("bill_of_materials") or []:
        line, exact = _line(db, entry["material"], entry["quantity"])
        lines.append(line)
        if exact is None:
            unknown.append(_localised(line["name"], lang) or line["material"])
        else:
            total += exact
    total_centimes = round(total)
    price = product.get("price_centimes")
    return {
        "product_id": product["_id"],
        "lines": lines,
        "total_centimes": total_centimes,
        "complete": bool(lines) and not unknown,
        "price_centimes": price,
        "currency": "MAD",
        "message": _message(lang, lines, total_centimes, unknown, price),
    }


def _message(lang: str, lines: list, total: int, unknown: list[str], price: int | None) -> str:
    words = MESSAGES[lang]
    if not lines:
        return words["no_bill"]
    cost = mad(total, lang)
    if unknown:
        unknown_names = words["list_sep"].join(dict.fromkeys(unknown))
        said = words["at_least"].format(cost=cost, unknown=unknown_names)
    else:
        said = words["cost"].format(cost=cost)
    if price is None:
        return words["no_price"].format(cost=said)
    return words["price"].format(cost=said, price=mad(price, lang))


def ordered_product(store: DocumentStore, order: dict[str, Any]) -> dict[str, Any]:
    """The product as it was ordered (its revision at placement), else as it is now."""
    product_id, rev = order.get("product_id"), order.get("product_rev")
    if not product_id:
        return {}
    body = store.body(product_id, rev) if rev else None
    return body or store.winner_body(product_id) or {}


def use_id(order_id: str, material_id: str) -> str:
    """One use per order and material (``use:<order>:<material code>``, within the 100
    characters of an id): confirmed twice (two phones, a retry), it is one document, not
    twice the wool."""
    return f"use:{order_id.removeprefix('order:')}:{material_id.rpartition(':')[2]}"


def material_uses(store: DocumentStore, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The use movements an order of ``quantity`` pieces proposes: per material of the
    ordered product's bill (entries naming the same material added up), the bill's
    quantity times the pieces, from the artisan's home. Each ``movement`` is a body for
    POST /movements as it is (the server fills ``owner`` and the rest); through /sync
    the phone records it under its ``id`` with ``type`` and ``owner`` added."""
    product = ordered_product(store, order)
    per_piece: dict[str, int] = {}
    for entry in product.get("bill_of_materials") or []:
        per_piece[entry["material"]] = per_piece.get(entry["material"], 0) + entry["quantity"]
    pieces = int(order.get("quantity") or 1)
    proposals = []
    for material_id, quantity in per_piece.items():
        found = reads.material(store.db, material_id)
        total = quantity * pieces
        proposals.append(
            {
                "movement": {
                    "id": use_id(order["_id"], material_id),
                    "cooperative": order["cooperative"],
                    "kind": "use",
                    "material": material_id,
                    "quantity": total,
                    "from": artisan_place(order["artisan"]),
                    "order_id": order["_id"],
                    "product_id": order["product_id"],
                },
                "name": found["name"] if found else {},
                "unit": found["unit"] if found else None,
                "shown": shown(total, found["unit"]) if found else str(total),
            }
        )
    return proposals

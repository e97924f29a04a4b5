"""The coordinator's raw-materials page: what is running low, who holds what, and the
latest movements in plain words, for one of her cooperatives (docs/ledger.md).

It lives under /review, behind the review page's sign-in: the session cookies are scoped
to that path (api/web/review_pages.py), so a page elsewhere would never receive them.
``/inventory`` only points there. Read-only: movements are recorded from the phones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, g, redirect, request
from markupsafe import Markup

from schemas.ledger import STORE, place_artisan, shown

from ..services.ledger import export, reads
from ..state import hirfa
from . import i18n
from .coordinator_guard import coordinator_and_cooperative, coordinator_or_answer, her_cooperatives
from .display_names import cooperative_name, user_names
from .rendering import error_page, page_blueprint, render
from .review_pages import COOKIE_PATH, csrf_token

blueprint = page_blueprint("inventory")

PATH = f"{COOKIE_PATH}/inventory"
# Thirty movements keep the page well under 50 KB; older ones are a link away.
MOVEMENTS_PAGE = 30
# The ledger as CSV, with the page's sign-in (the REST API's is GET /api/v1/ledger.csv).
CSV_PATH = f"{PATH}/ledger.csv"


@blueprint.get("/inventory")
def inventory_short():
    """The address a coordinator types; the page itself is where the sign-in cookies go."""
    query = request.query_string.decode("latin-1")
    return redirect(f"{PATH}?{query}" if query else PATH, 302)


@blueprint.get(PATH)
def inventory_page():
    found = coordinator_and_cooperative(PATH)
    if isinstance(found, Response):
        return found
    user, coops, coop = found
    db = hirfa().db()
    before = request.args.get("before", "")
    # ASCII digits only ("²".isdigit() is true), and a bound SQLite's integers can take.
    cursor = int(before) if re.fullmatch(r"[0-9]{1,18}", before) else None
    lang = g.lang
    person_name = user_names(db)
    units = {m["id"]: m for m in reads.materials(db, coop["id"], archived=True)}
    balances = reads.balances(db, coop["id"])
    moves, next_cursor = reads.movements(db, coop["id"], before=cursor, limit=MOVEMENTS_PAGE)
    here = {"cooperative": coop["id"]}
    return render(
        "inventory.html",
        user=user,
        coops=[(c["id"], cooperative_name(c, lang)) for c in coops],
        coop=coop,
        coop_name=cooperative_name(coop, lang),
        low=_low(balances, units, lang),
        places=_places(balances, person_name, lang),
        negative=any(b["negative"] for b in balances),
        movements=[_movement(m, units, person_name, lang) for m in moves],
        older_url=f"{PATH}?{urlencode({**here, 'before': next_cursor})}" if next_cursor else None,
        latest_url=f"{PATH}?{urlencode(here)}" if cursor is not None else None,
        csv_url=f"{CSV_PATH}?{urlencode(here)}",
        csrf=csrf_token(),
    )


@blueprint.get(CSV_PATH)
def inventory_csv():
    """The same CSV as the REST API's, in the page's language, for a browser signed in
    on the page (its cookies never reach /api/v1)."""
    user, refused = coordinator_or_answer(PATH)
    if user is None:
        return refused
    coops = {c["id"] for c in her_cooperatives(user)}
    coop = request.args.get("cooperative")
    if coop not in coops:
        return error_page(403, "not_your_cooperative", back=PATH)
    name = export.filename(coop, datetime.now(UTC).strftime("%Y%m%d"))
    return Response(
        export.streamed(hirfa().pool, coop, g.lang),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def quantity(amount: int, unit: str | None, lang: str) -> Markup:
    """A base-unit quantity in the material's unit, in the page's language: 3500 g of
    wool counted in kg is "3.5 kg", "3,5 kg" or "3.5 كغ". The number is isolated
    left-to-right, or an Arabic line shows "-3.5" as "3.5-"."""
    if not unit:
        return Markup('<bdi dir="ltr">{}</bdi>').format(amount)
    number = shown(amount, unit).rsplit(" ", 1)[0]
    if lang == "fr":
        number = number.replace(".", ",")
    words = i18n.STRINGS[lang]
    label = words.get(f"unit_{unit}") or unit
    if abs(amount) > 1 and f"unit_{unit}_pl" in words:  # only counted units have plurals
        label = words[f"unit_{unit}_pl"]
    return Markup('<bdi dir="ltr">{}</bdi>\u00a0{}').format(number, label)


def _material_name(material: dict[str, Any] | None, fallback: str, lang: str) -> Markup:
    text, text_lang = i18n.pick((material or {}).get("name"), lang)
    return Markup('<b lang="{}" dir="auto">{}</b>').format(text_lang, text or fallback)


def _person(name: str) -> Markup:
    return Markup("<bdi>{}</bdi>").format(name)


def _low(balances: list[dict], units: dict[str, dict], lang: str) -> list[dict[str, Any]]:
    low = []
    for row in balances:
        if not row["low"]:
            continue
        material = units.get(row["material"]) or {}
        threshold = material.get("low_stock") or 0
        low.append(
            {
                "material": row["material"],
                "name": _material_name(material or row, row["material"], lang),
                "line": Markup(i18n.text(lang, "inv_low_line")).format(
                    qty=quantity(row["quantity"], row["unit"], lang),
                    threshold=quantity(threshold, row["unit"], lang),
                ),
            }
        )
    return low


def _places(
    balances: list[dict], person_name: Callable[[str], str], lang: str
) -> list[dict[str, Any]]:
    """The store first, then each artisan by name; an artisan's empty balances left out."""
    places: dict[str, dict[str, Any]] = {}
    for row in balances:
        artisan = place_artisan(row["place"])
        if artisan is not None and row["quantity"] == 0:
            continue
        if row["place"] not in places:
            name = i18n.text(lang, "inv_store") if artisan is None else person_name(artisan)
            places[row["place"]] = {"place": row["place"], "name": name, "rows": []}
        places[row["place"]]["rows"].append(
            {
                **row,
                "label": _material_name(row, row["material"], lang),
                "sort": i18n.pick(row["name"], lang)[0].casefold(),
                "amount": quantity(row["quantity"], row["unit"], lang),
            }
        )
    for place in places.values():
        place["rows"].sort(key=lambda r: (not r["low"], r["sort"]))
    return sorted(
        places.values(), key=lambda p: (p["place"] != STORE, p["name"].casefold(), p["place"])
    )


def _movement(
    move: dict[str, Any], units: dict[str, dict], person_name: Callable[[str], str], lang: str
) -> dict[str, Any]:
    """A movement for the list: its material, what happened in words, when and by whom."""
    kind = move.get("kind")
    details = []
    if move.get("occurred_at"):
        when = move["occurred_at"][:16].replace("T", " ")
        details.append(Markup('<bdi dir="ltr">{}</bdi>').format(when))
    if move.get("owner"):
        recorder = _person(person_name(move["owner"]))
        details.append(Markup(i18n.text(lang, "inv_recorded_by")).format(name=recorder))
    if kind == "receive" and move.get("cost_centimes") is not None:
        cost = i18n.price(move["cost_centimes"], lang)
        details.append(Markup(i18n.text(lang, "inv_cost")).format(price=cost))
    named = kind not in ("batch", "reversal")  # a batch names its own, a reversal none
    material = units.get(move.get("material") or "")
    return {
        "id": move["id"],
        "kind": kind,
        "material": _material_name(material, move.get("material", ""), lang) if named else None,
        "text": _sentence(move, units, person_name, lang),
        "details": Markup(" · ").join(details),
        "note": move.get("note"),
        "reversed": move.get("reversed", False),
    }


def _sentence(
    move: dict[str, Any], units: dict[str, dict], person_name: Callable[[str], str], lang: str
) -> Markup:
    """What happened, in the page's language: one sentence per kind and kind of place
    (the store, or an artisan by name), e.g. "Fatima received 8 kg from the store"."""
    kind = move.get("kind")

    def at(name: str) -> tuple[str, Markup]:
        artisan = place_artisan(move.get(name) or STORE)
        if artisan is None:
            return "store", Markup()
        return "artisan", _person(person_name(artisan))

    def qty(amount: int, material_id: str | None = None) -> Markup:
        material = units.get(material_id or move.get("material") or "") or {}
        return quantity(amount, material.get("unit"), lang)

    def listed(entries: list[dict]) -> Markup:
        return Markup("، " if lang in i18n.RTL else ", ").join(
            Markup("{} {}").format(
                qty(e["quantity"], e["material"]),
                _material_name(units.get(e["material"]), e["material"], lang),
            )
            for e in entries
        )

    key, values = "mv_reversal", {}
    if kind == "receive":
        where, name = at("to")
        key, values = f"mv_receive_{where}", {"to": name, "qty": qty(move["quantity"])}
    elif kind == "transfer":
        (source, giver), (dest, taker) = at("from"), at("to")
        direction = "back" if dest == "store" else "out" if source == "store" else "between"
        key = f"mv_transfer_{direction}"
        values = {"from": giver, "to": taker, "qty": qty(move["quantity"])}
    elif kind in ("use", "waste"):
        where, name = at("from")
        key, values = f"mv_{kind}_{where}", {"from": name, "qty": qty(move["quantity"])}
    elif kind == "count":
        where, name = at("at")
        key = f"mv_count_{where}"
        values = {"at": name, "counted": qty(move["counted"]), "expected": qty(move["expected"])}
    elif kind == "batch":
        where, name = at("at")
        key = f"mv_batch_{where}"
        values = {
            "at": name,
            "lot": Markup('<bdi dir="ltr">{}</bdi>').format(move.get("lot", "")),
            "inputs": listed(move.get("inputs") or []),
            "outputs": listed(move.get("outputs") or []),
        }
    text = Markup(i18n.text(lang, key)).format(**values)
    if kind == "receive" and move.get("supplier"):
        supplier = Markup("<bdi>{}</bdi>").format(move["supplier"])
        text += Markup(" ") + Markup(i18n.text(lang, "mv_supplier")).format(supplier=supplier)
    return text

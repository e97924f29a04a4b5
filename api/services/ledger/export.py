"""A cooperative's ledger as CSV, one row per movement, oldest first: what a coordinator
hands the accountant or opens in a spreadsheet.

UTF-8 with a byte-order mark (Excel then reads Arabic names as Arabic), quantities both
in base units and in the material's unit, costs in dirhams as exact decimals. Written as
a generator over pages of the ledger's table, so a long ledger is never held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from schemas.ledger import shown
from schemas.taxonomy import LOCALES

from ..spreadsheet import DisplayNames, csv_lines, mad, on_own_connection, spreadsheet_text

PAGE = 500
COLUMNS = (
    "date",
    "id",
    "kind",
    "material_id",
    "material_name",
    "from",
    "to",
    "at",
    "quantity",
    "quantity_shown",
    "counted",
    "expected",
    "cost_mad",
    "supplier",
    "lot",
    "product_id",
    "order_id",
    "reverses",
    "reversed",
    "recorded_by",
    "recorded_by_name",
    "note",
)


def name_in(name: dict[str, Any], lang: str) -> str:
    """A material's name in ``lang``, else French, Arabic, English: whichever it has."""
    for candidate in (lang, "fr", "ar", "en"):
        if name.get(candidate):
            return name[candidate]
    return ""


def filename(cooperative: str, today: str) -> str:
    return f"ledger-{cooperative}-{today}.csv"


def streamed(pool: Any, cooperative: str, lang: str) -> Iterator[str]:
    return on_own_connection(pool, lambda db: rows(db, cooperative, lang))


def rows(db: sqlite_utils.Database, cooperative: str, lang: str) -> Iterator[str]:
    """The CSV, header first, a page of movements at a time (oldest first)."""
    lang = lang if lang in LOCALES else "fr"
    materials = {
        m_id: (json.loads(name), unit)
        for m_id, name, unit in db.execute(
            "SELECT id, name, unit FROM materials WHERE cooperative = ?", [cooperative]
        ).fetchall()
    }
    return csv_lines(COLUMNS, _pages(db, cooperative, lang, materials))


def _pages(
    db: sqlite_utils.Database, cooperative: str, lang: str, materials: dict
) -> Iterator[list[list]]:
    people = DisplayNames(db)
    after = 0
    while page := db.execute(
        "SELECT seq, id, body, active FROM ledger_movements "
        "WHERE cooperative = ? AND seq > ? ORDER BY seq LIMIT ?",
        [cooperative, after, PAGE],
    ).fetchall():
        after = page[-1][0]
        out = []
        for _, doc_id, raw, active in page:
            body = json.loads(raw)
            recorder = people(body.get("owner") or "")
            out.append(_row(doc_id, body, bool(active), materials, lang, recorder))
        yield out


def _row(
    doc_id: str,
    body: dict[str, Any],
    active: bool,
    materials: dict[str, tuple[dict, str]],
    lang: str,
    recorder: str,
) -> list[Any]:
    kind = body.get("kind")

    def named(material_id: str) -> str:
        return name_in(materials.get(material_id, ({}, ""))[0], lang)

    def in_unit(material_id: str, quantity: int) -> str:
        unit = materials.get(material_id, ({}, None))[1]
        return shown(quantity, unit) if unit else str(quantity)

    material = body.get("material") or ""
    quantity: Any = body.get("quantity", "")
    quantity_shown = in_unit(material, quantity) if isinstance(quantity, int) else ""
    if kind == "count" and isinstance(body.get("counted"), int):
        quantity = body["counted"] - (body.get("expected") or 0)  # what the count adjusts
        quantity_shown = in_unit(material, quantity)
    names = spreadsheet_text(named(material)) if material else ""
    if kind == "batch":
        parts = [
            (label, q["material"], q["quantity"])
            for label, side in (("in", "inputs"), ("out", "outputs"))
            for q in body.get(side) or []
        ]
        material = "; ".join(m for _, m, _ in parts)
        names = spreadsheet_text("; ".join(named(m) for _, m, _ in parts))
        quantity = ""
        quantity_shown = "; ".join(f"{label} {in_unit(m, q)}" for label, m, q in parts)
    counted_unit = body.get("material") or ""
    return [
        body.get("occurred_at") or body.get("created_at") or "",
        doc_id,
        kind,
        material,
        names,
        body.get("from", ""),
        body.get("to", ""),
        body.get("at", ""),
        quantity,
        quantity_shown,
        in_unit(counted_unit, body["counted"]) if isinstance(body.get("counted"), int) else "",
        in_unit(counted_unit, body["expected"]) if isinstance(body.get("expected"), int) else "",
        mad(body.get("cost_centimes")),
        spreadsheet_text(body.get("supplier")),
        spreadsheet_text(body.get("lot")),
        spreadsheet_text(body.get("product_id")),
        spreadsheet_text(body.get("order_id")),
        body.get("reverses", ""),
        "yes" if kind != "reversal" and not active else "no",
        body.get("owner", ""),
        spreadsheet_text(recorder),
        spreadsheet_text(body.get("note")),
    ]

"""The artisan's summary document (written by the server only, and only when its figures
change) and the weekly digest push (in each person's language, once per ISO week, only
when something happened)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from api.services.insights import digest, summary
from api.services.push import messages
from schemas.insights import summary_id
from tests.support.apps import Auth

from .conftest import HANBEL, RUG, TAZA, Month


def _refresh(app, now: float | None = None) -> int:
    with app.app_context():
        return summary.refresh(app.extensions["hirfa"].store(), now or time.time())


def _doc(app, doc_id: str) -> dict | None:
    with app.app_context():
        return app.extensions["hirfa"].store().winner_body(doc_id)


def _row(app, doc_id: str):
    with app.app_context():
        return app.extensions["hirfa"].store().row(doc_id)


def test_her_summary_has_her_last_four_weeks_per_product(app, month):
    assert _refresh(app) == 3  # Fatima, Khadija, and Zahra of Essaouira
    fatima = _doc(app, summary_id("art_fatima"))
    assert fatima["type"] == "insights_summary" and fatima["owner"] == "art_fatima"
    assert fatima["cooperative"] == TAZA and fatima["weeks"] == list(month.period.weeks)
    assert fatima["totals"] == {"views": 21, "previews": 4, "orders": 2,
                                "delivered_centimes": 280000}  # fmt: skip
    assert fatima["products"] == [
        {"product_id": RUG, "title": {"ar": "زربية عزيلال", "fr": "Tapis Azilal",
                                      "en": "Azilal rug"},
         "views": 21, "previews": 4, "orders": 2, "delivered_centimes": 280000}
    ]  # fmt: skip
    khadija = _doc(app, summary_id("art_khadija"))
    assert khadija["products"][0]["product_id"] == HANBEL
    assert khadija["totals"]["delivered_centimes"] == 160000
    assert _row(app, summary_id("art_zahra")) is not None
    # In her channel and her cooperative's.
    assert _row(app, summary_id("art_fatima")).channels == {"artisan:art_fatima", f"coop:{TAZA}"}


def test_it_is_written_only_when_her_figures_change(app, month):
    _refresh(app)
    rev = _row(app, summary_id("art_fatima")).winner
    assert _refresh(app) == 0 and _row(app, summary_id("art_fatima")).winner == rev
    month.views((month.day(3), "product", RUG, "facebook", 3, 1, 3))
    assert _refresh(app) == 1  # hers only
    assert _doc(app, summary_id("art_fatima"))["totals"]["views"] == 24
    assert _row(app, summary_id("art_fatima")).winner != rev


def test_the_summary_is_refused_over_sync(app, client, month):
    _refresh(app)
    auth = Auth(client)
    mine = client.get("/sync/hirfa/" + summary_id("art_fatima"), headers=auth.headers("artisan"))
    assert mine.status_code == 200 and mine.get_json()["totals"]["views"] == 21
    hidden = client.get("/sync/hirfa/" + summary_id("art_fatima"), headers=auth.headers("artisan2"))
    assert hidden.status_code in (403, 404)
    doc = mine.get_json()
    edited = {**doc, "totals": {**doc["totals"], "views": 9999}}
    new = {k: v for k, v in doc.items() if k != "_rev"} | {"_id": "insights:art_fatima2"}
    product = {"_id": "insights:art_fatima3", "type": "product", "owner": "art_fatima",
               "cooperative": TAZA, "title": {"fr": "x"}, "category": "carpets",
               "status": "draft"}  # fmt: skip
    for body in (edited, new, product, {**doc, "_deleted": True}):
        got = client.post(
            "/sync/hirfa/_bulk_docs", json={"docs": [body]}, headers=auth.headers("artisan")
        )
        [result] = got.get_json()
        assert result.get("error") == "forbidden", (body["_id"], result)
    assert "server" in result["reason"]
    assert _doc(app, summary_id("art_fatima"))["totals"]["views"] == 21
    for who in ("coordinator", "artisan"):  # nor by REST's bulk path, nor her coordinator
        got = client.put(
            "/sync/hirfa/" + summary_id("art_fatima"), json=edited, headers=auth.headers(who)
        )
        assert got.status_code == 403, got.get_json()


def _outbox(app) -> list[tuple[str, str, dict, str]]:
    db = app.extensions["hirfa"].open_db()
    try:
        rows = db.execute(
            "SELECT o.user_id, o.kind, o.data, u.locale FROM outbox o "
            "JOIN users u ON u.id = o.user_id WHERE o.kind LIKE 'insights%' ORDER BY o.user_id"
        ).fetchall()
    finally:
        db.close()
    return [(u, k, json.loads(d), locale) for u, k, d, locale in rows]


def _queue(app, now: float) -> int:
    db = app.extensions["hirfa"].open_db()
    try:
        return digest.queue_weekly(db, now)
    finally:
        db.close()


def test_the_weekly_digest_once_per_week_in_each_language(app, month):
    # A pass during the fixture's second week tells its first.
    now = datetime.combine(month.mondays[1], datetime.min.time(), UTC) + timedelta(hours=9)
    assert _queue(app, now.timestamp()) == 4
    queued = _outbox(app)
    assert [(u, k) for u, k, _, _ in queued] == [
        ("art_fatima", "insights_weekly"),
        ("art_zahra", "insights_weekly"),
        ("coo_naima", "insights_weekly_coop"),
        ("coo_rachid", "insights_weekly_coop"),
    ]  # Khadija's hanbel was seen the week after: nothing to tell her
    texts = {u: messages.render(k, d, locale) for u, k, d, locale in queued}
    assert texts["art_fatima"] == (
        "أسبوعك على حرفة", "زربية عزيلال: 14 مشاهدة، طلب واحد في الأسبوع الماضي"
    )  # fmt: skip
    assert texts["art_zahra"] == (
        "Votre semaine sur Hirfa", "Huile d'argan : 100 vues, 0 commande la semaine dernière"
    )  # fmt: skip
    assert texts["coo_naima"][1] == "14 مشاهدة، 4 مشاركات، طلب واحد"
    assert texts["coo_rachid"] == (
        "Semaine passée : Coopérative Argan Essa…", "100 vues, 20 aperçus partagés, 0 commande"
    )  # fmt: skip
    assert messages.render("insights_weekly", queued[0][2], "en")[1] == (
        "Azilal rug: 14 views, 1 order last week"
    )
    assert queued[0][2]["week"] == month.period.weeks[0]
    # Again later that week, and by the hourly pass: nothing more.
    assert _queue(app, now.timestamp() + 3600) == 0
    assert _queue(app, now.timestamp() + 4 * 86400) == 0
    assert len(_outbox(app)) == 4


def test_no_digest_when_nothing_happened(app, month):
    quiet = datetime.combine(month.mondays[0], datetime.min.time(), UTC) - timedelta(weeks=20)
    assert _queue(app, quiet.timestamp()) == 0 and _outbox(app) == []


def test_plural_forms_of_the_digest():
    data = {"product_title": messages.YOUR_PIECES, "views": 2, "orders": 11}
    assert messages.render("insights_weekly", data, "ar")[1].startswith(
        "منتجاتك: مشاهدتان، 11 طلبًا"
    )
    assert messages.render("insights_weekly", {**data, "views": 1}, "fr")[1].startswith(
        "Vos pièces : 1 vue, 11 commandes"
    )
    assert (
        "3 views, 1 order"
        in messages.render("insights_weekly", {**data, "views": 3, "orders": 1}, "en")[1]
    )
    assert Month.TOTALS["views"] == 34

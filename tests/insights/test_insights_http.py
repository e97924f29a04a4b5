"""/review/insights, its CSV and the REST API agree with one another and with the
hand-made month; periods are bounded; another cooperative's figures are refused."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.support.apps import Auth
from tests.support.listings import Reviewer

from .conftest import ARGAN, RUG, TAZA, Month

PAGE = "/review/insights"
NUMBERS = ("views", "previews", "visitors", "orders", "delivered_orders")


@pytest.fixture
def reviewer(client):
    return Reviewer(client)


def _csv(body: bytes) -> list[dict]:
    assert body.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))


def _sums(rows: list[dict]) -> dict:
    sums = {name: sum(int(r[name]) for r in rows) for name in NUMBERS}
    cents = sum(int(r["delivered_mad"].replace(".", "")) for r in rows)
    return {**sums, "delivered_centimes": cents}


def _totals_on(html: str) -> dict:
    found = re.findall(r'data-total="(\w+)"><b>([^<]*)</b>', html)
    return dict(found)


def test_the_page_is_behind_the_review_sign_in(client, reviewer, month):
    short = client.get("/insights?lang=fr&weeks=12")
    assert short.status_code == 302
    assert short.headers["Location"] == f"{PAGE}?lang=fr&weeks=12"
    asked = client.get(PAGE).get_data(as_text=True)
    assert 'action="/review/sign-in"' in asked and "Tapis Azilal" not in asked
    reviewer.sign_in("artisan")  # not a coordinator: the form refuses her
    assert "Tapis Azilal" not in client.get(PAGE).get_data(as_text=True)
    # The form returns the coordinator to this page, and the review page links to it.
    assert 'name="back" value="/review/insights"' in asked
    signed = client.post(
        "/review/sign-in",
        data={"csrf": reviewer.csrf(), "phone": "+212600000010", "back": PAGE,
              "password": "hirfa-coord-2026"},
    )  # fmt: skip
    assert signed.status_code == 303 and signed.headers["Location"] == PAGE
    assert 'href="/review/insights"' in client.get("/review").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_the_page_shows_the_month_in_each_language(client, reviewer, month, lang):
    assert reviewer.sign_in("coordinator").status_code == 303
    got = client.get(f"{PAGE}?lang={lang}")
    html = got.get_data(as_text=True)
    assert got.status_code == 200 and len(got.data) < 50_000
    assert f'dir="{"rtl" if lang == "ar" else "ltr"}"' in html
    totals = _totals_on(html)
    assert {k: int(totals[k]) for k in ("views", "previews", "orders", "delivered")} == {
        "views": 34, "previews": 6, "orders": 2, "delivered": 2
    }  # fmt: skip
    assert "4\u202f400" in totals["value"]  # 4 400 DH, a narrow space in ar and fr
    assert "<script" not in html and html.count("<svg") == 3
    for source in ("whatsapp", "facebook", "qr", "direct"):
        assert f'data-source="{source}"' in html
    assert f'data-page="{RUG}"' in html and 'data-page=""' in html
    assert "Huile d" not in html  # Essaouira's product
    # The bars: oldest week at the reading start (the left in French, the right in Arabic).
    views = html.split('data-measure="views"><line', 1)[1].split("</svg>", 1)[0]
    xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)"', views)]
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" fill', views)]
    assert len(xs) == 4 and heights[0] == max(heights)  # 14 views: the oldest week's
    assert (xs == sorted(xs, reverse=True)) if lang == "ar" else (xs == sorted(xs))


def test_the_period_selector_is_bounded(client, reviewer, month):
    reviewer.sign_in("coordinator")
    for asked, weeks in (("12", 12), ("26", 26), ("520", 4), ("abc", 4)):
        html = client.get(f"{PAGE}?weeks={asked}&lang=en").get_data(as_text=True)
        assert f'<option value="{weeks}" selected>' in html
        assert len(re.findall(r"<tr data-week=", html)) == weeks
    assert client.get(f"{PAGE}.csv?weeks=520&lang=fr").status_code == 400
    assert "52" in client.get(f"{PAGE}.csv?weeks=520&lang=fr").get_data(as_text=True)


def test_the_csv_agrees_with_the_page_and_the_rest_api(client, reviewer, month):
    auth = Auth(client)
    reviewer.sign_in("coordinator")
    html = client.get(f"{PAGE}?lang=fr").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" id="csv"', html).group(1).replace("&amp;", "&")
    got = client.get(link)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "attachment" in got.headers["Content-Disposition"]
    rows = _csv(got.data)
    assert rows and set(rows[0]) >= {"week", "week_start", "page", "product_id", "source"}
    page_sums = _csv_page = _sums(rows)
    rest = client.get("/api/v1/insights", headers=auth.headers("coordinator")).get_json()
    totals = rest["totals"]
    assert {**totals, "delivered_orders": totals["delivered"]} | page_sums == {
        **totals, "delivered_orders": totals["delivered"]
    }  # fmt: skip
    assert totals == Month.TOTALS and _csv_page["views"] == int(_totals_on(html)["views"])
    rest_csv = client.get("/api/v1/insights.csv?lang=fr", headers=auth.headers("coordinator"))
    assert rest_csv.status_code == 200 and _csv(rest_csv.data) == rows
    # One row per week x page x source: no two alike, orders on rows without a source.
    keys = [(r["week"], r["page"], r["product_id"], r["source"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert all(r["source"] == "" for r in rows if int(r["orders"]) or int(r["delivered_orders"]))
    rug = [r for r in rows if r["product_id"] == RUG]
    assert {r["product_title"] for r in rug} == {"Tapis Azilal"}
    by_week = {w["week"]: w["views"] for w in rest["by_week"]}
    for week, views in by_week.items():
        assert views == sum(int(r["views"]) for r in rows if r["week"] == week)


def test_rest_ranges_and_who_may_read(client, month):
    auth = Auth(client)
    naima, rachid = auth.headers("coordinator"), auth.headers("coordinator2")
    for weeks in ("53", "520"):
        refused = client.get(f"/api/v1/insights?weeks={weeks}", headers=naima)
        assert refused.status_code == 400
        assert "at most a year" in refused.get_json()["error"]["message"]
        assert client.get(f"/api/v1/insights.csv?weeks={weeks}", headers=naima).status_code == 400
    assert client.get("/api/v1/insights?weeks=0", headers=naima).status_code == 400
    assert client.get("/api/v1/insights?weeks=52", headers=naima).status_code == 200
    assert len(client.get("/api/v1/insights?weeks=12", headers=naima).get_json()["weeks"]) == 12
    other = client.get(f"/api/v1/insights?cooperative={ARGAN}", headers=naima)
    assert other.status_code == 403
    assert client.get(f"/api/v1/insights.csv?cooperative={ARGAN}", headers=naima).status_code == 403
    mine = client.get(f"/api/v1/insights?cooperative={ARGAN}", headers=rachid).get_json()
    assert mine["totals"]["views"] == 100
    # Rachid coordinates two cooperatives: he says which.
    assert client.get("/api/v1/insights", headers=rachid).status_code == 400
    assert client.get("/api/v1/insights", headers=auth.headers("artisan")).status_code == 403
    # An artisan's: herself, her coordinator; not another artisan, not another coop's.
    path = "/api/v1/insights/artisans/art_fatima"
    hers = client.get(path, headers=auth.headers("artisan")).get_json()
    assert hers["totals"] == Month.FATIMA and hers["artisan"] == "art_fatima"
    assert client.get(path, headers=naima).get_json()["totals"] == Month.FATIMA
    assert client.get(path, headers=rachid).status_code == 403
    assert client.get(path, headers=auth.headers("artisan2")).status_code == 403
    assert client.get(path + "?weeks=60", headers=naima).status_code == 400
    nobody = client.get("/api/v1/insights/artisans/nobody", headers=naima)
    assert nobody.status_code == 404


def test_another_cooperative_s_page_is_403(client, reviewer, month):
    reviewer.sign_in("coordinator")
    assert client.get(f"{PAGE}?cooperative={ARGAN}").status_code == 403
    assert client.get(f"{PAGE}.csv?cooperative={ARGAN}").status_code == 403
    assert client.get(f"{PAGE}?cooperative={TAZA}").status_code == 200

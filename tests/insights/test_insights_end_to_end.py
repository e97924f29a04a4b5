"""From visits of a product page to the figures: a person through a WhatsApp link, a
person typing the address, Googlebot (not counted) and WhatsApp's link-preview fetcher
(a shared preview); once the view counter flushes, /review/insights, its CSV, the REST
API and her summary document all say the same."""

from __future__ import annotations

import csv
import io
import re
import time

from api.services.insights import summary
from schemas.insights import summary_id
from tests.support.apps import Auth
from tests.support.listings import Reviewer
from tests.support.orders import approved_product

BROWSER = "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
WHATSAPP = "WhatsApp/2.23.20.0 A"


def test_visits_reach_the_page_the_csv_and_her_summary(app, client):
    product = approved_product(app)
    page = "/p/" + product.removeprefix("product:")
    visits = [
        (f"{page}?via=whatsapp", BROWSER, "203.0.113.1"),
        (f"{page}?via=whatsapp", BROWSER, "203.0.113.1"),  # the same visitor again
        (page, BROWSER, "203.0.113.2"),  # typed: direct
        (page, GOOGLEBOT, "66.249.66.1"),
        (f"{page}?via=whatsapp", WHATSAPP, "157.240.1.1"),
    ]
    for path, agent, address in visits:
        got = client.get(path, headers={"User-Agent": agent}, environ_base={"REMOTE_ADDR": address})
        assert got.status_code == 200, path
    hirfa = app.extensions["hirfa"]
    hirfa.view_counter.flush()

    Reviewer(client).sign_in("coordinator")
    html = client.get("/review/insights?lang=fr").get_data(as_text=True)
    totals = dict(re.findall(r'data-total="(\w+)"><b>([^<]*)</b>', html))
    assert (totals["views"], totals["previews"], totals["visitors"]) == ("3", "1", "2")
    whatsapp = re.search(r'data-source="whatsapp">.*?</tr>', html).group(0)
    assert re.findall(r"<td>(\d+)</td>", whatsapp) == ["2", "1", "1"]
    direct = re.search(r'data-source="direct">.*?</tr>', html).group(0)
    assert re.findall(r"<td>(\d+)</td>", direct) == ["1", "0", "1"]

    link = re.search(r'href="([^"]+)" id="csv"', html).group(1).replace("&amp;", "&")
    text = client.get(link).data.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    by_source = {r["source"]: (int(r["views"]), int(r["previews"])) for r in rows}
    assert by_source == {"whatsapp": (2, 1), "direct": (1, 0)}
    assert {r["product_id"] for r in rows} == {product}

    rest = client.get("/api/v1/insights", headers=Auth(client).headers("coordinator"))
    assert rest.get_json()["totals"]["views"] == 3

    with app.app_context():
        summary.refresh(hirfa.store(), time.time())
        doc = hirfa.store().winner_body(summary_id("art_fatima"))
    assert doc["totals"] == {"views": 3, "previews": 1, "orders": 0, "delivered_centimes": 0}
    assert [p["product_id"] for p in doc["products"]] == [product]

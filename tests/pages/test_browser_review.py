"""A coordinator approves a product from a phone browser; the artisan's phone learns it.

Real parts end to end: headless Chromium over real HTTP to a live Hirfa server, the
HTML form sign-in, the artisan's CouchDB-protocol changes feed.
"""

from __future__ import annotations

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from seed import demo
from tests.support.browser import horizontal_overflow, screenshot
from tests.support.listings import OPTIONS, Listings

WAIT = 20  # seconds: an upper bound for each awaited element, never a pause


def test_coordinator_approves_from_a_phone_and_the_artisans_feed_shows_it(
    live_server,
    browser,
):
    listings = Listings(live_server.app, live_server.app.test_client())
    photo, _ = listings.photo(seed=1)
    waiting = listings.product(
        title={"ar": "زربية بني ورين بالصوف الطبيعي", "fr": "Tapis Beni Ouarain"},
        description={"ar": "زربية منسوجة يدويًا من صوف الغنم، بألوان طبيعية."},
        price_centimes=450000,
        photos=[photo],
    )
    other_photo, _ = listings.photo(seed=2)
    shared = listings.published(
        title={"ar": "طاجين من فخار آسفي", "fr": "Tajine de Safi"},
        description={"ar": "طاجين مطلي يدويًا، صالح للطبخ على النار الهادئة."},
        category="pottery",
        price_centimes=25050,
        photos=[other_photo],
        options=OPTIONS,
        stock={"mode": "made_to_order", "production_days": 14},
        materials=["طين", "مينا"],
        dimensions={"length_cm": 30, "width_cm": 30, "height_cm": 22.5},
    )
    wait = WebDriverWait(browser, WAIT)

    browser.get(f"{live_server.url}/review")
    wait.until(ec.visibility_of_element_located((By.ID, "phone")))
    assert horizontal_overflow(browser) == 0
    screenshot(browser, "sign-in-ar-360")
    browser.find_element(By.ID, "phone").send_keys("+212600000010")
    browser.find_element(By.ID, "password").send_keys(demo.COORDINATOR_PASSWORD)
    browser.find_element(By.ID, "sign-in").click()
    item = wait.until(
        ec.visibility_of_element_located((By.CSS_SELECTOR, f'li.item[data-id="{waiting}"]'))
    )
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    thumb = item.find_element(By.TAG_NAME, "img")
    wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", thumb) > 0)
    assert horizontal_overflow(browser) == 0
    item.find_element(By.TAG_NAME, "summary").click()  # open the reasons, for the picture
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "label.check")))
    screenshot(browser, "review-ar-360")

    item.find_element(By.CSS_SELECTOR, 'button[value="approve"]').click()
    flash = wait.until(ec.visibility_of_element_located((By.ID, "flash")))
    assert flash.text == "تم قبول المنتج."
    assert not browser.find_elements(By.CSS_SELECTOR, f'li.item[data-id="{waiting}"]')

    feed = requests.get(
        f"{live_server.sync_url()}/_changes",
        params={"include_docs": "true"},
        headers=live_server.headers("artisan"),
        timeout=30,
    )
    assert feed.status_code == 200
    docs = {row["id"]: row.get("doc") for row in feed.json()["results"]}
    assert docs[waiting]["status"] == "approved"
    assert docs[f"review:{waiting}"]["decision"] == "approve"

    browser.get(f"{live_server.url}/p/{shared}")
    hero = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, "img.hero")))
    wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", hero) > 0)
    og_image = browser.find_element(By.CSS_SELECTOR, 'meta[property="og:image"]')
    assert og_image.get_attribute("content").startswith(live_server.url + f"/p/{shared}/share.jpg")
    assert horizontal_overflow(browser) == 0
    screenshot(browser, "product-ar-360")
    browser.get(f"{live_server.url}/p/{shared}?lang=fr")
    wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tajine de Safi"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "ltr"
    assert horizontal_overflow(browser) == 0
    screenshot(browser, "product-fr-360")
    browser.get(f"{live_server.url}/catalog?lang=ar")
    card = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".cards img")))
    wait.until(lambda d: d.execute_script("return arguments[0].naturalWidth", card) > 0)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".cards li")) == 2  # both approved now
    assert horizontal_overflow(browser) == 0
    screenshot(browser, "catalog-ar-360")

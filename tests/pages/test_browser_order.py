"""A buyer orders from a phone browser: product page, Order, register, choose, place.

Real parts end to end: headless Chromium over real HTTP to a live Hirfa server, the
HTML forms with no script, the order placed through the orders service.
"""

from __future__ import annotations

import shutil

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import horizontal_overflow, screenshot
from tests.support.listings import OPTIONS, Listings

WAIT = 20  # seconds: an upper bound for each awaited element, never a pause


def shot(browser, name: str) -> None:
    """Under var/screenshots/, and a copy in /tmp to look at."""
    assert horizontal_overflow(browser) == 0
    shutil.copy(screenshot(browser, name), f"/tmp/{name}.png")


def fill(browser, field: str, value: str) -> None:
    box = browser.find_element(By.ID, field)
    box.clear()
    box.send_keys(value)


def test_a_buyer_orders_from_the_product_page(live_server, browser):
    listings = Listings(live_server.app, live_server.app.test_client())
    photo, _ = listings.photo(seed=3)
    pid = listings.published(
        title={"ar": "زربية بني ورين بالصوف الطبيعي", "fr": "Tapis Beni Ouarain"},
        price_centimes=450000,
        photos=[photo],
        options=OPTIONS,
        stock={"mode": "made_to_order", "production_days": 21},
    )
    wait = WebDriverWait(browser, WAIT)

    browser.get(f"{live_server.url}/p/{pid}")
    order_link = wait.until(
        ec.element_to_be_clickable((By.CSS_SELECTOR, f'a[href^="/buy/p/{pid}"]'))
    )
    order_link.click()
    wait.until(ec.visibility_of_element_located((By.ID, "register-link"))).click()
    wait.until(ec.visibility_of_element_located((By.ID, "display_name")))
    fill(browser, "display_name", "أمينة")
    fill(browser, "phone", "0611223344")
    fill(browser, "password", "argan-oil-2026")
    browser.find_element(By.ID, "register").click()

    wait.until(ec.visibility_of_element_located((By.ID, "order-form")))
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    shot(browser, "order-form-ar")
    browser.find_element(By.CSS_SELECTOR, 'input[name="opt_size"][value="l"]').click()
    fill(browser, "quantity", "2")
    fill(browser, "d_phone", "0611223344")
    fill(browser, "d_address", "12 درب الحرارين، المدينة القديمة")
    fill(browser, "d_city", "فاس")
    fill(browser, "message", "هدية، من فضلكم")
    browser.find_element(By.ID, "place").click()

    status = wait.until(ec.visibility_of_element_located((By.ID, "status")))
    assert status.get_attribute("data-status") == "placed"
    assert status.text == "تم الطلب"
    total = browser.find_element(By.ID, "total").text
    assert "10\u202f000" in total  # (4 500 + 500) x 2, computed by the server
    shot(browser, "order-ar")
    order_url = browser.current_url
    browser.get(f"{live_server.url}/buy/orders")
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".orders li")))
    shot(browser, "orders-ar")

    browser.get(f"{order_url}?lang=fr")
    status = wait.until(ec.visibility_of_element_located((By.ID, "status")))
    assert status.text == "Commandée"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "ltr"
    shot(browser, "order-fr")
    browser.get(f"{live_server.url}/buy/orders")
    wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".orders li")))
    shot(browser, "orders-fr")
    browser.get(f"{live_server.url}/buy/p/{pid}")
    wait.until(ec.visibility_of_element_located((By.ID, "order-form")))
    # A refused field keeps what was typed and says what to fix, in the page's language.
    browser.find_element(By.CSS_SELECTOR, 'input[name="opt_size"][value="m"]').click()
    fill(browser, "d_phone", "+33600000001")
    fill(browser, "d_address", "12 rue des Tanneurs")
    fill(browser, "d_city", "Lyon")
    fill(browser, "d_country", "F")
    browser.find_element(By.ID, "place").click()
    wait.until(ec.visibility_of_element_located((By.ID, "d_country-error")))
    shot(browser, "order-form-fr")

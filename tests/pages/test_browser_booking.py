"""A buyer books a workshop from a phone browser: the cooperative's page, Book, sign in,
two places, her bookings.

Real parts end to end: headless Chromium over real HTTP to a live Hirfa server with the
demo workshops (seed/visits.py), the HTML forms with no script, the booking made by the
bookings service and the coordinator's notification queued in the outbox.
"""

from __future__ import annotations

import shutil

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from seed.visits import populate_visits
from tests.support.apps import DEMO
from tests.support.browser import horizontal_overflow, screenshot
from tests.support.orders import rows

WAIT = 20  # seconds: an upper bound for each awaited element, never a pause
TAZA = "coop-taza-zerbia"


def shot(browser, name: str) -> None:
    """Under var/screenshots/, and a copy in /tmp to look at."""
    assert horizontal_overflow(browser) == 0
    shutil.copy(screenshot(browser, name), f"/tmp/{name}.png")


def fill(browser, field: str, value: str) -> None:
    box = browser.find_element(By.ID, field)
    box.clear()
    box.send_keys(value)


def test_a_buyer_books_two_places_from_the_cooperative_page(live_server, browser):
    hirfa = live_server.app.extensions["hirfa"]
    db = hirfa.open_db()
    try:
        assert populate_visits(hirfa.store(db)) == {"workshops": 2}
    finally:
        db.close()
    wait = WebDriverWait(browser, WAIT)

    browser.get(f"{live_server.url}/c/{TAZA}")
    book = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".session a.btn")))
    assert book.get_attribute("href").startswith(
        f"{live_server.url}/buy/book/workshop:{TAZA}:weaving/"
    )
    book.click()
    wait.until(ec.visibility_of_element_located((By.ID, "phone")))
    phone, secret = DEMO["buyer"]
    fill(browser, "phone", phone)
    fill(browser, "password", secret["password"])
    browser.find_element(By.ID, "sign-in").click()

    wait.until(ec.visibility_of_element_located((By.ID, "book-form")))
    form_url = browser.current_url.split("?")[0]
    html = browser.find_element(By.TAG_NAME, "html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    assert browser.find_element(By.ID, "places-left").get_attribute("data-left") == "8"
    assert browser.find_element(By.ID, "contact_name").get_attribute("value") == "Claire Martin"
    shot(browser, "book-ar")
    fill(browser, "places", "2")
    fill(browser, "note", "سنصل بسيارة أجرة")
    browser.find_element(By.ID, "book").click()

    flash = wait.until(ec.visibility_of_element_located((By.ID, "flash")))
    assert flash.text == "تم الحجز وأُخبرت التعاونية."
    assert browser.current_url == f"{live_server.url}/buy/bookings"
    item = browser.find_element(By.CSS_SELECTOR, ".bookings li.new")
    status = item.find_element(By.CSS_SELECTOR, ".badge")
    assert status.get_attribute("data-status") == "confirmed" and status.text == "مؤكد"
    assert "عدد الأماكن: 2" in item.text
    shot(browser, "bookings-ar")
    pushes = rows(live_server.app, "SELECT user_id FROM outbox WHERE kind = 'booking_made'")
    assert pushes == [("coo_naima",)]

    # The same pages in French: the form of another session, and the list.
    browser.get(f"{form_url}?lang=fr")
    wait.until(ec.visibility_of_element_located((By.ID, "book-form")))
    assert browser.find_element(By.ID, "places-left").text == "Places restantes : 6"
    shot(browser, "book-fr")
    browser.get(f"{live_server.url}/buy/bookings")
    status = wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".bookings .badge")))
    assert status.text == "Confirmée"
    browser.find_element(By.CSS_SELECTOR, ".bookings summary").click()  # the cancel form
    wait.until(ec.visibility_of_element_located((By.ID, "reason-1")))
    shot(browser, "bookings-fr")

"""Headless Chromium from Debian (`chromium`, `chromium-driver`), driven by Selenium.

Selenium rather than playwright-core: it drives the distribution's chromedriver from
Python, inside pytest and next to the live_server fixture, with no Node process and no
browser download. Both paths are given explicitly so Selenium Manager never goes
looking for a driver on the network.
"""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HIRFA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HIRFA_CHROMEDRIVER", "/usr/bin/chromedriver")
# A narrow Android phone: the review page has to work on the coordinator's.
PHONE = (360, 740)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
FLAGS = [
    "--headless=new",
    "--no-sandbox",  # root in a container: the sandbox needs user namespaces
    "--disable-gpu",
    "--disable-dev-shm-usage",  # /dev/shm is tiny in containers
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    f"--window-size={PHONE[0]},{PHONE[1]}",
]


@pytest.fixture
def browser(tmp_path):
    for path in (CHROMIUM, CHROMEDRIVER):
        if not shutil.which(path):
            pytest.fail(f"{path} is missing: `make browser` installs Debian's chromium packages")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    # A Moroccan phone set to Arabic: the page must pick it from Accept-Language.
    options.add_experimental_option("prefs", {"intl.accept_languages": "ar-MA,ar,fr"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        phone(driver, PHONE[1])
        yield driver
    finally:
        driver.quit()


def phone(driver, height: int) -> None:
    """Emulate the phone's screen: a window cannot be narrower than ~500 px in Chromium,
    so --window-size alone would lay the page out wider than the phone it stands for."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": PHONE[0], "height": height, "deviceScaleFactor": 1, "mobile": True},
    )


def screenshot(driver, name: str) -> Path:
    """The whole page at the phone's width, under var/screenshots/ (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    phone(driver, driver.execute_script("return document.documentElement.scrollHeight"))
    try:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        phone(driver, PHONE[1])
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def horizontal_overflow(driver) -> int:
    """How many CSS pixels the page is wider than the phone (0 on a good phone page)."""
    assert driver.execute_script("return window.innerWidth") == PHONE[0]  # viewport meta
    return driver.execute_script("return document.documentElement.scrollWidth") - PHONE[0]

"""The sign-in as a person meets it: Debian's Chromium (headless, driven by Selenium through Debian's
chromedriver) against the bot's real HTTP server on 127.0.0.1.

Skipped where the browser is not installed; `.ci/run` installs it, and under CI a missing browser fails
instead of skipping, so the test cannot quietly stop running.
"""
from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Bot
from bot.http import build_http_app
from bot.server import HttpServer

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError(f"CI runs the browser tests: {CHROMIUM} and {DRIVER} must exist (.ci/run installs them)")
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402  (only once the browser is known to be there)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # the flags that keep Chromium off the (closed) network and quiet as root in a container
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--lang=ja"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ja,en"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def until(driver: Any, check: Callable[[Any], Any], timeout: float = 20) -> Any:
    return WebDriverWait(driver, timeout).until(check)


def images_loaded(driver: Any) -> bool:
    return bool(driver.execute_script(
        "const i = [...document.images]; return i.length > 0 && i.every(x => x.complete && x.naturalWidth > 0)"))


def sign_in_with_a_token(driver: Any, base: str, token: str) -> dict[str, Any]:
    driver.get(f"{base}/?window=1h")
    until(driver, lambda d: "/login" in d.current_url)
    seen = {"login_lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
            "login_title": driver.title}
    driver.find_element(By.ID, "token").send_keys("chatops_not-a-token")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".error"))
    seen["bad"] = driver.find_element(By.CSS_SELECTOR, ".error").text
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "form.who"))
    seen["url"] = driver.current_url
    seen["who"] = driver.find_element(By.CSS_SELECTOR, "form.who").text
    seen["cookie"] = driver.get_cookie("chatops_session")
    seen["charts"] = until(driver, images_loaded)  # the charts load with the session cookie too
    driver.find_element(By.CSS_SELECTOR, "form.who button").click()
    until(driver, lambda d: "/login" in d.current_url)
    driver.get(f"{base}/")
    seen["after_sign_out"] = driver.current_url
    return seen


def sign_in_with_a_link(driver: Any, link: str) -> dict[str, Any]:
    driver.get(link)
    seen = {"cookie_before_click": driver.get_cookie("chatops_session")}
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "form.who"))
    seen["who"] = driver.find_element(By.CSS_SELECTOR, "form.who").text
    driver.delete_all_cookies()
    driver.get(link)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, ".error"))
    seen["second_use"] = driver.find_element(By.CSS_SELECTOR, ".error").text
    return seen


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the browser is the subject; storage is tested elsewhere
async def test_a_person_signs_in_with_a_token_or_a_link_and_out_again_in_japanese(bot: Bot, browser: Any) -> None:
    token = await bot.access.tokens.create("hanako-laptop", "viewer", "console:ops")
    await bot.services.reports.tick()  # a sample, so the page has its charts
    async with HttpServer(build_http_app(bot), "127.0.0.1", 0) as server:
        base = f"http://127.0.0.1:{server.port}"
        seen = await asyncio.to_thread(sign_in_with_a_token, browser, base, token)
        link = (await bot.access.tokens.create_link("slack:T00FAKETEAM/U00HANAKO", "operator"))
        by_link = await asyncio.to_thread(sign_in_with_a_link, browser, f"{base}/login/link/{link}")
    assert seen["login_lang"] == "ja" and "サインイン" in seen["login_title"]
    assert "使えません" in seen["bad"]
    assert seen["url"] == f"{base}/?window=1h"
    assert "hanako-laptop (browser)" in seen["who"] and "サインアウト" in seen["who"]
    cookie = seen["cookie"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["value"] != token
    assert seen["charts"] is True
    assert seen["after_sign_out"].startswith(f"{base}/login")
    assert by_link["cookie_before_click"] is None  # opening the link (an unfurl) signs nobody in
    assert "slack:T00FAKETEAM/U00HANAKO（operator）" in by_link["who"]
    assert "使用済み" in by_link["second_use"]

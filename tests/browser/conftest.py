"""Browser tests: Playwright driving the system's Chromium against Django's live server.

Without a Chromium binary every test here is skipped with the reason. Screenshots go to
var/screenshots/ (`shot(page, "name")`), at desktop size (1366 x 900) or phone size (390 x 844).
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the test's own ORM calls are
# still synchronous, so Django's async-safety guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "kit-demo"


def _chromium() -> str | None:
    for name in (os.environ.get("KIT_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and (path := shutil.which(name)):
            return path
    return None


def pytest_collection_modifyitems(config, items):
    reason = None
    if _chromium() is None:
        reason = "no Chromium on this machine (apt-get install chromium, or set KIT_CHROMIUM)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed"
    if reason:
        here = Path(__file__).parent
        for item in items:
            if Path(str(item.fspath)).is_relative_to(here):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture
def live_world(transactional_db):
    """The demo world in a database the live server's threads can see."""
    from kit.demo import demo_load

    return demo_load()


def _page(browser, live_server, size):
    context = browser.new_context(viewport=size, locale="ru-RU", base_url=live_server.url,
                                  accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


@pytest.fixture
def page(browser, live_server, live_world):
    context, p = _page(browser, live_server, DESKTOP)
    yield p
    context.close()


@pytest.fixture
def phone_page(browser, live_server, live_world):
    context, p = _page(browser, live_server, PHONE)
    yield p
    context.close()


def login(page, username, password=PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit], main input[type=submit]")
    page.wait_for_load_state()


def shot(page, name):
    """Save a full-page screenshot as var/screenshots/<name>.png (name may contain a folder)."""
    target = SCREENSHOTS / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    return target

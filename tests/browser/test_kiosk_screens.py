"""The kiosk's customer screens in Chromium at the kiosk's screen size: one payment, then the other screens.

The kiosk runs in this process against the server app in-process (tests/kiosk/harness.py); its screens
are served on a real port and its device thread runs beside the browser. Screenshots: var/screenshots/kiosk/.
"""

import threading
import time

import pytest

from kiosk.config import pin_hash
from kiosk.web import serve
from tests.terminals.conftest import transport  # noqa: F401 - the in-process server fixture

from .conftest import shot

pytestmark = pytest.mark.django_db
KIOSK_SCREEN = {"width": 1280, "height": 1024}


@pytest.fixture
def make_kiosk(terminal, transport, tmp_path):  # noqa: F811 - the imported fixture
    from kiosk.devices import sim
    from terminals.services import enrollment_code_issue
    from tests.kiosk.harness import Harness, config_at

    sim.forget()
    cfg = config_at(tmp_path, pin_hash=pin_hash("2468", iterations=1000))
    h = Harness(cfg, transport, enroll_code=enrollment_code_issue(terminal=terminal)[1])
    yield h
    h.close()
    sim.forget()


@pytest.fixture
def kiosk_page(browser, make_kiosk):
    h = make_kiosk
    # The screens' thread must not reach the in-process server (the test's transaction is not visible
    # to other threads): no client, and the link counts as online.
    h.flow.client = None
    h.kiosk.link.ok()
    server = serve(h.flow, h.cfg)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()

    def devices():
        while not stop.is_set():
            h.flow.tick()
            time.sleep(0.02)

    thread = threading.Thread(target=devices, daemon=True)
    thread.start()
    context = browser.new_context(viewport=KIOSK_SCREEN, locale="ru-RU",
                                  base_url=f"http://127.0.0.1:{server.server_port}")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield h, page
    context.close()
    stop.set()
    thread.join(timeout=5)
    server.shutdown()
    server.server_close()


def test_one_payment_through_the_kiosk_screens(kiosk_page):
    h, page = kiosk_page
    page.goto("/")
    page.get_by_role("heading", name="Выберите услугу").wait_for()
    shot(page, "kiosk/01-home")
    page.get_by_role("button", name="МТС").click()
    page.wait_for_url("**/account")
    for digit in "9161234567":
        page.locator(".keypad").get_by_role("button", name=digit, exact=True).click()
    assert "9161234567" in page.locator(".field.active").inner_text()
    shot(page, "kiosk/02-account")
    page.get_by_role("button", name="Далее").click()
    page.wait_for_url("**/insert")
    assert "ПАО «МТС»" in page.locator(".info").inner_text()
    shot(page, "kiosk/03-insert")
    h.validator_sim.insert(100)
    h.validator_sim.insert(50)
    page.locator("#total").filter(has_text="150,00").wait_for()
    assert page.locator("#count").inner_text() == "2"
    shot(page, "kiosk/04-insert-notes")
    page.locator("#pay").click()
    page.wait_for_url("**/receipt")
    page.get_by_role("heading", name="Спасибо! Платёж принят").wait_for()
    assert "150,00" in page.locator(".receipt").inner_text()
    shot(page, "kiosk/05-receipt")
    page.locator("#done").click()
    page.wait_for_url("**/")
    page.get_by_role("button", name="EN").click()
    page.get_by_role("heading", name="Choose a service").wait_for()
    shot(page, "kiosk/06-home-en")
    assert h.store.payment_by_txn("1").amount == 150


def test_the_service_and_out_of_service_screens(kiosk_page):
    h, page = kiosk_page
    page.goto("/service")
    for digit in "2468":
        page.locator(".keypad").get_by_role("button", name=digit, exact=True).click()
    page.locator("#login").click()
    page.wait_for_url("**/service/panel")
    assert "Купюроприёмник" in page.content()
    shot(page, "kiosk/07-service")
    h.validator_sim.remove_cassette()
    h.clock.advance(5)
    deadline = time.monotonic() + 5
    while h.flow.state.value != "out_of_service" and time.monotonic() < deadline:
        time.sleep(0.05)
    page.goto("/")
    page.wait_for_url("**/out-of-service")
    page.get_by_role("heading", name="Терминал временно не работает").wait_for()
    shot(page, "kiosk/08-out-of-service")

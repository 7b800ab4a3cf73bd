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


def _picture(size, colour, text, text_colour="#ffffff") -> dict:
    """A PNG with a line of Russian text, as screens.images.image_check hands an upload to the services."""
    import hashlib
    import io
    from pathlib import Path

    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(Path(__file__).resolve().parents[2] / "kit" / "fonts" / "DejaVuSans-Bold.ttf"),
                              size[1] // 3)
    img = Image.new("RGB", size, colour)
    ImageDraw.Draw(img).text((size[0] // 2, size[1] // 2), text, fill=text_colour, font=font, anchor="mm")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    data = buf.getvalue()
    return {"data": data, "content_type": "image/png", "width": size[0], "height": size[1],
            "sha256": hashlib.sha256(data).hexdigest()}


def test_the_kiosk_screens_in_the_servers_theme_with_its_ads(kiosk_page, terminal):
    """A theme and ads set on the server (through the services the cabinet calls) reach the kiosk with a
    config refresh; its screens show them. Screenshots kiosk/10-* to kiosk/14-*."""
    from datetime import time as clock_time
    from datetime import timedelta

    from django.utils import timezone

    from kiosk.sync import config_refresh
    from kiosk.web import IDLE_AD_SECONDS
    from screens import services
    from screens.models import Ad, Theme

    h, page = kiosk_page
    Ad.objects.all().delete()
    dealer = terminal.dealer
    logo = _picture((240, 80), "#f97316", "ГОРОД")
    theme = services.theme_save(theme=Theme(dealer=dealer, name="Ночная", layout="large", background="#0f172a",
                                            text="#e2e8f0", accent="#f97316", button_text="#111827"), logo=logo)
    services.theme_assign(theme=theme, terminals=[terminal])
    today = timezone.localdate()
    every_day = dict(dealer=dealer, date_from=today - timedelta(days=1), date_to=today + timedelta(days=30),
                     weekdays="1234567", time_from=clock_time(0), time_to=clock_time(0))
    services.ad_save(ad=Ad(name="Сверху", kind="text", text="Оплата ЖКХ без комиссии до конца месяца",
                           position="top", **every_day), terminals=[terminal])
    banner = _picture((1000, 90), "#1e293b", "Интернет ДомНет — 500 ₽ в месяц", "#f97316")
    services.ad_save(ad=Ad(name="Снизу", kind="image", position="bottom", **every_day), terminals=[terminal],
                     image=banner)
    services.ad_save(ad=Ad(name="Весь экран", kind="text", text="Платите за связь и ЖКХ здесь — круглосуточно",
                           position="idle", **every_day), terminals=[terminal])
    services.ad_save(ad=Ad(name="Не сегодня", kind="text", text="Не сегодня", position="top",
                           **{**every_day, "date_from": today + timedelta(days=1)}), terminals=[terminal])
    # What the heartbeat's refresh_config does, here in the test's thread (it sees the test's database).
    assert config_refresh(store=h.store, client=h.kiosk.client, link=h.kiosk.link)
    h.kiosk.link.ok()

    page.goto("/")
    page.get_by_role("heading", name="Выберите услугу").wait_for()
    assert page.locator("body.layout-large").count() == 1
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(15, 23, 42)"
    assert page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor") == "rgb(249, 115, 22)"
    tile = page.get_by_role("button", name="МТС")
    assert tile.evaluate("b => getComputedStyle(b).color") == "rgb(17, 24, 39)"
    assert page.locator("header img.logo").evaluate("i => i.naturalWidth") == 240  # loaded from the cache
    assert "Оплата ЖКХ без комиссии" in page.locator(".ad-top").inner_text()
    assert page.locator(".ad-bottom img").evaluate("i => i.naturalWidth") == 1000
    assert "Не сегодня" not in page.content()
    shot(page, "kiosk/10-theme-home")

    tile.click()
    page.wait_for_url("**/account")
    for digit in "9161234567":
        page.locator(".keypad").get_by_role("button", name=digit, exact=True).click()
    shot(page, "kiosk/11-theme-account")
    page.get_by_role("button", name="Далее").click()
    page.wait_for_url("**/insert")
    h.validator_sim.insert(100)
    page.locator("#total").filter(has_text="100,00").wait_for()
    shot(page, "kiosk/12-theme-insert")
    page.locator("#pay").click()
    page.wait_for_url("**/receipt")
    page.get_by_role("heading", name="Спасибо! Платёж принят").wait_for()
    assert page.locator(".ad-top").count() == 1 and page.locator(".ad-bottom").count() == 1
    shot(page, "kiosk/13-theme-receipt")
    page.locator("#done").click()
    page.wait_for_url("**/")

    h.clock.advance(IDLE_AD_SECONDS + 1)  # nobody touches the kiosk for a minute
    page.goto("/")
    page.locator(".idle-ad").wait_for()
    assert "круглосуточно" in page.locator(".ad-idle").inner_text()
    assert page.locator("header").is_hidden()
    shot(page, "kiosk/14-theme-idle-ad")
    page.locator(".idle-ad").click()
    page.get_by_role("heading", name="Выберите услугу").wait_for()

    theme.layout, theme.background, theme.text, theme.accent, theme.button_text = (
        "list", "#fdf6ec", "#3b2f2f", "#0f766e", "#ffffff")
    services.theme_save(theme=theme, remove_logo=True)
    assert config_refresh(store=h.store, client=h.kiosk.client, link=h.kiosk.link)
    page.goto("/")
    assert page.locator("body.layout-list").count() == 1 and page.locator("header img").count() == 0
    shot(page, "kiosk/15-theme-list")

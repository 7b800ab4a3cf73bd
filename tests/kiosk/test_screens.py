"""Step 5: the customer screens over HTTP (WSGI in-process), driven like the kiosk's browser would."""

from datetime import datetime
from decimal import Decimal

import httpx
import pytest

from kiosk.config import pin_hash
from kiosk.web import Screens

pytestmark = pytest.mark.django_db

THEME = '''
[theme]
primary = "#123456"
accent = "not-a-colour"
layout = "list"

[[ads]]
text = "Оплата ЖКХ без комиссии"
text_en = "Utilities with no fee"
from = "00:00"
to = "24:00"

[[ads]]
text = "Expired"
ends = "2020-01-01"
'''


@pytest.fixture
def screens(make_kiosk):
    from screens.models import ThemeAssignment

    # These screens show the kiosk's own theme and ads (its config file): the demo terminal's
    # server-side theme, which would win, is taken off.
    ThemeAssignment.objects.all().delete()
    h = make_kiosk(extra=THEME, pin_hash=pin_hash("2468", iterations=1000))
    app = Screens(h.flow, h.cfg, clock=h.clock)
    client = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://127.0.0.1:8765")
    h.screens, h.app = client, app
    yield h
    client.close()


def post(h, path, **data):
    return h.screens.post(path, data=data)


def enter_account(h, code, account):
    assert post(h, "/choose", provider=code).headers["location"] == "/account"
    for ch in account:
        post(h, "/key", key=ch)


def test_the_home_screen_lists_the_providers_with_the_theme_and_the_scheduled_ad(screens):
    r = screens.screens.get("/")
    assert r.status_code == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    page = r.text
    assert "Выберите услугу" in page
    assert "МТС" in page and "Мосэнергосбыт" in page
    assert "Оплата ЖКХ без комиссии" in page
    assert "Expired" not in page
    assert "layout-list" in page
    assert "<script>" not in page and "onclick" not in page
    css = screens.screens.get("/theme.css").text
    assert "--primary: #123456" in css
    assert "--accent: #ffc83d" in css  # a value that is not a colour falls back


def test_a_page_that_does_not_match_the_flow_redirects_to_the_one_that_does(screens):
    r = screens.screens.get("/insert")
    assert (r.status_code, r.headers["location"]) == (303, "/")


def test_one_payment_through_the_screens(screens, terminal):
    h = screens
    enter_account(h, "mts", "9161234567")
    page = h.screens.get("/account").text
    assert "9161234567" in page
    assert post(h, "/account").headers["location"] == "/insert"
    page = h.screens.get("/insert").text
    # What a payment agent must show before the first note (103-FZ art. 4).
    for text in ("Demo", "7700000001", "ПАО «МТС»", "7740000076", "без комиссии", "8 800 000-00-01",
                 "Москва, Тверская ул., 1"):
        assert text in page
    h.ticks(2)
    h.insert(100, 50)
    status = h.screens.get("/insert/status")
    assert status.headers["x-kiosk-page"] == "/insert"
    assert "150,00 ₽" in status.text
    assert "<b id='count'>2</b>" in status.text
    assert post(h, "/confirm").status_code == 303
    h.until(lambda: h.flow.state.value == "receipt")
    assert h.screens.get("/insert/status").headers["x-kiosk-page"] == "/receipt"
    page = h.screens.get("/receipt").text
    assert "Спасибо! Платёж принят" in page
    assert "150,00 ₽" in page
    assert "Заберите чек." in page
    assert post(h, "/done").headers["location"] == "/"
    assert h.store.payment_by_txn("1").amount == Decimal("150.00")


def test_a_bad_account_shows_a_message_on_the_account_screen(screens):
    enter_account(screens, "mts", "123")
    assert post(screens, "/account").headers["location"] == "/account"
    assert "не подходит по формату" in screens.screens.get("/account").text


def test_the_screens_speak_english(screens):
    assert post(screens, "/lang", lang="en", back="/").headers["location"] == "/"
    page = screens.screens.get("/").text
    assert "Choose a service" in page
    assert "Utilities with no fee" in page
    enter_account(screens, "mts", "9161234567")
    post(screens, "/account")
    assert "Payment agent" in screens.screens.get("/insert").text


def test_the_out_of_service_screen_shows_when_the_cassette_is_removed(screens):
    screens.validator_sim.remove_cassette()
    screens.clock.advance(2)
    screens.ticks(2)
    r = screens.screens.get("/")
    assert r.headers["location"] == "/out-of-service"
    page = screens.screens.get("/out-of-service").text
    assert "Терминал временно не работает" in page
    assert "купюроприёмник" in page
    assert post(screens, "/choose", provider="mts").headers["location"] == "/out-of-service"


def test_the_language_switch_never_redirects_off_the_kiosk(screens):
    assert post(screens, "/lang", lang="en", back="//evil.example/x").headers["location"] == "/"
    assert post(screens, "/lang", lang="ru", back="/account").headers["location"] == "/account"


def test_a_post_from_another_origin_is_refused(screens):
    r = screens.screens.post("/choose", data={"provider": "mts"}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert screens.flow.state.value == "idle"


def test_the_service_screen_needs_the_pin(screens):
    assert screens.screens.get("/service/panel").headers["location"] == "/service"
    for ch in "1111":
        post(screens, "/service/key", key=ch)
    assert post(screens, "/service/login").headers["location"] == "/service?wrong=1"
    assert "Неверный PIN." in screens.screens.get("/service?wrong=1").text
    for ch in "2468":
        post(screens, "/service/key", key=ch)
    r = post(screens, "/service/login")
    assert r.headers["location"] == "/service/panel"
    assert "HttpOnly" in r.headers["set-cookie"]
    page = screens.screens.get("/service/panel").text
    assert "Купюроприёмник" in page and "Отвергнутые сервером" in page


def test_five_wrong_pins_lock_the_service_screen(screens):
    for _ in range(5):
        for ch in "0000":
            post(screens, "/service/key", key=ch)
        post(screens, "/service/login")
    for ch in "2468":
        post(screens, "/service/key", key=ch)
    assert post(screens, "/service/login").headers["location"] == "/service?locked=1"
    screens.clock.advance(301)
    for ch in "2468":
        post(screens, "/service/key", key=ch)
    assert post(screens, "/service/login").headers["location"] == "/service/panel"


def test_the_service_screen_shows_refused_payments_and_reprints_the_last_cheque(screens):
    h = screens
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    with h.store.tx() as db:
        db.execute("UPDATE payments SET state = 'rejected', http_status = 409, error_code = 'txn_conflict'")
    for ch in "2468":
        post(h, "/service/key", key=ch)
    post(h, "/service/login")
    page = h.screens.get("/service/panel").text
    assert "<td>1</td><td>409</td><td>txn_conflict</td>" in page
    assert "<td>100 ₽</td><td>1</td>" in page
    assert post(h, "/service/reprint").headers["location"] == "/service/panel?reprint=ok"
    assert "КОПИЯ" in h.printer_sim.last_document()


def test_ads_follow_their_schedule(screens):
    app = screens.app
    app.cfg.ads.append({"text": "Night only", "from": "22:00", "to": "24:00", "days": [6, 7]})
    saturday_night = datetime(2026, 12, 5, 23, 0).astimezone()
    monday_night = datetime(2026, 12, 7, 23, 0).astimezone()
    assert "Night only" in [a.text for a in app.ads_now(saturday_night)]
    assert "Night only" not in [a.text for a in app.ads_now(monday_night)]


def test_offline_the_home_screen_says_so_and_greys_out_providers_that_need_the_server(screens):
    screens.online = False
    screens.kiosk.link.fail()
    page = screens.screens.get("/").text
    assert "Нет связи с сервером" in page
    assert "value='demo-isp' disabled>ДомНет (интернет)<small>временно недоступно</small>" in page
    assert "value='mts'>МТС</button>" in page


def test_a_note_returned_from_escrow_is_explained_on_the_insert_screen(screens):
    from providers.models import Provider

    Provider.objects.filter(code="mts").update(max_amount=Decimal("150.00"))
    from kiosk.sync import config_refresh

    config_refresh(store=screens.store, client=screens.kiosk.client, link=screens.kiosk.link)
    enter_account(screens, "mts", "9161234567")
    post(screens, "/account")
    screens.ticks(2)
    screens.insert(100, 100)
    status = screens.screens.get("/insert/status").text
    assert "Купюра возвращена" in status
    assert "100,00 ₽" in status


def test_the_encashment_empties_the_cash_box_and_prints_the_slip(screens):
    from kiosk.sync import heartbeat_doc

    h = screens
    h.pay("mts", "9161234567", 100, 500)
    h.flow.done()
    for ch in "2468":
        post(h, "/service/key", key=ch)
    post(h, "/service/login")
    assert post(h, "/service/collect").headers["location"] == "/service/panel?collect=ok"
    slip = h.printer_sim.last_document()
    assert "ИНКАССАЦИЯ" in slip
    assert "100 x 1 = 100,00 руб." in slip
    assert "500 x 1 = 500,00 руб." in slip
    assert "Сумма: 600,00 руб." in slip
    assert h.store.cash_box() == {}
    assert heartbeat_doc(h.flow)["cash"] == {"notes": 0, "amount": "0.00", "by_denomination": {},
                                             "cassette_capacity": 500}
    row = h.store.db.execute("SELECT by_denomination, notes, amount FROM collections").fetchone()
    assert tuple(row) == ('{"100": 1, "500": 1}', 2, "600.00")
    assert post(h, "/service/collect").headers["location"] == "/service/panel?collect=refused"


def test_no_encashment_while_a_payment_is_under_way(screens):
    h = screens
    h.pay("mts", "9161234567", 100, confirm=False)
    assert h.flow.collect() is None
    assert h.store.cash_box() == {"100": 1}

"""Customers' pages: the status and nothing else; a wrong amount or phone answers exactly like an unknown
key; rate limits per client address and per key, the address taken as the deployment can know it."""

import re

import pytest

from .conftest import msk

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _page(resp) -> str:
    """The page without its CSRF token (a fresh one each response)."""
    return CSRF.sub("", resp.content.decode())


def _check(client, terminal="1001", txn="1", amount="100.00", **extra):
    return client.post("/check/", {"terminal": terminal, "txn": txn, "amount": amount}, **extra)


@pytest.mark.parametrize("status, words", [
    ("succeeded", "Статус платежа: <strong>зачислен</strong>"),
    ("processing", "Статус платежа: <strong>в обработке</strong>"),
    ("held", "Статус платежа: <strong>в обработке</strong>"),
    ("failed", "Статус платежа: <strong>не проведён — обратитесь в поддержку</strong>"),
])
def test_check_tells_the_payments_status_in_words(client, make_payment, status, words):
    make_payment("1001", "250.00", txn="8001", status=status, account="9169876543")
    resp = _check(client, txn="8001", amount="250")
    assert resp.status_code == 200
    page = resp.content.decode()
    assert words in page
    assert "9169876543" not in page and "Demo" not in page


def test_a_failed_payment_shows_the_dealers_support_phone_only(client, make_payment):
    make_payment("2001", "50.00", txn="8002", status="failed")
    page = _check(client, terminal="2001", txn="8002", amount="50.00").content.decode()
    assert "8 800 000-00-02" in page


def test_a_wrong_amount_answers_exactly_like_an_unknown_payment(client, make_payment):
    make_payment("1001", "250.00", txn="8003", status="succeeded")
    wrong_amount = _check(client, txn="8003", amount="251.00")
    unknown = _check(client, txn="no-such-txn", amount="250.00")
    assert wrong_amount.status_code == unknown.status_code == 200
    assert _page(wrong_amount) == _page(unknown)
    assert "Платёж с такими данными не найден" in _page(unknown)
    assert "8003" not in _page(wrong_amount)


def test_bad_input_on_check_is_a_form_message(client):
    resp = client.post("/check/", {"terminal": "1001", "txn": "1", "amount": "много"})
    assert resp.status_code == 200 and "Введите число" in resp.content.decode()


def test_claim_status_tells_status_and_deadline_and_a_wrong_phone_answers_like_an_unknown_number(
        client, register):
    claim = register(None, received_at=msk(2026, 3, 13, 10, 0), phone="+79161112233")
    ok = client.post("/claims/status/", {"number": claim.number.lower(), "phone": "8 916 111-22-33"})
    page = ok.content.decode()
    assert f"Претензия {claim.number}: <strong>зарегистрирована</strong>" in page
    assert "Ответ будет дан до 23.03.2026." in page
    assert "Иванов" not in page
    wrong_phone = client.post("/claims/status/", {"number": claim.number, "phone": "+79160000000"})
    unknown = client.post("/claims/status/", {"number": "CL-2026-999999", "phone": "+79161112233"})
    assert wrong_phone.status_code == unknown.status_code == 200
    assert _page(wrong_phone) == _page(unknown)
    assert "Претензия с таким номером и телефоном не найдена" in _page(unknown)


@pytest.fixture
def one_window(monkeypatch):
    """The limits count in fixed windows of the clock: a test that crossed a minute's boundary on a
    slow machine would start counting again. Its look-ups all fall in one window."""
    monkeypatch.setattr("claims.ratelimit.clock", lambda: 1_800_000_030.0)


@pytest.mark.usefixtures("one_window")
def test_check_is_limited_per_client_address(client, settings):
    settings.KIT_PUBLIC_RATE_MINUTE = 10
    for n in range(10):
        assert _check(client, txn=f"guess{n}").status_code == 200
    resp = _check(client, txn="guess10")
    assert resp.status_code == 429
    assert "Слишком много попыток" in resp.content.decode()
    assert resp["Retry-After"] == "60"
    # another address is not limited by this one's guesses
    assert _check(client, txn="guess11", REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.usefixtures("one_window")
def test_check_is_limited_per_key_across_addresses(client, settings):
    settings.KIT_PUBLIC_RATE_MINUTE = 10
    for n in range(10):
        assert _check(client, txn="target", amount=f"{n + 1}.00", REMOTE_ADDR=f"10.0.1.{n}").status_code == 200
    assert _check(client, txn="target", amount="11.00", REMOTE_ADDR="10.0.1.99").status_code == 429


@pytest.mark.usefixtures("one_window")
def test_claim_status_has_a_daily_limit_too(client, settings):
    settings.KIT_PUBLIC_RATE_MINUTE, settings.KIT_PUBLIC_RATE_DAY = 100, 3
    for n in range(3):
        resp = client.post("/claims/status/", {"number": f"CL-2026-00000{n}", "phone": "+79161112233"})
        assert resp.status_code == 200
    resp = client.post("/claims/status/", {"number": "CL-2026-000009", "phone": "+79161112233"})
    assert resp.status_code == 429


@pytest.mark.usefixtures("one_window")
def test_a_forged_x_forwarded_for_does_not_escape_the_limit(client, settings):
    settings.KIT_PUBLIC_RATE_MINUTE = 3
    settings.KIT_BEHIND_PROXY = False
    for n in range(3):
        assert _check(client, txn=f"a{n}", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}").status_code == 200
    assert _check(client, txn="a9", HTTP_X_FORWARDED_FOR="1.2.3.9").status_code == 429


@pytest.mark.usefixtures("one_window")
def test_behind_the_proxy_the_right_most_forwarded_address_is_the_client(client, settings):
    settings.KIT_PUBLIC_RATE_MINUTE = 3
    settings.KIT_BEHIND_PROXY = True
    # The client forges the left entries; our proxy appends the real address on the right.
    for n in range(3):
        assert _check(client, txn=f"b{n}", HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, 203.0.113.7").status_code == 200
    assert _check(client, txn="b9", HTTP_X_FORWARDED_FOR="6.6.6.9, 203.0.113.7").status_code == 429
    assert _check(client, txn="b10", HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 200


def test_the_public_pages_need_no_login_and_show_the_form(client):
    for url in ("/check/", "/claims/status/"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert 'name="csrfmiddlewaretoken"' in resp.content.decode()


def test_the_public_pages_speak_english_second(client):
    page = client.get("/check/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Check a payment" in page and "Transaction number" in page
    page = client.get("/claims/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Check a claim" in page and "Phone given with the claim" in page

"""The look-ups before the cash: /phone suggests the operator, /checks asks the provider online."""

from decimal import Decimal

import pytest

from kiosk.flow import S
from providers.models import NumberRange

pytestmark = pytest.mark.django_db


def enter(h, code, account):
    assert h.flow.choose(code)
    for ch in account:
        h.flow.key(ch)


def test_a_number_of_another_operator_suggests_it_and_the_customer_can_switch(make_kiosk):
    NumberRange.objects.create(first=9160000000, last=9169999999, operator='ПАО "МТС"', inn="7740000076")
    h = make_kiosk()
    enter(h, "beeline", "9161234567")
    assert not h.flow.submit_account()
    assert (h.flow.message, h.flow.hint) == ("other_operator", {"code": "mts", "name": "МТС"})
    h.flow.accept_hint()
    assert h.flow.provider["code"] == "mts"
    assert h.flow.values["account"] == "9161234567"
    assert h.flow.submit_account()
    assert h.flow.state == S.INSERTING


def test_the_customer_may_keep_the_operator_they_chose(make_kiosk):
    NumberRange.objects.create(first=9160000000, last=9169999999, operator='ПАО "МТС"', inn="7740000076")
    h = make_kiosk()
    enter(h, "beeline", "9161234567")
    assert not h.flow.submit_account()
    assert h.flow.submit_account()  # "Next" again: the hint was seen and not taken
    assert h.store.open_session().provider == "beeline"


def test_a_provider_that_asks_online_first_refuses_an_unknown_account(make_kiosk):
    h = make_kiosk()
    enter(h, "demo-isp", "12340005")  # the simulators' "no such account"
    assert not h.flow.submit_account()
    assert h.flow.message == "declined"
    assert h.flow.state == S.ACCOUNT


def test_a_provider_that_asks_online_first_takes_cash_for_a_known_account(make_kiosk):
    h = make_kiosk()
    enter(h, "demo-isp", "12345678")
    assert h.flow.submit_account()
    assert h.flow.state == S.INSERTING
    assert not h.flow.offline


def unavailable_checks(monkeypatch):
    import payments.services.check as check

    monkeypatch.setattr(check, "payment_check",
                        lambda **kw: check.CheckResult(check.CheckStatus.UNAVAILABLE, "gateway timeout"))


def test_a_check_answered_unavailable_lets_an_offline_provider_take_cash_as_offline(make_kiosk, monkeypatch):
    unavailable_checks(monkeypatch)
    h = make_kiosk()
    enter(h, "rostelecom", "771234567890")  # asks online first; offline up to 5000.00
    assert h.flow.submit_account()
    assert h.flow.offline
    assert h.flow.max_amount == Decimal("5000.00")
    assert h.store.open_session().offline


def test_a_check_answered_unavailable_refuses_a_provider_without_offline_payments(make_kiosk, monkeypatch):
    unavailable_checks(monkeypatch)
    h = make_kiosk()
    enter(h, "demo-isp", "12345678")
    assert not h.flow.submit_account()
    assert h.flow.message == "unavailable"
    assert h.store.open_session() is None

"""The online check: the first available gateway's answer, in three words."""

from decimal import Decimal

import pytest

from payments.services.check import CheckStatus, payment_check

pytestmark = pytest.mark.django_db


def test_a_known_account_checks_ok_and_nothing_is_paid(engine, demo):
    r = payment_check(provider="dbl", account="9160000000", amount=Decimal("100.00"), dealer=demo)
    assert r.status == CheckStatus.OK
    assert [c[:2] for c in engine.book.calls] == [("alpha", "check")]
    assert engine.book.paid == {}


def test_a_declined_check_carries_the_gateways_message(engine):
    engine.book.queue("alpha", "check", "decline")
    r = payment_check(provider="dbl", account="9160000005", amount=Decimal("100.00"))
    assert (r.status, r.code, r.message) == (CheckStatus.DECLINED, "23", "no such account")


def test_a_gateway_that_does_not_answer_makes_the_check_unavailable(engine):
    engine.book.queue("alpha", "check", "timeout")
    r = payment_check(provider="dbl", account="9160000000", amount=Decimal("100.00"))
    assert r.status == CheckStatus.UNAVAILABLE


def test_an_unknown_provider_or_a_bad_account_is_declined_without_a_gateway_call(engine):
    assert payment_check(provider="nope", account="1", amount=Decimal("1")).code == "unknown_provider"
    assert payment_check(provider="dbl", account="12ab", amount=Decimal("1")).code == "account_format"
    assert engine.book.calls == []


def test_the_check_skips_a_gateway_whose_breaker_is_open(engine):
    from gateways.adapters.base import Outcome, Result
    from gateways.breaker import breaker_record

    breaker_record(engine.gw["alpha"], Result(Outcome.CONFIG, "6"))
    r = payment_check(provider="dbl", account="9160000000", amount=Decimal("10.00"))
    assert r.status == CheckStatus.OK
    assert [c[0] for c in engine.book.calls] == ["beta"]


def test_the_check_uses_a_short_read_timeout(engine, monkeypatch, settings):
    from tests.payments.doubles import DoubleAdapter

    settings.KIT_CHECK_TIMEOUT_SECONDS = 2.0
    seen = []
    real = DoubleAdapter.check

    def spy(self, order):
        seen.append(self.config.read_timeout)
        return real(self, order)

    monkeypatch.setattr(DoubleAdapter, "check", spy)
    payment_check(provider="dbl", account="9160000000", amount=Decimal("10.00"))
    assert seen == [2.0]

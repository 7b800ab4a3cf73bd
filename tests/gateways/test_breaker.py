"""Circuit breaker: opens after N consecutive technical failures, one half-open trial, closes on success."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gateways.adapters.base import Outcome, Result
from gateways.breaker import breaker_allows, breaker_record, health
from gateways.models import Gateway

pytestmark = pytest.mark.django_db

RETRY = Result(Outcome.RETRY, "transport", "not sent")
TIMEOUT = Result(Outcome.UNKNOWN, "transport", "no reply")
PENDING = Result(Outcome.UNKNOWN, "20", "payment is being completed")
OK = Result(Outcome.OK, "0")
DECLINED = Result(Outcome.DECLINED, "23")


@pytest.fixture
def gw(db, settings):
    settings.KIT_BREAKER_THRESHOLD = 10
    settings.KIT_BREAKER_COOLDOWN_SECONDS = 30
    return Gateway.objects.create(code="g1", name="G1", protocol="cyberplat", base_url="http://g1.invalid/")


def test_the_breaker_opens_after_ten_consecutive_technical_failures(gw):
    now = timezone.now()
    for _ in range(9):
        breaker_record(gw, RETRY, now=now)
    assert health(gw.pk).state == "closed" and breaker_allows(gw, now=now)
    breaker_record(gw, TIMEOUT, now=now)
    h = health(gw.pk)
    assert (h.state, h.failures) == ("open", 10)
    assert h.last_error.startswith("unknown:transport")
    assert not breaker_allows(gw, now=now + timedelta(seconds=29))


def test_an_answer_in_between_resets_the_count(gw):
    for _ in range(9):
        breaker_record(gw, RETRY)
    breaker_record(gw, DECLINED)  # the gateway is up and talking
    breaker_record(gw, RETRY)
    assert (health(gw.pk).state, health(gw.pk).failures) == ("closed", 1)


def test_a_pending_status_is_not_a_technical_failure(gw):
    for _ in range(12):
        breaker_record(gw, PENDING)
    assert health(gw.pk).state == "closed"


def test_a_configuration_error_opens_the_breaker_at_once_and_logs_an_error(gw, caplog):
    with caplog.at_level("ERROR"):
        breaker_record(gw, Result(Outcome.CONFIG, "6", "bad signature"))
    assert health(gw.pk).state == "open"
    assert any(r.levelname == "ERROR" and "g1" in r.getMessage() for r in caplog.records)


def test_after_the_cooldown_exactly_one_trial_goes_through_and_its_success_closes_the_breaker(gw):
    now = timezone.now()
    for _ in range(10):
        breaker_record(gw, RETRY, now=now)
    later = now + timedelta(seconds=30)
    assert breaker_allows(gw, now=later) is True
    assert health(gw.pk).state == "half_open"
    assert breaker_allows(gw, now=later) is False  # one trial only
    breaker_record(gw, OK, now=later)
    h = health(gw.pk)
    assert (h.state, h.failures) == ("closed", 0)
    assert breaker_allows(gw, now=later)


def test_a_failed_trial_opens_the_breaker_again(gw):
    now = timezone.now()
    for _ in range(10):
        breaker_record(gw, RETRY, now=now)
    later = now + timedelta(seconds=31)
    assert breaker_allows(gw, now=later)
    breaker_record(gw, RETRY, now=later)
    h = health(gw.pk)
    assert h.state == "open" and h.opened_at == later
    assert not breaker_allows(gw, now=later + timedelta(seconds=29))
    assert breaker_allows(gw, now=later + timedelta(seconds=30))


def test_a_trial_that_never_reports_back_is_given_again_later(gw):
    now = timezone.now()
    for _ in range(10):
        breaker_record(gw, RETRY, now=now)
    assert breaker_allows(gw, now=now + timedelta(seconds=30))
    assert not breaker_allows(gw, now=now + timedelta(seconds=60))
    assert breaker_allows(gw, now=now + timedelta(seconds=200))

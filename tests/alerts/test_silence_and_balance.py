"""Offline from silence alone (a frozen clock, no heartbeat arrives) and the dealer's low balance."""

from datetime import timedelta
from decimal import Decimal

import pytest

from alerts.catalogue import Code
from alerts.models import Alert
from alerts.services import (
    alerts_balance_sweep,
    alerts_from_heartbeat,
    alerts_offline_sweep,
    balance_alert_check,
)
from terminals.models import Terminal

from .conftest import T0

pytestmark = pytest.mark.django_db


def _seen(terminal, at):
    Terminal.objects.filter(pk=terminal.pk).update(last_seen=at)


def test_a_terminal_silent_longer_than_the_limit_goes_offline_once(terminal, settings):
    settings.KIT_OFFLINE_MINUTES = 10
    Terminal.objects.exclude(pk=terminal.pk).update(last_seen=None)
    _seen(terminal, T0)
    assert alerts_offline_sweep(now=T0 + timedelta(minutes=10)) == 0
    assert alerts_offline_sweep(now=T0 + timedelta(minutes=10, seconds=1)) == 1
    assert alerts_offline_sweep(now=T0 + timedelta(minutes=20)) == 0
    alert = Alert.objects.get(code=Code.OFFLINE)
    assert (alert.terminal_id, alert.dealer_id, alert.opened_at, alert.closed_at) == (
        terminal.pk, terminal.dealer_id, T0 + timedelta(minutes=10, seconds=1), None)


def test_a_heartbeat_closes_the_offline_alert(terminal, settings):
    settings.KIT_OFFLINE_MINUTES = 10
    _seen(terminal, T0)
    alerts_offline_sweep(now=T0 + timedelta(minutes=11))
    alerts_from_heartbeat(terminal=terminal, content={}, now=T0 + timedelta(minutes=12))
    assert Alert.objects.get(terminal=terminal, code=Code.OFFLINE).closed_at == T0 + timedelta(minutes=12)


def test_the_sweep_closes_offline_for_a_terminal_heard_since(terminal, settings):
    settings.KIT_OFFLINE_MINUTES = 10
    _seen(terminal, T0)
    alerts_offline_sweep(now=T0 + timedelta(minutes=11))
    _seen(terminal, T0 + timedelta(minutes=12))
    alerts_offline_sweep(now=T0 + timedelta(minutes=13))
    assert Alert.objects.get(terminal=terminal, code=Code.OFFLINE).closed_at == T0 + timedelta(minutes=13)


def test_a_never_enrolled_terminal_is_not_offline(terminal):
    Terminal.objects.update(last_seen=None)
    assert alerts_offline_sweep(now=T0) == 0
    assert Alert.objects.count() == 0


def test_balance_below_the_threshold_opens_once_and_closes_when_it_rises(demo, settings):
    settings.KIT_ALERT_BALANCE_THRESHOLD = "2000000.00"
    demo.refresh_from_db()
    assert demo.balance + demo.credit_limit < Decimal("2000000.00")
    assert balance_alert_check(dealer=demo, now=T0) is not None
    assert balance_alert_check(dealer=demo, now=T0 + timedelta(minutes=1)) is None
    settings.KIT_ALERT_BALANCE_THRESHOLD = "10.00"
    balance_alert_check(dealer=demo, now=T0 + timedelta(minutes=5))
    rows = list(Alert.objects.filter(dealer=demo, code=Code.BALANCE_LOW).values_list("terminal", "opened_at",
                                                                                       "closed_at"))
    assert rows == [(None, T0, T0 + timedelta(minutes=5))]


def test_a_dealers_own_threshold_wins_over_the_default(demo, settings):
    from dealers.services import balance_alert_set

    settings.KIT_ALERT_BALANCE_THRESHOLD = "10.00"
    balance_alert_set(dealer=demo, threshold="99999999.00")  # the cabinet's threshold form
    assert balance_alert_check(dealer=demo, now=T0).detail == {
        "available": str(demo.balance + demo.credit_limit), "threshold": "99999999.00"}


def test_a_dealers_own_zero_turns_the_alert_off_whatever_the_default(demo, demo_sub, settings):
    from dealers.services import balance_alert_set

    settings.KIT_ALERT_BALANCE_THRESHOLD = "99999999.00"
    balance_alert_set(dealer=demo_sub, threshold="0")
    assert balance_alert_check(dealer=demo_sub, now=T0) is None
    assert alerts_balance_sweep(now=T0) == 1  # Demo, on the default; Demo Sub is off
    assert list(Alert.objects.values_list("dealer__name", flat=True)) == ["Demo"]


def test_a_default_threshold_that_is_not_an_amount_is_no_threshold(demo, settings, caplog):
    settings.KIT_ALERT_BALANCE_THRESHOLD = "lots"
    assert alerts_balance_sweep(now=T0) == 0
    assert Alert.objects.count() == 0 and "KIT_ALERT_BALANCE_THRESHOLD='lots'" in caplog.text


def test_no_threshold_means_no_balance_alert(world, settings):
    settings.KIT_ALERT_BALANCE_THRESHOLD = ""
    assert alerts_balance_sweep(now=T0) == 0
    assert Alert.objects.count() == 0


def test_the_balance_sweep_opens_and_closes_with_the_crossing(demo, demo_sub, settings):
    settings.KIT_ALERT_BALANCE_THRESHOLD = "500000.00"
    assert alerts_balance_sweep(now=T0) == 1  # Demo Sub (100,000) only; Demo has 1,000,000
    assert alerts_balance_sweep(now=T0 + timedelta(minutes=1)) == 0
    settings.KIT_ALERT_BALANCE_THRESHOLD = "1000.00"
    alerts_balance_sweep(now=T0 + timedelta(minutes=2))
    assert list(Alert.objects.values_list("dealer__name", "opened_at", "closed_at")) == [
        ("Demo Sub", T0, T0 + timedelta(minutes=2))]


def test_a_long_silent_terminal_costs_the_sweep_no_writes(terminal, settings, django_assert_num_queries):
    settings.KIT_OFFLINE_MINUTES = 10
    Terminal.objects.exclude(pk=terminal.pk).update(last_seen=None)
    _seen(terminal, T0)
    alerts_offline_sweep(now=T0 + timedelta(minutes=11))
    with django_assert_num_queries(2):  # the silent ones without an open alert; closing the heard ones
        assert alerts_offline_sweep(now=T0 + timedelta(minutes=12)) == 0

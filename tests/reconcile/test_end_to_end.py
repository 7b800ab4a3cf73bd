"""Reconciliation of what the real engine and the real simulators did: a clean day, then a
tampered simulator book is caught.

Real adapters and simulators (in-process), the demo routes, the engine driven by the
captured broker and movable clock of tests/payments (as tests/gateways/test_osmp_engine.py).
"""

import datetime as dt

import pytest

from gateways.models import Gateway
from gateways.reconcile.services import reconciliation_run
from gateways.simulators.models import SimRecord
from payments.models import Attempt
from tests.payments.conftest import Broker, Clock, Engine

from .conftest import MSK

# provider -> the account prefix its format wants (the last four digits are magic)
PROVIDERS = [("mts", "916123"), ("beeline", "903123"), ("megafon", "926123"), ("tele2", "977123"),
             ("rostelecom", "77123456"), ("demo-isp", "1234")]
SUFFIXES = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "5678"]


@pytest.fixture
def run(world, monkeypatch):
    from django.utils import timezone

    from payments import tasks

    clock = Clock(timezone.now)
    # Late morning, Moscow, of a day to come: the whole scenario stays within one day.
    tomorrow = timezone.now().astimezone(MSK).date() + dt.timedelta(days=1)
    clock.to(dt.datetime.combine(tomorrow, dt.time(10, 0), tzinfo=MSK))
    monkeypatch.setattr(timezone, "now", clock.now)
    broker = Broker()
    for task in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held):
        monkeypatch.setattr(task, "apply_async", broker.sender(task.name))
    return Engine(world, clock, broker, world["providers"][0], world["gateways"])


@pytest.fixture
def day_of_payments(run):
    from django.utils import timezone

    day = timezone.now().astimezone(MSK).date()
    for provider, prefix in PROVIDERS:
        for suffix in SUFFIXES:
            run.drive(run.accept(account=prefix + suffix, amount="150.00", provider=provider))
    assert timezone.now().astimezone(MSK).date() == day
    return day


def test_a_day_of_every_magic_account_on_every_gateway_reconciles_clean(day_of_payments):
    used = set(Attempt.objects.values_list("gateway_id", flat=True))
    assert len(used) >= 5
    for gateway in Gateway.objects.filter(pk__in=used):
        rec = reconciliation_run(gateway=gateway, day=day_of_payments)
        found = list(rec.discrepancies.values_list("kind", "key", "their_status", "our_status"))
        assert (gateway.code, rec.status, found) == (gateway.code, "reconciled", [])
        assert rec.their_count > 0 and rec.matched_count == rec.our_count > 0


def test_a_tampered_simulator_book_is_caught(day_of_payments):
    from decimal import Decimal

    osmp = Gateway.objects.get(code="osmp")
    paid = list(SimRecord.objects.filter(code="osmp", state="paid").order_by("id")[:2])
    SimRecord.objects.filter(pk=paid[0].pk).update(amount=Decimal("151.00"))
    SimRecord.objects.filter(pk=paid[1].pk).delete()
    rec = reconciliation_run(gateway=osmp, day=day_of_payments)
    assert sorted(rec.discrepancies.values_list("kind", "key")) == sorted(
        [("amount_differs", paid[0].key), ("missing_theirs", paid[1].key)])

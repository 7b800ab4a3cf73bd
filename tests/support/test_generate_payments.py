"""generate_payments: N payments spread over terminals, providers, statuses and days, each with its events."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_it_writes_n_payments_with_their_events_and_attempts(world):
    from payments.models import Attempt, Event, Payment

    call_command("generate_payments", "400", days=30, seed=5)
    assert Payment.objects.count() == 400
    # Every payment has at least its acceptance event; those that reached a gateway have attempts.
    assert Event.objects.values("payment").distinct().count() == 400
    assert Attempt.objects.filter(payment__status="succeeded").values("payment").distinct().count() == \
        Payment.objects.filter(status="succeeded").count()
    oldest = Payment.objects.order_by("paid_at").first().paid_at
    assert oldest >= timezone.now() - timedelta(days=30, minutes=1)


def test_it_spreads_over_terminals_providers_and_statuses(world):
    from payments.models import Payment

    call_command("generate_payments", "2000", seed=6)
    assert Payment.objects.values("terminal").distinct().count() >= 50
    assert Payment.objects.values("dealer").distinct().count() >= 10
    assert Payment.objects.values("provider").distinct().count() == 7
    statuses = dict(Payment.objects.values_list("status").annotate(n=Count("id")))
    assert statuses["succeeded"] > 1800
    assert {"failed", "held", "processing"} <= set(statuses)


def test_a_second_run_adds_more_without_reusing_a_txn(world):
    from payments.models import Payment

    call_command("generate_payments", "300", seed=7)
    call_command("generate_payments", "300", seed=7)
    assert Payment.objects.count() == 600
    assert Payment.objects.values("terminal", "txn").distinct().count() == 600


def test_it_refuses_without_a_catalogue(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("generate_payments", "10")

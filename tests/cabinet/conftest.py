"""Cabinet fixtures: payments written straight into the table at a chosen time, logged-in clients."""

import itertools
from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

_txn = itertools.count(1)
MSK = __import__("zoneinfo").ZoneInfo("Europe/Moscow")


@pytest.fixture
def make_payment(world):
    """make_payment(terminal, amount, status=..., at=aware datetime, ...) -> Payment (an event row too)."""
    from payments.models import Event, Payment
    from providers.models import Provider

    mts = Provider.objects.get(code="mts")

    def make(terminal, amount, *, status="succeeded", at=None, provider=None, fee="0.00", credited=None,
             reward="0.00", account="9161234567", reason=""):
        provider = provider or mts
        n = next(_txn)
        at = at or timezone.now()
        p = Payment.objects.create(
            terminal=terminal, dealer_id=terminal.dealer_id, txn=str(n), provider=provider,
            provider_code=provider.code, account=account, amount=Decimal(amount), fee=Decimal(fee),
            credited=Decimal(credited if credited is not None else Decimal(amount) - Decimal(fee)),
            reward=Decimal(reward), status=status, reason=reason, content_hash=f"h{n}",
            cheque_number=f"{terminal.number}-{n}", paid_at=at)
        Payment.objects.filter(pk=p.pk).update(received_at=at)
        p.received_at = at
        Event.objects.create(payment=p, from_status="", to_status=status, reason=reason,
                             actor=f"terminal:{terminal.number}")
        return p

    return make


def msk(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=MSK)


@pytest.fixture
def dealer_client(client, world):
    client.login(username="dealer", password="kit-demo")
    return client


@pytest.fixture
def terminals(world):
    from terminals.models import Terminal

    return {t.number: t for t in Terminal.objects.select_related("dealer")}

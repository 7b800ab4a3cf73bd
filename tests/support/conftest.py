"""Support fixtures: payments written straight into the table (with an event and, when asked, an attempt)."""

import itertools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

MSK = ZoneInfo("Europe/Moscow")
_n = itertools.count(1)


def msk(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=MSK)


@pytest.fixture
def pay(world):
    """pay(terminal_number, txn, amount="500.00", status=..., reason=..., account=..., at=..., attempts=[...])."""
    from gateways.models import Gateway
    from payments.models import Attempt, Event, Payment
    from providers.models import Provider
    from terminals.models import Terminal

    def make(terminal="1001", txn=None, amount="500.00", *, status="succeeded", reason="", account="9161234567",
             at=None, provider="mts", gateway=None, attempts=(), received=None):
        t = Terminal.objects.get(number=terminal)
        prov = Provider.objects.get(code=provider)
        txn = txn or str(10_000 + next(_n))
        at = at or timezone.now()
        gw = Gateway.objects.get(code=gateway) if gateway else None
        p = Payment.objects.create(
            terminal=t, dealer_id=t.dealer_id, txn=txn, provider=prov, provider_code=prov.code, account=account,
            amount=Decimal(amount), credited=Decimal(amount), status=status, reason=reason,
            content_hash=f"h{txn}", cheque_number=f"{terminal}-{txn}", paid_at=at, gateway=gw)
        Payment.objects.filter(pk=p.pk).update(received_at=received or at)
        p.refresh_from_db()
        Event.objects.create(payment=p, from_status="", to_status=status, reason=reason, actor=f"terminal:{terminal}")
        for a in attempts:
            Attempt.objects.create(payment=p, gateway=gw or Gateway.objects.get(code="cyberplat"), **a)
        return p

    return make


@pytest.fixture
def support_client(client, world):
    client.login(username="support", password="kit-demo")
    return client

"""Reconciliation set-up: payments, attempts and simulator records built directly with the ORM."""

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

MSK = ZoneInfo("Europe/Moscow")
DAY = dt.date(2026, 11, 20)
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=MSK)

_txn = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The demo users' password hashing dominates set-up; force_login never checks a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def day():
    return DAY


@pytest.fixture
def cyberplat(world):
    return world["gateways"]["cyberplat"]


@pytest.fixture
def real_gateway(world):
    from gateways.models import Gateway

    return Gateway.objects.create(code="realgw", name="Real gateway", protocol="osmp",
                                  base_url="https://gateway.example.org/api/")


@pytest.fixture
def pay(terminal):
    """pay(key, status, credited, gateway, outcome=..., account=..., at=...) -> (payment, attempt)."""
    from payments.models import Attempt, Payment

    def make(key, *, gateway, status="succeeded", credited="100.00", outcome="ok", state="closed",
             account="9161234567", at=NOON, payment=None):
        if payment is None:
            n = next(_txn)
            payment = Payment.objects.create(
                terminal=terminal, dealer=terminal.dealer, txn=f"rec{n}", provider_code="mts", account=account,
                amount=Decimal(credited), credited=Decimal(credited), status=status, content_hash=f"h{n}",
                cheque_number=f"1001-{n}", paid_at=at, gateway=gateway)
        attempt = Attempt.objects.create(payment=payment, gateway=gateway, attempt_id=key, state=state,
                                         outcome=outcome)
        Attempt.objects.filter(pk=attempt.pk).update(started_at=at, finished_at=at)
        attempt.refresh_from_db()
        return payment, attempt

    return make


@pytest.fixture
def book():
    """book(code, key, state, amount, account=..., at=...): a row in the simulator's own record."""
    from gateways.simulators.models import SimRecord

    def make(code, key, state="paid", amount="100.00", *, account="9161234567", at=NOON, upstream_id=""):
        rec = SimRecord.objects.create(code=code, key=key, state=state, account=account,
                                       amount=None if amount is None else Decimal(amount),
                                       amount_all=None if amount is None else Decimal(amount),
                                       upstream_id=upstream_id or f"U{key}")
        SimRecord.objects.filter(pk=rec.pk).update(created_at=at)
        return rec

    return make

"""Dealer-money fixtures: a three-level chain Demo -> Demo Sub -> Third with terminal 3001 at the bottom,
and payments in `processing` that the engine's own success and failure functions finish."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

_txn = itertools.count(1)


@pytest.fixture
def mts(world):
    from providers.models import Provider

    return Provider.objects.get(code="mts")


@pytest.fixture
def third(world, demo, demo_sub, mts):
    """Demo (its own mts rule 2.000 % + 0.50) -> Demo Sub (1.500 % + 0.30) -> Third (1.000 % + 0.20)."""
    from dealers.services import agent_create, agent_rate_set
    from providers.models import RewardRule
    from providers.services import rule_save
    from terminals.models import Terminal

    rule_save(rule=RewardRule(provider=mts, dealer=demo, percent=Decimal("2.000"), fixed=Decimal("0.50"),
                              valid_from=timezone.now() - timedelta(days=1)))
    agent_rate_set(agent=demo_sub, provider=mts, percent="1.500", fixed="0.30")
    dealer = agent_create(parent=demo_sub, name="Third", inn="7700000003")
    agent_rate_set(agent=dealer, provider=mts, percent="1.000", fixed="0.20")
    terminal = Terminal.objects.create(number="3001", dealer=dealer)
    terminal.providers.add(mts)
    dealer.terminal = terminal
    return dealer


@pytest.fixture
def processing(mts):
    """processing(terminal, "100.00") -> a payment in `processing`, paid now, its credited sum debited."""
    from dealers.models import LedgerEntry
    from dealers.services import ledger_post
    from payments.models import Event, Payment

    def make(terminal, amount, *, credited=None):
        n = next(_txn)
        with transaction.atomic():
            p = Payment.objects.create(
                terminal=terminal, dealer_id=terminal.dealer_id, txn=f"r{n}", provider=mts, provider_code="mts",
                account="9161234567", amount=Decimal(amount), credited=Decimal(credited or amount),
                status="processing", content_hash=f"r{n}", cheque_number=f"{terminal.number}-r{n}",
                paid_at=timezone.now())
            Event.objects.create(payment=p, from_status="", to_status="processing", actor="test")
            ledger_post(dealer_id=terminal.dealer_id, kind=LedgerEntry.Kind.PAYMENT_DEBIT, amount=-p.credited,
                        payment=p)
        return p

    return make


def succeed(payment):
    from payments.services import engine

    with transaction.atomic():
        assert engine.succeed(payment, actor="worker", detail={})
    return payment


def fail(payment):
    from payments.services import engine

    with transaction.atomic():
        assert engine.fail(payment, reason="declined", actor="worker", detail={})
    return payment


def shares(payment) -> dict:
    from dealers.models import Reward

    return {r.dealer.name: (r.level, r.amount, r.state) for r in Reward.objects.filter(payment=payment)
            .select_related("dealer")}


def reward_entries(dealer) -> list:
    from dealers.models import LedgerEntry

    return list(LedgerEntry.objects.filter(dealer=dealer, kind="reward").order_by("pk").values_list("amount", flat=True))

"""Claims fixtures: payments written straight into the table, a claim registered through the service."""

import itertools
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

MSK = ZoneInfo("Europe/Moscow")
_txn = itertools.count(5000)


def msk(y, m, d, hh=12, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=MSK)


@pytest.fixture(autouse=True)
def _private_root(settings, tmp_path):
    settings.KIT_PRIVATE_ROOT = str(tmp_path / "private")


@pytest.fixture
def make_payment(world):
    """make_payment(terminal_number, amount, status=..., txn=..., account=...) -> Payment with its event."""
    from payments.models import Event, Payment
    from providers.models import Provider
    from terminals.models import Terminal

    mts = Provider.objects.get(code="mts")

    def make(number="1001", amount="100.00", *, status="failed", txn=None, account="9161234567", at=None):
        terminal = Terminal.objects.get(number=number)
        txn = txn or str(next(_txn))
        p = Payment.objects.create(
            terminal=terminal, dealer_id=terminal.dealer_id, txn=txn, provider=mts, provider_code="mts",
            account=account, amount=Decimal(amount), credited=Decimal(amount), status=status,
            content_hash=f"h{txn}", cheque_number=f"{number}-{txn}", paid_at=at or timezone.now())
        Event.objects.create(payment=p, from_status="", to_status=status, actor=f"terminal:{number}")
        return p

    return make


@pytest.fixture
def register(support_user):
    """register(payment=..., **overrides) -> Claim, through claims.services.claim_register."""
    from claims.services import Cheque, claim_register

    def reg(payment=None, *, received_at=None, phone="+79161234567", name="Иванов Иван Иванович", **kw):
        cheque = kw.pop("cheque", None) or Cheque(
            terminal=payment.terminal.number if payment else "1001", txn=payment.txn if payment else "no-such",
            amount=payment.amount if payment else Decimal("100.00"), account="9161234567")
        return claim_register(user=kw.pop("user", support_user), payment=payment, customer_name=name,
                              customer_phone=phone, ask=kw.pop("ask", "credit"),
                              text=kw.pop("text", "Деньги не пришли на счёт."),
                              received_at=received_at or timezone.now(), cheque=cheque, **kw)

    return reg

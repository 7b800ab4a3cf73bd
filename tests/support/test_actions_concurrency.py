"""Real row locks (PostgreSQL): an action pressed twice at once, or approved by two seniors at once, runs once."""

import threading
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import timezone

from dealers.models import Dealer, LedgerEntry
from payments.errors import ActionRefused
from payments.models import Event, Payment
from support.models import ActionRequest, AuditEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def together(n, fn):
    """Run fn(i) in n threads released at once; return (results, refusals)."""
    barrier = threading.Barrier(n)
    results, refused, errors = [None] * n, [], []

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
        except ActionRefused as exc:
            refused.append(exc.code)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results, refused


def failed_payment(terminal, amount: str) -> Payment:
    """A payment that was debited, failed and credited back, as the engine leaves it."""
    from django.db import transaction

    from dealers.services import ledger_post

    with transaction.atomic():
        p = Payment.objects.create(terminal=terminal, dealer_id=terminal.dealer_id, txn="31337", provider_code="mts",
                                   account="9161234567", amount=Decimal(amount), credited=Decimal(amount),
                                   status="failed", reason="declined", content_hash="c", cheque_number="1001-31337",
                                   paid_at=timezone.now())
        Event.objects.create(payment=p, to_status="failed", reason="declined", actor="worker")
        ledger_post(dealer_id=p.dealer_id, kind="payment_debit", amount=-Decimal(amount), payment=p)
        ledger_post(dealer_id=p.dealer_id, kind="payment_credit", amount=Decimal(amount), payment=p)
    return p


def assert_balance_is_the_ledger_sum(name="Demo"):
    dealer = Dealer.objects.get(name=name)
    total = sum(LedgerEntry.objects.filter(dealer=dealer).values_list("amount", flat=True), Decimal("0"))
    assert dealer.balance == total


def test_cancel_pressed_twice_at_once_cancels_once_and_moves_the_ledger_zero_times(terminal, senior_user):
    from support.approvals import action_request

    p = failed_payment(terminal, "300.00")
    entries = LedgerEntry.objects.filter(payment=p).count()
    start = Dealer.objects.get(name="Demo").balance
    done, refused = together(2, lambda i: action_request(user=senior_user, action="cancel", payment_id=p.pk,
                                                        comment="cash given back"))
    p.refresh_from_db()
    assert p.status == "cancelled"
    assert refused == ["state_not_allowed"]
    assert LedgerEntry.objects.filter(payment=p).count() == entries == 2
    assert Dealer.objects.get(name="Demo").balance == start
    assert Event.objects.filter(payment=p, to_status="cancelled").count() == 1
    assert AuditEntry.objects.filter(payment=p, action="cancel").count() == 1
    assert_balance_is_the_ledger_sum()


def test_two_seniors_approving_one_request_at_once_run_it_once(terminal, support_user, senior_user):
    from support.approvals import action_approve, action_request

    second = get_user_model().objects.create_user("senior2", password="kit-demo")
    second.groups.add(Group.objects.get(name="senior support"))
    p = failed_payment(terminal, "300.00")
    asked = action_request(user=support_user, action="resend", payment_id=p.pk, comment="x")
    assert not asked.waiting  # support resends alone; cancel is what waits
    p.refresh_from_db()
    q = Payment.objects.create(terminal=terminal, dealer_id=terminal.dealer_id, txn="31338", provider_code="mts",
                               account="9161234567", amount=Decimal("6000.00"), credited=Decimal("6000.00"),
                               status="held", reason="insufficient_balance", content_hash="d",
                               cheque_number="1001-31338", paid_at=timezone.now())
    Event.objects.create(payment=q, to_status="held", reason="insufficient_balance", actor="terminal:1001")
    asked = action_request(user=support_user, action="cancel", payment_id=q.pk, comment="cash back")
    users = [senior_user, second]
    done, refused = together(2, lambda i: action_approve(request_id=asked.request.pk, user=users[i], comment="ok"))
    q.refresh_from_db()
    assert q.status == "cancelled"
    assert refused == ["request_not_pending"]
    assert ActionRequest.objects.get(pk=asked.request.pk).state == "done"
    assert AuditEntry.objects.filter(payment=q, action="cancel").count() == 1
    assert not LedgerEntry.objects.filter(payment=q).exists()
    assert_balance_is_the_ledger_sum()

"""Real row locks (PostgreSQL): concurrent posts, workers and sweepers never double a payment."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from dealers.models import LedgerEntry
from gateways.simulators.base import accepted
from payments.models import Attempt, Payment
from payments.services import PaymentRequest, payment_accept
from payments.services.submit import payment_submit
from payments.services.sweep import payment_sweep

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def together(n, fn):
    """Run fn(i) in n threads released at once; return results (exceptions re-raised)."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = fn(i)
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
    return results


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    """The threads play the workers; nothing goes to a real broker."""
    from payments import tasks

    for task in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held):
        monkeypatch.setattr(task, "apply_async", lambda *a, **k: None)


def test_fifty_concurrent_posts_of_one_txn_make_one_payment_one_debit_and_one_upstream_payment(terminal):
    req = PaymentRequest(txn="500500", provider_code="mts", account="9165550000", amount=Decimal("100.00"),
                         paid_at=timezone.now())

    def post_then_work(i):
        payment, _ = payment_accept(terminal=terminal, request=req)
        payment_submit(payment_id=payment.pk)  # every thread also plays a worker with its message
        return payment.pk

    ids = together(50, post_then_work)
    assert len(set(ids)) == 1
    p = Payment.objects.get(pk=ids[0])
    assert p.status == "succeeded"
    assert Payment.objects.filter(terminal=terminal, txn="500500").count() == 1
    assert LedgerEntry.objects.filter(payment=p, kind="payment_debit").count() == 1
    assert Attempt.objects.filter(payment=p).count() == 1
    assert accepted("cyberplat").filter(account="9165550000", state="paid").count() == 1


def test_twenty_workers_on_one_payment_send_it_once(terminal):
    req = PaymentRequest(txn="600600", provider_code="mts", account="9166660000", amount=Decimal("50.00"),
                         paid_at=timezone.now())
    p, _ = payment_accept(terminal=terminal, request=req)
    together(20, lambda i: payment_submit(payment_id=p.pk))
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert Attempt.objects.filter(payment=p).count() == 1
    assert accepted("cyberplat").filter(account="9166660000", state="paid").count() == 1


def test_concurrent_sweepers_enqueue_a_due_payment_once(terminal, monkeypatch):
    from payments import tasks

    sent = []
    lock = threading.Lock()

    def record(args=(), **kw):
        with lock:
            sent.append(tuple(args))

    monkeypatch.setattr(tasks.submit_payment, "apply_async", record)
    monkeypatch.setattr("payments.services.sweep.queue_depth", lambda queue: 0)  # nothing waits in the queue
    req = PaymentRequest(txn="700700", provider_code="mts", account="9167770000", amount=Decimal("50.00"),
                         paid_at=timezone.now())
    p, _ = payment_accept(terminal=terminal, request=req)
    sent.clear()  # the on-commit message of the acceptance itself
    later = timezone.now() + timedelta(minutes=5)
    together(10, lambda i: payment_sweep(now=later))
    assert sent == [(p.pk,)]

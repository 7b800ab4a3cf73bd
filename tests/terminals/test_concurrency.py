"""Real concurrency against PostgreSQL: the (terminal, txn) constraint is the idempotency key."""

import threading

import pytest
from django.db import connection

from kiosk.client import KioskClient
from payments.models import Event, Payment

from .conftest import payment

THREADS = 50


def _race(transport, key, docs):
    barrier = threading.Barrier(len(docs))
    answers = [None] * len(docs)

    def post(i):
        try:
            with KioskClient("http://testserver", "1001", key, transport=transport) as client:
                barrier.wait(timeout=30)
                r = client.post_payment(docs[i])
                answers[i] = (r.status_code, r.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(docs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_posts_of_one_txn_make_exactly_one_payment(kiosk, transport):
    answers = _race(transport, kiosk.key, [payment(txn="4242")] * THREADS)
    statuses = sorted(a[0] for a in answers)
    assert statuses == [200] * (THREADS - 1) + [201]
    p = Payment.objects.get(terminal__number="1001", txn="4242")
    assert {a[1]["id"] for a in answers} == {p.pk}
    assert Payment.objects.filter(txn="4242").count() == 1
    assert Event.objects.filter(payment=p).count() == 1
    assert p.ledger_entries.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_txn_with_other_content_get_409(kiosk, transport):
    docs = [payment(txn="77", amount=f"{10 + i % 2}.00") for i in range(20)]
    answers = _race(transport, kiosk.key, docs)
    winner = Payment.objects.get(txn="77")
    for doc, (status, body) in zip(docs, answers, strict=True):
        if doc["amount"] == f"{winner.amount:.2f}":
            assert status in (200, 201)
            assert body["id"] == winner.pk
        else:
            assert (status, body["error"]["code"]) == (409, "txn_conflict")

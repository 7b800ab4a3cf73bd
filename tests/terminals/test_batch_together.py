"""A batch accepted together writes what the same payments posted one by one would write."""

from decimal import Decimal

import pytest

from dealers.models import Dealer, LedgerEntry
from payments.models import Event, Payment
from terminals.models import Terminal

from .conftest import payment


def rows(txns):
    """What acceptance wrote for these txns, without ids and times."""
    out = []
    for p in Payment.objects.filter(txn__in=txns).order_by("txn"):
        ledger = list(LedgerEntry.objects.filter(payment=p).values_list("kind", "amount", "comment"))
        events = list(Event.objects.filter(payment=p).values_list("from_status", "to_status", "reason", "actor",
                                                                  "detail"))
        out.append((p.txn[1:], p.status, p.reason, p.amount, p.fee, p.credited, p.reward, p.flags, p.account,
                    p.provider_code, p.content_hash != "", p.finished_at is None, p.leased_until is None,
                    ledger and [(k, a) for k, a, _ in ledger], events))
    return out


def mixed(prefix):
    return [payment(txn=f"{prefix}1"), payment(txn=f"{prefix}2", provider="nope"),
            payment(txn=f"{prefix}3", account="12"), payment(txn=f"{prefix}4", amount="250.00")]


def test_the_batch_path_writes_the_same_rows_as_single_posts(kiosk):
    for item in mixed("1"):
        kiosk.post_payment(item)
    assert [r["http_status"] for r in kiosk.post_batch(mixed("2")).json()["results"]] == [201] * 4
    single, batch = rows(["11", "12", "13", "14"]), rows(["21", "22", "23", "24"])
    assert [r[1] for r in batch] == ["accepted", "failed", "failed", "accepted"]
    assert batch == single


def test_balance_after_reads_as_posted_in_order(kiosk, terminal):
    before = Dealer.objects.get(pk=terminal.dealer_id).balance
    kiosk.post_batch([payment(txn="1", amount="100.00"), payment(txn="2", amount="250.00")])
    entries = list(LedgerEntry.objects.filter(payment__txn__in=["1", "2"]).order_by("payment__txn")
                   .values_list("amount", "balance_after"))
    assert entries == [(Decimal("-100.00"), before - Decimal("100.00")),
                       (Decimal("-250.00"), before - Decimal("350.00"))]
    assert Dealer.objects.get(pk=terminal.dealer_id).balance == before - Decimal("350.00")


def test_repeats_answer_first_and_other_content_is_409_inside_one_batch(kiosk):
    kiosk.post_payment(payment(txn="1"))
    results = kiosk.post_batch([payment(txn="1"), payment(txn="1", amount="200.00"), payment(txn="2"),
                                payment(txn="2"), payment(txn="2", account="9160000009")]).json()["results"]
    assert [r["http_status"] for r in results] == [200, 409, 201, 200, 409]
    assert results[1]["body"]["error"]["code"] == "txn_conflict"
    assert Payment.objects.filter(txn="2").count() == 1


def test_a_batch_beyond_the_balance_debits_in_order_and_holds_what_does_not_fit(kiosk, terminal):
    Dealer.objects.filter(pk=terminal.dealer_id).update(balance=Decimal("300.00"), credit_limit=Decimal("0"))
    results = kiosk.post_batch([payment(txn="1", amount="200.00"), payment(txn="2", amount="200.00"),
                                payment(txn="3", amount="100.00")]).json()["results"]
    assert [r["body"]["status"] for r in results] == ["accepted", "held", "accepted"]
    assert Payment.objects.get(txn="2").reason == "insufficient_balance"
    assert Dealer.objects.get(pk=terminal.dealer_id).balance == Decimal("0.00")
    assert list(Event.objects.filter(payment__txn="2").values_list("to_status", "reason")) == [
        ("held", "insufficient_balance")]


def test_a_blocked_terminals_batch_is_recorded_held(kiosk, terminal):
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    results = kiosk.post_batch([payment(txn="1"), payment(txn="2")]).json()["results"]
    assert [(r["http_status"], r["body"]["status"]) for r in results] == [(201, "held"), (201, "held")]
    assert set(Payment.objects.values_list("reason", flat=True)) == {"terminal_blocked"}
    assert not LedgerEntry.objects.filter(payment__txn__in=["1", "2"]).exists()


def _race_batches(transport, key, batches):
    import threading

    from django.db import connection

    from kiosk.client import KioskClient

    barrier = threading.Barrier(len(batches))
    answers = [None] * len(batches)

    def post(i):
        try:
            with KioskClient("http://testserver", "1001", key, transport=transport) as client:
                barrier.wait(timeout=30)
                answers[i] = client.post_batch(batches[i]).json()["results"]
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(batches))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_take_the_balance_below_the_credit_limit(kiosk, terminal, transport):
    Dealer.objects.filter(pk=terminal.dealer_id).update(balance=Decimal("1000.00"), credit_limit=Decimal("500.00"))
    batches = [[payment(txn=f"{b}{i:02d}", amount="100.00") for i in range(10)] for b in range(1, 5)]
    answers = _race_batches(transport, kiosk.key, batches)
    statuses = [r["body"]["status"] for results in answers for r in results]
    assert statuses.count("accepted") == 15  # 1,500.00 of 4,000.00 fits
    assert statuses.count("held") == 25
    assert Dealer.objects.get(pk=terminal.dealer_id).balance == Decimal("-500.00")
    assert LedgerEntry.objects.filter(payment__terminal=terminal).count() == 15


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_with_the_same_txns_make_each_payment_once(kiosk, terminal, transport):
    batch = [payment(txn=str(100 + i)) for i in range(20)]
    answers = _race_batches(transport, kiosk.key, [batch] * 4)
    for results in answers:
        assert {r["http_status"] for r in results} <= {200, 201}
    created = sorted(r["txn"] for results in answers for r in results if r["http_status"] == 201)
    assert created == sorted(str(100 + i) for i in range(20))
    assert Payment.objects.filter(terminal=terminal).count() == 20
    assert Event.objects.filter(payment__terminal=terminal).count() == 20


def test_a_batch_sends_one_message_and_its_worker_one_per_accepted_payment(kiosk, monkeypatch,
                                                                          django_capture_on_commit_callbacks):
    from payments import tasks

    sent = []
    for task in (tasks.submit_many, tasks.submit_payment):
        monkeypatch.setattr(task, "apply_async", lambda args=(), _n=task.name, **kw: sent.append((_n, tuple(args))))
    with django_capture_on_commit_callbacks(execute=True):
        kiosk.post_batch([payment(txn="1"), payment(txn="2", account="12"), payment(txn="3")])
    ids = [Payment.objects.get(txn=t).pk for t in ("1", "3")]
    assert sent == [("payments.tasks.submit_many", (ids,))]
    tasks.submit_many.run(ids)
    assert sent[1:] == [("payments.tasks.submit_payment", (ids[0],)), ("payments.tasks.submit_payment", (ids[1],))]

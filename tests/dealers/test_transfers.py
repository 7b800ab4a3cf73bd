"""Transfers between a dealer and its subtree: never credit, never outside the subtree, a form key
used twice moves money once, and under concurrency nobody overdraws."""

import threading
import uuid
from decimal import Decimal as D

import pytest
from django.db import connection, transaction
from django.utils import translation

pytestmark = pytest.mark.django_db


def ledger_sum(dealer):
    from dealers.models import LedgerEntry

    return sum(LedgerEntry.objects.filter(dealer=dealer).values_list("amount", flat=True), D("0"))


@pytest.fixture
def agent(demo):
    from dealers.services import agent_create

    return agent_create(parent=demo, name="Kiosk Agent")


def test_a_transfer_to_a_sub_agent_writes_two_entries_and_moves_both_balances(demo, agent):
    from dealers.services import transfer_make

    t = transfer_make(dealer=demo, agent_id=agent.pk, amount="1000.00", direction="to", key=uuid.uuid4())
    demo.refresh_from_db()
    agent.refresh_from_db()
    assert (demo.balance, agent.balance) == (D("999000.00"), D("1000.00"))
    assert (t.out_entry.kind, t.out_entry.amount, t.in_entry.kind, t.in_entry.amount) == (
        "transfer_out", D("-1000.00"), "transfer_in", D("1000.00"))
    assert demo.balance == ledger_sum(demo) and agent.balance == ledger_sum(agent)


def test_taking_money_back_is_limited_to_the_sub_agents_positive_balance(demo, agent):
    from dealers.models import Dealer, Transfer
    from dealers.services import DealerError, transfer_make

    transfer_make(dealer=demo, agent_id=agent.pk, amount="300.00", direction="to", key=uuid.uuid4())
    Dealer.objects.filter(pk=agent.pk).update(credit_limit=D("500.00"))  # an admin's change
    with pytest.raises(DealerError) as exc:
        transfer_make(dealer=demo, agent_id=agent.pk, amount="300.01", direction="from", key=uuid.uuid4())
    assert exc.value.code == "insufficient_balance"
    transfer_make(dealer=demo, agent_id=agent.pk, amount="300.00", direction="from", key=uuid.uuid4())
    agent.refresh_from_db()
    assert agent.balance == D("0.00") and Transfer.objects.count() == 2


def test_a_transfer_that_would_use_the_senders_credit_is_refused(demo, agent):
    from dealers.models import Dealer, LedgerEntry, Transfer
    from dealers.services import DealerError, agent_create, transfer_make

    child = agent_create(parent=agent, name="Child")
    transfer_make(dealer=demo, agent_id=agent.pk, amount="100.00", direction="to", key=uuid.uuid4())
    Dealer.objects.filter(pk=agent.pk).update(credit_limit=D("500.00"))
    agent.refresh_from_db()
    entries = LedgerEntry.objects.count()
    with translation.override("en"), pytest.raises(DealerError) as exc:
        transfer_make(dealer=agent, agent_id=child.pk, amount="100.01", direction="to", key=uuid.uuid4())
    assert exc.value.code == "insufficient_balance"
    assert str(exc.value) == "Only 100.00 can be transferred from Kiosk Agent: credit is never transferred."
    assert LedgerEntry.objects.count() == entries and Transfer.objects.count() == 1
    transfer_make(dealer=agent, agent_id=child.pk, amount="100.00", direction="to", key=uuid.uuid4())
    agent.refresh_from_db()
    assert agent.balance == D("0.00")


@pytest.mark.parametrize("amount, code", [("0", "not_positive"), ("-5.00", "not_positive"),
                                          ("10.001", "too_many_decimals"), ("abc", "bad_amount")])
def test_bad_sums_are_refused_with_a_code_and_no_row(demo, agent, amount, code):
    from dealers.models import LedgerEntry, Transfer
    from dealers.services import DealerError, transfer_make

    entries = LedgerEntry.objects.count()
    with pytest.raises(DealerError) as exc:
        transfer_make(dealer=demo, agent_id=agent.pk, amount=amount, direction="to", key=uuid.uuid4())
    assert exc.value.code == code
    assert LedgerEntry.objects.count() == entries and Transfer.objects.count() == 0


def test_a_transfer_outside_the_subtree_or_to_itself_or_upwards_is_refused(demo, demo_sub, agent, foreign):
    from dealers.models import Transfer
    from dealers.services import DealerError, transfer_make

    for dealer, target in [(demo, foreign.pk), (demo, demo.pk), (demo_sub, demo.pk), (demo_sub, agent.pk)]:
        with pytest.raises(DealerError) as exc:
            transfer_make(dealer=dealer, agent_id=target, amount="1.00", direction="to", key=uuid.uuid4())
        assert exc.value.code == "outside_subtree"
    assert Transfer.objects.count() == 0


def test_the_same_form_key_twice_moves_money_once(demo, agent):
    from dealers.models import Transfer
    from dealers.services import DealerError, transfer_make

    key = uuid.uuid4()
    first = transfer_make(dealer=demo, agent_id=agent.pk, amount="250.00", direction="to", key=key)
    again = transfer_make(dealer=demo, agent_id=agent.pk, amount="250.00", direction="to", key=key)
    assert again.pk == first.pk and Transfer.objects.count() == 1
    agent.refresh_from_db()
    assert agent.balance == D("250.00")
    with pytest.raises(DealerError) as exc:
        transfer_make(dealer=demo, agent_id=agent.pk, amount="1.00", direction="to", key=key)
    assert exc.value.code == "key_reused"


def test_the_receivers_held_payments_resume_after_a_transfer(demo, agent, django_capture_on_commit_callbacks,
                                                             monkeypatch):
    from dealers.services import transfer_make
    from payments import tasks

    resumed = []
    monkeypatch.setattr(tasks.resume_held, "apply_async", lambda args=(), **kw: resumed.append(args))
    monkeypatch.setattr(tasks.resume_held, "delay", lambda *args: resumed.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        transfer_make(dealer=demo, agent_id=agent.pk, amount="10.00", direction="to", key=uuid.uuid4())
    assert resumed == [(agent.pk,)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_transfers_and_a_payment_debit_at_once_never_overdraw(demo, agent):
    """The agent has 1,000.00; it sends 600.00 down, Demo takes 600.00 back and a payment debits 600.00,
    all at once: exactly one of the three fits."""
    from dealers.models import LedgerEntry
    from dealers.services import DealerError, agent_create, ledger_debit_covered, transfer_make

    child = agent_create(parent=agent, name="Child")
    transfer_make(dealer=demo, agent_id=agent.pk, amount="1000.00", direction="to", key=uuid.uuid4())
    results, barrier = [], threading.Barrier(3)

    def run(fn):
        try:
            barrier.wait()
            results.append(fn())
        except DealerError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    def debit():
        with transaction.atomic():
            entry = ledger_debit_covered(dealer_id=agent.pk, amount=D("600.00"), kind=LedgerEntry.Kind.PAYMENT_DEBIT)
        return "debited" if entry else "refused"

    jobs = [lambda: transfer_make(dealer=agent, agent_id=child.pk, amount="600.00", direction="to",
                                  key=uuid.uuid4()) and "sent",
            lambda: transfer_make(dealer=demo, agent_id=agent.pk, amount="600.00", direction="from",
                                  key=uuid.uuid4()) and "taken back",
            debit]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    assert len([r for r in results if r in ("sent", "taken back", "debited")]) == 1, results
    for d in (demo, agent, child):
        d.refresh_from_db()
        assert d.balance == ledger_sum(d)
    assert agent.balance == D("400.00")
    assert demo.balance + agent.balance + child.balance in (D("1000000.00"), D("999400.00"))

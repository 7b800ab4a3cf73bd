"""The sweeper: lost messages, dead workers and waits come back; nothing is sent twice or elsewhere."""

from decimal import Decimal

import pytest
from django.utils import timezone

from payments.models import Attempt
from payments.services import submit as submit_mod
from payments.services.submit import payment_submit

pytestmark = pytest.mark.django_db


class WorkerKilled(BaseException):
    """Stands for SIGKILL: not an Exception, nothing in the engine may swallow it."""


def test_a_worker_killed_after_paying_leaves_an_attempt_the_sweeper_resolves_by_polling(engine, monkeypatch):
    real_record = submit_mod._record

    def killed(*args, **kwargs):
        raise WorkerKilled

    monkeypatch.setattr(submit_mod, "_record", killed)
    p = engine.accept(account="9160000021")
    with pytest.raises(WorkerKilled):
        payment_submit(payment_id=p.pk)
    monkeypatch.setattr(submit_mod, "_record", real_record)
    p.refresh_from_db()
    attempt = Attempt.objects.get(payment=p)
    assert p.status == "processing" and attempt.state == "open" and attempt.outcome == ""
    assert len(engine.book.payments_for("9160000021")) == 1
    # The redelivered message (acks_late) finds the open attempt and sends nothing.
    payment_submit(payment_id=p.pk)
    assert len(engine.book.ops("pay")) == 1
    # Nothing happens before the attempt's lease ends...
    assert engine.sweep() == {"submit": 0, "poll": 0, "resume": 0}
    # ...and after it, a late submit message still finds the open attempt and sends nothing.
    engine.clock.advance(61)
    payment_submit(payment_id=p.pk)
    assert len(engine.book.ops("pay")) == 1 and len(engine.book.ops("check")) == 1
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert len(engine.book.ops("pay")) == 1 and len(engine.book.ops("status")) == 1
    assert not [c for c in engine.book.calls if c[0] == "beta"]
    assert Attempt.objects.filter(payment=p).count() == 1


def test_a_worker_killed_before_sending_is_polled_then_resent_to_the_same_gateway(engine, monkeypatch):
    real_call = submit_mod._call

    def killed(adapter, order):
        raise WorkerKilled

    monkeypatch.setattr(submit_mod, "_call", killed)
    p = engine.accept(account="9160000022")
    with pytest.raises(WorkerKilled):
        payment_submit(payment_id=p.pk)
    monkeypatch.setattr(submit_mod, "_call", real_call)
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert engine.book.ops("status")[0][2] == Attempt.objects.filter(payment=p).first().attempt_id
    assert len(engine.book.payments_for("9160000022")) == 1
    assert not [c for c in engine.book.calls if c[0] == "beta"]


def test_an_accepted_payment_whose_message_was_lost_is_submitted_by_the_sweeper(engine):
    p = engine.accept()
    assert engine.sweep()["submit"] == 0  # too fresh: its on-commit message may still come
    engine.clock.advance(30)
    assert engine.sweep()["submit"] == 1
    engine.broker.run()
    p.refresh_from_db()
    assert p.status == "succeeded"


def test_two_sweeps_enqueue_a_due_payment_once(engine):
    engine.accept()
    engine.clock.advance(30)
    assert engine.sweep()["submit"] == 1
    assert engine.sweep()["submit"] == 0
    assert len(engine.broker.sent) == 1


def test_with_the_broker_down_acceptance_still_returns_and_the_sweeper_submits_later(
        engine, monkeypatch, django_capture_on_commit_callbacks):
    engine.broker.down = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        p = engine.accept(account="9160000023")
    assert len(callbacks) == 1  # the on-commit enqueue ran, failed, and was swallowed
    assert p.pk and p.status == "accepted"
    assert engine.broker.sent == []
    engine.clock.advance(30)
    engine.sweep()  # broker still down: logged, the payment waits
    engine.broker.down = False
    engine.clock.advance(61)
    assert engine.sweep()["submit"] == 1
    engine.broker.run()
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert len(engine.book.payments_for("9160000023")) == 1


def test_held_payments_resume_on_top_up_oldest_first_until_the_balance_runs_out(engine, demo_sub):
    from dealers.models import Dealer
    from dealers.services import dealer_topup
    from payments.services import payment_held_resume
    from terminals.models import Terminal

    terminal = Terminal.objects.select_related("dealer").get(number="2001")
    Dealer.objects.filter(pk=demo_sub.pk).update(balance=Decimal("50.00"))
    first = engine.accept(amount="100.00", terminal=terminal)
    second = engine.accept(amount="30.00", terminal=terminal)
    third = engine.accept(amount="100.00", terminal=terminal)
    assert [x.status for x in (first, second, third)] == ["held", "accepted", "held"]
    assert first.reason == "insufficient_balance"
    dealer_topup(dealer=demo_sub, amount=Decimal("110.00"))  # balance 20 + 110 = 130
    assert engine.sweep()["resume"] == 1
    engine.broker.run()
    for x in (first, third):
        x.refresh_from_db()
    assert (first.status, third.status) == ("accepted", "held")  # 130 - 100 = 30 < 100: stop
    assert Dealer.objects.get(pk=demo_sub.pk).balance == Decimal("30.00")
    assert payment_held_resume(dealer_id=demo_sub.pk) == []
    dealer_topup(dealer=demo_sub, amount=Decimal("70.00"))
    assert payment_held_resume(dealer_id=demo_sub.pk) == [third.pk]


def test_a_payment_held_for_a_blocked_terminal_resumes_when_it_is_unblocked(engine):
    from terminals.models import Terminal

    terminal = Terminal.objects.select_related("dealer").get(number="1002")
    Terminal.objects.filter(pk=terminal.pk).update(status="blocked")
    terminal.refresh_from_db()
    p = engine.accept(terminal=terminal)
    assert (p.status, p.reason) == ("held", "terminal_blocked")
    assert engine.sweep()["resume"] == 0
    Terminal.objects.filter(pk=terminal.pk).update(status="active")
    assert engine.sweep()["resume"] == 1
    engine.broker.run()
    p.refresh_from_db()
    assert (p.status, p.reason) == ("accepted", "terminal_unblocked")
    p = engine.drive(p)
    assert p.status == "succeeded"


def test_a_payment_held_for_a_disabled_provider_resumes_when_it_is_enabled(engine):
    from providers.models import Provider

    Provider.objects.filter(pk=engine.provider.pk).update(is_active=False)
    p = engine.accept()
    assert (p.status, p.reason) == ("held", "provider_disabled")
    assert engine.sweep()["resume"] == 0
    Provider.objects.filter(pk=engine.provider.pk).update(is_active=True)
    engine.sweep()
    engine.broker.run()
    p = engine.drive(p)
    assert p.status == "succeeded"


def test_a_backlog_of_200_with_workers_stopped_past_the_lease_is_not_enqueued_again(
        engine, django_capture_on_commit_callbacks):
    from payments.models import Payment

    with django_capture_on_commit_callbacks(execute=True):
        payments = [engine.accept(account=f"91600{i:05d}") for i in range(200)]
    assert len(engine.broker.sent) == 200  # the acceptances' own messages, waiting in the queue
    sweeps_with_an_expired_lease = 0
    for _ in range(15):  # workers stopped for 150 s: past the 20 s and 60 s leases
        engine.clock.advance(10)
        if Payment.objects.filter(status="accepted", leased_until__lte=timezone.now()).exists():
            sweeps_with_an_expired_lease += 1
        engine.sweep()
    assert sweeps_with_an_expired_lease > 0
    published = len(engine.broker.sent)
    engine.broker.run()  # workers start
    for _ in range(5):
        engine.clock.advance(10)
        engine.sweep()
        published += len(engine.broker.sent)
        engine.broker.run()
    assert published <= 200 + sweeps_with_an_expired_lease
    assert published == 200
    for p in payments:
        p.refresh_from_db()
    assert {p.status for p in payments} == {"succeeded"}
    assert Attempt.objects.filter(payment__in=payments).count() == 200


def test_expired_leases_beyond_the_queue_depth_are_sent_again_oldest_first(engine):
    first = engine.accept(account="9160000031")
    engine.clock.advance(1)
    second = engine.accept(account="9160000032")
    engine.broker.sent.append(("payments.tasks.submit_payment", (second.pk,)))  # one still waits
    engine.clock.advance(30)
    assert engine.sweep()["submit"] == 1
    assert engine.broker.sent[-1] == ("payments.tasks.submit_payment", (first.pk,))


def test_a_lease_expired_longer_than_the_queue_max_wait_is_sent_again_behind_any_backlog(engine, settings):
    settings.KIT_QUEUE_MAX_WAIT_SECONDS = 600
    p = engine.accept(account="9160000033")
    engine.broker.sent.extend([("payments.tasks.poll_payment", (0,))] * 50)  # others' messages
    engine.clock.advance(30)
    assert engine.sweep()["submit"] == 0  # its message may be among the 50
    engine.clock.advance(600)
    assert engine.sweep()["submit"] == 1
    assert engine.broker.sent[-1] == ("payments.tasks.submit_payment", (p.pk,))

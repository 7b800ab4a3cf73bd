"""Submission: reserve -> call -> record; outcomes move the payment as docs/architecture.md says."""

from decimal import Decimal

import pytest

from dealers.models import Dealer, LedgerEntry
from payments.models import Attempt, Event
from payments.services.submit import payment_submit
from payments.tasks import submit_payment

pytestmark = pytest.mark.django_db


def net(payment) -> Decimal:
    return sum(LedgerEntry.objects.filter(payment=payment).values_list("amount", flat=True), Decimal("0"))


def test_a_payment_is_paid_once_and_succeeds(engine):
    p = engine.accept(account="9160000001", amount="150.00")
    assert p.status == "accepted"
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert p.gateway.code == "alpha"
    assert len(engine.book.payments_for("9160000001")) == 1
    attempt = Attempt.objects.get(payment=p)
    assert attempt.state == "closed" and attempt.outcome == "ok"
    assert attempt.attempt_id.isdigit() and len(attempt.attempt_id) <= 18
    assert attempt.upstream_id == f"U{attempt.attempt_id}"
    assert net(p) == Decimal("-150.00")


def test_the_same_attempt_id_goes_to_check_and_pay(engine):
    p = engine.accept()
    payment_submit(payment_id=p.pk)
    check, pay = engine.book.calls
    assert check[1] == "check" and pay[1] == "pay" and check[2] == pay[2]


def test_a_task_run_twice_submits_once(engine):
    p = engine.accept(account="9160000002")
    submit_payment.run(p.pk)
    submit_payment.run(p.pk)
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert len(engine.book.ops("pay")) == 1
    assert Attempt.objects.filter(payment=p).count() == 1


def test_a_duplicate_message_during_a_backoff_does_not_send_early(engine):
    engine.book.queue("alpha", "pay", "retry")
    p = engine.accept()
    submit_payment.run(p.pk)
    submit_payment.run(p.pk)  # redelivered at once: the backoff is still running
    assert len(engine.book.ops("pay")) == 1
    p.refresh_from_db()
    assert p.status == "processing" and p.next_try_at is not None


def test_a_definitive_decline_fails_the_payment_and_credits_the_dealer_back(engine, demo):
    before = Dealer.objects.get(pk=demo.pk).balance
    engine.book.queue("alpha", "pay", "decline")
    p = engine.accept(amount="200.00")
    assert Dealer.objects.get(pk=demo.pk).balance == before - Decimal("200.00")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("failed", "declined")
    assert net(p) == Decimal("0")
    assert Dealer.objects.get(pk=demo.pk).balance == before
    ev = Event.objects.filter(payment=p, to_status="failed").get()
    assert ev.detail["gateway"] == "alpha" and ev.detail["code"] == "23"
    assert ev.detail["message"] == "no such account"
    assert not engine.book.ops("pay")[1:] and not engine.book.payments_for(p.account)


def test_a_check_that_says_no_account_fails_without_paying(engine):
    engine.book.queue("alpha", "check", "decline")
    p = engine.accept()
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("failed", "declined")
    assert engine.book.ops("pay") == []
    assert net(p) == Decimal("0")


def test_a_reroutable_decline_moves_the_payment_to_the_routes_next_gateway(engine):
    engine.book.queue("alpha", "pay", "reroute")
    p = engine.accept(account="9160000006")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert p.status == "processing" and p.gateway.code == "beta"
    assert Event.objects.filter(payment=p, reason="rerouted").exists()
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "beta"
    assert engine.book.payments_for("9160000006") == [("beta", Attempt.objects.get(payment=p, gateway__code="beta").attempt_id)]


def test_a_reroutable_decline_with_no_next_gateway_fails(engine):
    engine.book.queue("alpha", "pay", "reroute")
    engine.book.queue("beta", "pay", "reroute")
    p = engine.drive(engine.accept())
    assert (p.status, p.reason) == ("failed", "declined")
    assert net(p) == Decimal("0")


def test_a_retry_outcome_backs_off_then_succeeds_at_the_same_gateway(engine):
    engine.book.queue("alpha", "pay", "retry", "retry")
    p = engine.accept(account="9160000004")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert p.status == "processing" and p.next_try_at is not None
    first_wait = (p.next_try_at - Attempt.objects.get(payment=p).finished_at).total_seconds()
    assert 1 <= first_wait <= 5  # the first retry comes within seconds
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert [a.outcome for a in Attempt.objects.filter(payment=p)] == ["retry", "retry", "ok"]


def test_a_retry_outcome_moves_to_the_next_gateway_after_the_retries_run_out(engine):
    engine.book.queue("alpha", "pay", "retry", "retry", "retry")
    p = engine.drive(engine.accept())
    assert p.status == "succeeded" and p.gateway.code == "beta"
    assert [(a.gateway.code, a.outcome) for a in Attempt.objects.filter(payment=p)] == [
        ("alpha", "retry"), ("alpha", "retry"), ("alpha", "retry"), ("beta", "ok")]


def test_a_check_retry_is_retried_too(engine):
    engine.book.queue("alpha", "check", "retry")
    p = engine.drive(engine.accept())
    assert p.status == "succeeded"
    assert len(engine.book.ops("pay")) == 1


def test_an_unknown_outcome_is_never_rerouted_and_is_polled_to_success(engine):
    engine.book.queue("alpha", "pay", "timeout")
    engine.book.queue("alpha", "status", "pending", "pending")
    p = engine.accept(account="9160000002")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    attempt = Attempt.objects.get(payment=p)
    assert p.status == "processing" and attempt.state == "open" and attempt.outcome == "unknown"
    assert (p.next_try_at - attempt.started_at).total_seconds() < 10  # first poll within seconds
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert engine.book.ops("check") == engine.book.ops("check")[:1]
    assert len(engine.book.ops("pay")) == 1 and len(engine.book.ops("status")) == 3
    assert not [c for c in engine.book.calls if c[0] == "beta"]
    assert len(engine.book.payments_for("9160000002")) == 1


def test_an_unknown_outcome_polled_to_a_decline_fails_and_refunds(engine):
    engine.book.queue("alpha", "pay", "lost")
    engine.book.queue("alpha", "status", "pending", "decline")
    p = engine.drive(engine.accept())
    assert (p.status, p.reason) == ("failed", "declined")
    assert net(p) == Decimal("0")
    assert not [c for c in engine.book.calls if c[0] == "beta"]


def test_an_unknown_outcome_the_gateway_never_received_is_resent_to_the_same_gateway(engine):
    engine.book.queue("alpha", "pay", "lost")  # status then says "not registered"
    p = engine.drive(engine.accept(account="9160000011"))
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert [(a.gateway.code, a.outcome) for a in Attempt.objects.filter(payment=p)] == [
        ("alpha", "retry"), ("alpha", "ok")]
    assert len(engine.book.payments_for("9160000011")) == 1


def test_garbage_from_pay_counts_as_unknown_and_is_polled(engine):
    engine.book.queue("alpha", "pay", "garbage")
    p = engine.accept(account="9160000012")
    payment_submit(payment_id=p.pk)
    assert Attempt.objects.get(payment=p).outcome == "unknown"
    p = engine.drive(p)
    assert p.status == "succeeded"
    assert len(engine.book.payments_for("9160000012")) == 1


def test_an_unknown_outcome_after_a_day_is_flagged_for_support_and_still_polled(engine, settings):
    engine.book.queue("alpha", "pay", "lost")
    engine.book.queue("alpha", "status", *["pending"] * 60)
    p = engine.accept()
    payment_submit(payment_id=p.pk)
    for _ in range(60):
        p.refresh_from_db()
        if p.reason == "outcome_unknown":
            break
        engine.step(p)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("processing", "outcome_unknown")
    assert p.next_try_at is not None
    assert not [c for c in engine.book.calls if c[0] == "beta"]


def test_a_config_outcome_pins_the_payment_opens_the_breaker_and_logs_an_error(engine, caplog):
    from gateways.models import GatewayHealth

    engine.book.queue("alpha", "pay", "config")
    p = engine.accept()
    with caplog.at_level("ERROR"):
        payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason, p.gateway.code) == ("processing", "gateway_config", "alpha")
    assert Attempt.objects.get(payment=p).state == "open"
    assert GatewayHealth.objects.get(gateway__code="alpha").state == "open"
    assert any(r.levelname == "ERROR" and "alpha" in r.getMessage() for r in caplog.records)
    # Polled at alpha (breaker or not), never sent to beta: status says it was paid.
    engine.book.queue("alpha", "status", "ok")
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert not [c for c in engine.book.calls if c[0] == "beta"]


def test_a_provider_without_routes_fails_with_no_route(engine):
    from gateways.models import Route

    Route.objects.filter(provider=engine.provider).delete()
    p = engine.accept()
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("failed", "no_route")
    assert net(p) == Decimal("0")


def test_a_payment_waits_while_every_gateway_is_out_and_resumes_by_itself(engine):
    from gateways.models import Gateway

    Gateway.objects.filter(code__in=["alpha", "beta"]).update(is_active=False)
    p = engine.accept()
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("accepted", "no_gateway_available")
    assert p.next_try_at is not None and engine.book.calls == []
    Gateway.objects.filter(code="beta").update(is_active=True)
    p = engine.drive(p)
    assert p.status == "succeeded" and p.gateway.code == "beta"


def test_a_submission_stays_within_its_statement_budget(engine, django_assert_max_num_queries, settings):
    """Reserve and record are short transactions (each counted here with its savepoint and release:
    the test runs inside a transaction). PostgreSQL, 5 + 3 with them: reserve reads the locked payment
    with its dealer's path and terminal's number and the breaker rows (the routes and gateways come
    from the router's cache, warm as in production: KIT_CATALOGUE_TTL), then writes the attempt, the
    transition and its event in ONE statement (kit/rows.py: Chain); record writes the attempt's
    answer, the transition, its event (and reward rows when the provider has reward rules: none
    here) in one more, from what reserve left (compare-and-set), reading the breaker row in it; in
    production that statement is record's only round trip (no transaction of its own: it is all
    or nothing by itself; here, inside the test's transaction, it takes a savepoint).
    SQLite writes each row with its own statement: 7 + 6. It was 30 before the bench showed the
    engine's database work to be what limits submissions per second, then 16, 14, 9."""
    from django.db import connection

    from providers import selectors as catalogue

    settings.KIT_CATALOGUE_TTL = 60
    catalogue.catalogue_invalidate()
    payment_submit(payment_id=engine.accept(account="9160000010").pk)  # creates the breaker rows
    p = engine.accept(account="9160000011")
    with django_assert_max_num_queries(8 if connection.vendor == "postgresql" else 13):
        payment_submit(payment_id=p.pk)
    catalogue.catalogue_invalidate()
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert [e.to_status for e in p.events.order_by("pk")] == ["accepted", "processing", "succeeded"]
    attempt = p.attempts.get()
    assert (attempt.state, attempt.outcome, len(attempt.exchange)) == ("closed", "ok", 2)


def test_reward_shares_add_one_statement_to_a_success(engine, django_assert_max_num_queries, settings):
    """With a reward rate for the provider the success writes its shares: one INSERT (the dealer's
    path came with reserve's locked payment), a step of the success's one statement on PostgreSQL (8
    in all, as without rewards), its own statement elsewhere (14)."""
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from dealers.models import Reward
    from providers import selectors as catalogue
    from providers.models import RewardRule

    settings.KIT_CATALOGUE_TTL = 60
    RewardRule.objects.create(provider=engine.provider, percent=Decimal("1.000"),
                              valid_from=timezone.now() - timedelta(days=1))
    catalogue.catalogue_invalidate()
    payment_submit(payment_id=engine.accept(account="9160000014").pk)
    p = engine.accept(account="9160000015")
    with django_assert_max_num_queries(8 if connection.vendor == "postgresql" else 14):
        payment_submit(payment_id=p.pk)
    catalogue.catalogue_invalidate()
    p.refresh_from_db()
    assert p.status == "succeeded"
    assert list(Reward.objects.filter(payment=p).values_list("dealer_id", "level", "amount")) == [
        (p.dealer_id, 0, Decimal("1.00"))]


def test_the_engines_lock_reads_the_same_payment_as_lock_payment(engine):
    from django.db import transaction

    from payments.locks import lock_payment, lock_payment_lean
    from payments.models import Payment

    p = engine.accept(account="9160000013")
    with transaction.atomic():
        orm, lean, plain = lock_payment(p.pk), lock_payment_lean(p.pk), lock_payment_lean(p.pk, joined=False)
    fields = [f.attname for f in Payment._meta.concrete_fields]
    assert [getattr(lean, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert [getattr(plain, f) for f in fields] == [getattr(orm, f) for f in fields]
    assert (lean.dealer.pk, lean.dealer.path) == (orm.dealer.pk, orm.dealer.path)
    assert (lean.terminal.number, lean.terminal.status, lean.provider.pk) == (
        orm.terminal.number, orm.terminal.status, orm.provider.pk)
    assert lean.dealer.name == orm.dealer.name and lean.provider.code == orm.provider.code  # the rest on access
    with transaction.atomic(), pytest.raises(Payment.DoesNotExist):
        lock_payment_lean(10**9)


def test_the_record_steps_lock_reads_the_payment_the_attempt_and_its_breaker_row_as_the_orm(engine):
    from django.db import transaction

    from gateways.models import GatewayHealth
    from payments.locks import lock_payment_and_attempt, lock_payment_lean
    from payments.models import Attempt, Payment

    p = engine.accept(account="9160000016")
    payment_submit(payment_id=p.pk)
    attempt = p.attempts.get()
    GatewayHealth.objects.update_or_create(gateway_id=attempt.gateway_id, defaults={"failures": 2})
    other = engine.accept(account="9160000017")
    with transaction.atomic():
        payment, mine, health = lock_payment_and_attempt(p.pk, attempt.pk)
        lean = lock_payment_lean(p.pk)
    fields = [f.attname for f in Payment._meta.concrete_fields]
    assert [getattr(payment, f) for f in fields] == [getattr(lean, f) for f in fields]
    assert (payment.dealer.path, payment.terminal.number) == (lean.dealer.path, lean.terminal.number)
    stored = Attempt.objects.get(pk=attempt.pk)
    assert [getattr(mine, f.attname) for f in Attempt._meta.concrete_fields] == [
        getattr(stored, f.attname) for f in Attempt._meta.concrete_fields]
    assert (health.gateway_id, health.failures) == (attempt.gateway_id, 2)
    GatewayHealth.objects.filter(gateway_id=attempt.gateway_id).delete()
    with transaction.atomic():
        assert lock_payment_and_attempt(p.pk, attempt.pk)[2] is None  # no breaker row yet: none
    # An attempt of another payment, or none at all, is not this payment's attempt.
    with transaction.atomic(), pytest.raises(Attempt.DoesNotExist):
        lock_payment_and_attempt(other.pk, attempt.pk)
    with transaction.atomic(), pytest.raises(Payment.DoesNotExist):
        lock_payment_and_attempt(10**9, attempt.pk)


def _while_the_gateway_answers(monkeypatch, meanwhile):
    """Run `meanwhile(payment_id, attempt)` after the gateway's answer, before the engine records it."""
    from payments.services import submit as submit_mod

    real_call = submit_mod._call

    def call(adapter, order):
        answer = real_call(adapter, order)
        attempt = Attempt.objects.get(attempt_id=order.attempt_id)
        meanwhile(attempt.payment_id, attempt)
        return answer

    monkeypatch.setattr(submit_mod, "_call", call)


def _reward_rule(engine):
    from datetime import timedelta

    from django.utils import timezone

    from providers import selectors as catalogue
    from providers.models import RewardRule

    RewardRule.objects.create(provider=engine.provider, percent=Decimal("1.000"),
                              valid_from=timezone.now() - timedelta(days=1))
    catalogue.catalogue_invalidate()


def test_a_success_is_recorded_from_what_reserve_left_without_reading_the_rows_again(engine, monkeypatch):
    from dealers.models import Reward
    from gateways.models import GatewayHealth
    from payments.locks import lock_payment_and_attempt
    from payments.services import submit as submit_mod

    _reward_rule(engine)
    locked = []
    monkeypatch.setattr(submit_mod, "lock_payment_and_attempt",
                        lambda *a: locked.append(a) or lock_payment_and_attempt(*a))
    p = engine.accept(account="9160000020")
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    attempt = p.attempts.get()
    assert locked == []  # the locked record step was not needed
    assert (p.status, p.reason, p.finished_at is not None, p.next_try_at, p.leased_until) == (
        "succeeded", "", True, None, None)
    assert (attempt.state, attempt.outcome, len(attempt.exchange), attempt.polls) == ("closed", "ok", 2, 0)
    assert attempt.duration_ms == sum(e["ms"] for e in attempt.exchange) and attempt.finished_at is not None
    assert [(e.from_status, e.to_status) for e in p.events.order_by("pk")] == [
        ("", "accepted"), ("accepted", "processing"), ("processing", "succeeded")]
    assert p.events.order_by("pk").last().detail["attempt"] == attempt.attempt_id
    assert list(Reward.objects.filter(payment=p).values_list("level", "amount")) == [(0, Decimal("1.00"))]
    health = GatewayHealth.objects.get(gateway_id=attempt.gateway_id)
    assert (health.state, health.failures) == ("closed", 0)


def test_a_success_resets_the_breakers_count_of_failures_on_the_fast_path_too(engine, monkeypatch):
    from gateways.models import GatewayHealth

    payment_submit(payment_id=engine.accept(account="9160000021").pk)  # creates the breaker rows
    p = engine.accept(account="9160000022")
    # Another worker counted two failures at this gateway after reserve read the breaker row.
    _while_the_gateway_answers(monkeypatch, lambda pid, a: GatewayHealth.objects.filter(
        gateway_id=a.gateway_id).update(failures=2))
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert p.status == "succeeded"
    health = GatewayHealth.objects.get(gateway_id=p.gateway_id)
    assert (health.state, health.failures) == ("closed", 0) and health.last_success_at is not None


def test_an_attempt_polled_while_the_gateway_answered_is_recorded_by_the_locked_path_once(engine, monkeypatch):
    from dealers.models import Reward

    _reward_rule(engine)
    p = engine.accept(account="9160000023")
    # The sweeper's poll found the attempt still open and counted itself, with its own exchange.
    _while_the_gateway_answers(monkeypatch, lambda pid, a: Attempt.objects.filter(pk=a.pk).update(
        polls=1, exchange=[{"op": "status", "ms": 5}], duration_ms=123))
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    attempt = p.attempts.get()
    assert p.status == "succeeded"
    # Written once, by the locked path: the poll's exchange kept, the submission's appended after it,
    # the duration the submission measured before the poll kept.
    assert [e["op"] for e in attempt.exchange] == ["status", "check", "pay"]
    assert (attempt.state, attempt.polls, attempt.duration_ms) == ("closed", 1, 123)
    assert [e.to_status for e in p.events.order_by("pk")] == ["accepted", "processing", "succeeded"]
    assert Reward.objects.filter(payment=p).count() == 1


def test_a_payment_resolved_while_the_gateway_answered_is_left_as_it_was_resolved(engine, monkeypatch):
    from django.utils import timezone

    from payments.models import Payment

    p = engine.accept(account="9160000024")

    def resolved(pid, a):  # a poll got the final answer first: attempt closed, payment succeeded
        Attempt.objects.filter(pk=a.pk).update(state="closed", outcome="ok", exchange=[{"op": "status", "ms": 1}])
        Payment.objects.filter(pk=pid).update(status="succeeded", finished_at=timezone.now(), next_try_at=None)
        Event.objects.create(payment_id=pid, from_status="processing", to_status="succeeded", actor="poll")

    _while_the_gateway_answers(monkeypatch, resolved)
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    attempt = p.attempts.get()
    assert p.status == "succeeded"
    assert [e["op"] for e in attempt.exchange] == ["status"]  # the late answer wrote nothing
    assert [(e.to_status, e.actor) for e in p.events.order_by("pk")][-1] == ("succeeded", "poll")
    assert p.events.filter(to_status="succeeded").count() == 1


def test_the_connection_is_given_back_between_reserve_and_the_gateway_call(engine, monkeypatch):
    from payments.services import submit as submit_mod

    order = []
    real_call = submit_mod._call
    monkeypatch.setattr(submit_mod, "db_release", lambda: order.append("release"))
    monkeypatch.setattr(submit_mod, "_call", lambda *a, **k: (order.append("call"), real_call(*a, **k))[1])
    p = engine.accept(account="9160000012")
    payment_submit(payment_id=p.pk)
    assert order == ["release", "call"]
    p.refresh_from_db()
    assert p.status == "succeeded"

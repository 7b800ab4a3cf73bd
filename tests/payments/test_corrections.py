"""Operator corrections through the engine: rounds, resend, correct, cancel, reverse, resolve, poll now.

Every amount is written in the test. The double gateways (alpha, beta) script the replies;
the end-to-end correction runs against the real CyberPlat simulator and the kiosk client.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from dealers.models import Dealer, LedgerEntry
from dealers.services import ledger_post
from gateways.simulators.base import accepted
from payments.errors import ActionRefused
from payments.models import Attempt, Event, Payment
from support.models import AuditEntry
from tests.payments import invariants
from tests.payments.conftest import Engine
from tests.terminals.conftest import make_client, transport  # noqa: F401
from tests.terminals.conftest import payment as kiosk_payment

pytestmark = pytest.mark.django_db


def ledger_of(p) -> list[tuple[str, Decimal]]:
    return list(LedgerEntry.objects.filter(payment=p).order_by("pk").values_list("kind", "amount"))


def balance(name="Demo") -> Decimal:
    return Dealer.objects.get(name=name).balance


@pytest.fixture
def senior2(world):
    user = get_user_model().objects.create_user("senior2", password="kit-demo")
    user.groups.add(Group.objects.get(name="senior support"))
    return user


@pytest.fixture
def real(world, clock, broker):
    from providers.models import Provider

    return Engine(world, clock, broker, Provider.objects.get(code="mts"), {})


def submitted(p):
    from payments.services.submit import payment_submit

    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    return p


def declined_everywhere(engine, account="9160000000", amount="100.00"):
    engine.book.queue("alpha", "pay", "decline")
    p = engine.drive(engine.accept(account=account, amount=amount))
    assert (p.status, p.reason) == ("failed", "declined")
    return p


# --- rounds -------------------------------------------------------------------------------------
def test_a_resent_payment_whose_first_round_was_declined_is_sent_to_the_same_gateway_again(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine)
    assert p.round == 1
    payment_resend(payment_id=p.pk, user=support_user, comment="the provider fixed the account")
    p = engine.drive(p)
    assert (p.status, p.round) == ("succeeded", 2)
    assert list(Attempt.objects.filter(payment=p).values_list("gateway__code", "outcome", "round")) == [
        ("alpha", "declined", 1), ("alpha", "ok", 2)]
    invariants.assert_ledger([p.dealer_id])
    invariants.assert_transitions([p.pk])
    invariants.assert_upstream(engine.book, [p.pk])


def test_the_retry_budget_counts_only_the_current_rounds_attempts(engine, support_user, settings):
    from payments.services.resend import payment_resend

    settings.KIT_RETRY_GIVE_UP_HOURS = 0  # nowhere left to retry: the payment fails at once
    engine.book.queue("alpha", "pay", "retry", "retry", "retry")
    engine.book.queue("beta", "pay", "retry", "retry", "retry")
    p = engine.drive(engine.accept(amount="100.00"))
    assert (p.status, p.reason) == ("failed", "gateway_unavailable")
    payment_resend(payment_id=p.pk, user=support_user, comment="gateways are back")
    p = engine.drive(p)
    assert p.status == "succeeded"
    assert Attempt.objects.filter(payment=p, round=2).count() == 1
    assert p.gateway.code == "alpha"


# --- resend -------------------------------------------------------------------------------------
def test_resend_debits_the_credited_sum_afresh_and_writes_an_event_and_an_audit_row(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine, amount="250.00")
    before = balance()
    payment_resend(payment_id=p.pk, user=support_user, comment="customer confirmed the number")
    p.refresh_from_db()
    assert p.status == "accepted"
    assert balance() == before - Decimal("250.00")
    assert ledger_of(p) == [("payment_debit", Decimal("-250.00")), ("payment_credit", Decimal("250.00")),
                            ("payment_debit", Decimal("-250.00"))]
    e = Event.objects.filter(payment=p).last()
    assert (e.from_status, e.to_status, e.reason, e.user, e.actor) == (
        "failed", "accepted", "resent", support_user, "user:support")
    assert e.detail["comment"] == "customer confirmed the number"
    audit = AuditEntry.objects.get(payment=p)
    assert (audit.action, audit.user, audit.before["status"], audit.after["status"]) == (
        "resend", support_user, "failed", "accepted")


def test_resend_with_a_short_balance_holds_the_payment_without_a_debit(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine, amount="250.00")
    Dealer.objects.filter(name="Demo").update(balance=Decimal("100.00"), credit_limit=Decimal("0.00"))
    payment_resend(payment_id=p.pk, user=support_user, comment="resend")
    p.refresh_from_db()
    assert (p.status, p.reason) == ("held", "insufficient_balance")
    assert len(ledger_of(p)) == 2


def test_a_resend_after_the_provider_was_enabled_again_succeeds(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine)
    engine.provider.is_active = False
    engine.provider.save()
    with pytest.raises(ActionRefused) as refused:
        payment_resend(payment_id=p.pk, user=support_user, comment="resend")
    assert refused.value.code == "provider_disabled"
    p.refresh_from_db()
    assert (p.status, p.round) == ("failed", 1)
    engine.provider.is_active = True
    engine.provider.save()
    payment_resend(payment_id=p.pk, user=support_user, comment="provider is back")
    p = engine.drive(p)
    assert (p.status, p.round) == ("succeeded", 2)
    invariants.assert_upstream(engine.book, [p.pk])


def test_a_resend_of_an_account_that_still_fails_the_format_is_refused(real, support_user, terminal):
    from django.utils import timezone

    from payments.services import PaymentRequest, payment_accept
    from payments.services.resend import payment_resend

    p, _ = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="880001", provider_code="mts", account="12345", amount=Decimal("100.00"), paid_at=timezone.now()))
    assert (p.status, p.reason) == ("failed", "account_format")
    with pytest.raises(ActionRefused) as refused:
        payment_resend(payment_id=p.pk, user=support_user, comment="try again")
    assert refused.value.code == "account_format"
    p.refresh_from_db()
    assert (p.status, p.round) == ("failed", 1)
    assert not AuditEntry.objects.filter(payment=p).exists()
    assert Event.objects.filter(payment=p).count() == 1


def test_a_blacklisted_account_is_never_resent(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine)
    Payment.objects.filter(pk=p.pk).update(reason="blacklisted_account")
    with pytest.raises(ActionRefused) as refused:
        payment_resend(payment_id=p.pk, user=support_user, comment="resend")
    assert refused.value.code == "blacklisted_account"


def test_a_resend_without_a_comment_is_refused(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine)
    with pytest.raises(ActionRefused) as refused:
        payment_resend(payment_id=p.pk, user=support_user, comment="   ")
    assert refused.value.code == "comment_required"
    p.refresh_from_db()
    assert p.status == "failed"


def test_a_double_resend_resends_once(engine, support_user):
    from payments.services.resend import payment_resend

    p = declined_everywhere(engine, amount="100.00")
    payment_resend(payment_id=p.pk, user=support_user, comment="one")
    with pytest.raises(ActionRefused) as refused:
        payment_resend(payment_id=p.pk, user=support_user, comment="two")
    assert refused.value.code == "state_not_allowed"
    assert [k for k, _ in ledger_of(p)].count("payment_debit") == 2
    assert AuditEntry.objects.filter(payment=p, action="resend").count() == 1


# --- correct ------------------------------------------------------------------------------------
def test_a_declined_payment_corrected_and_approved_succeeds_once_and_the_kiosk_repost_is_200(
        real, support_user, senior_user, terminal, make_client):  # noqa: F811
    from support.approvals import action_approve, action_request

    kiosk = make_client(terminal)
    body = kiosk_payment(txn="4242", account="9160000001", amount="300.00")
    first = kiosk.post_payment(body)
    assert first.status_code == 201
    p = real.drive(Payment.objects.get(terminal=terminal, txn="4242"))
    assert (p.status, p.reason) == ("failed", "declined")
    start = balance()

    asked = action_request(user=support_user, action="correct", payment_id=p.pk, comment="customer misdialled",
                           params={"account": "9160000000"})
    assert asked.waiting
    p.refresh_from_db()
    assert (p.status, p.account) == ("failed", "9160000001")
    action_approve(request_id=asked.request.pk, user=senior_user, comment="checked the cheque")
    p = real.drive(p)

    assert (p.status, p.account, p.account_sent, p.round) == ("succeeded", "9160000000", "9160000001", 2)
    assert (p.provider_code, p.amount, p.credited) == ("mts", Decimal("300.00"), Decimal("300.00"))
    assert accepted("cyberplat").filter(account="9160000000", state="paid").count() == 1
    assert accepted("cyberplat").filter(account="9160000001", state="paid").count() == 0
    assert balance() == start - Decimal("300.00")
    # The simulators' in-process client put back the signal that closes the test's connection
    # (PostgreSQL); the kiosk's transport keeps it off, as its fixture does.
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    again = kiosk.post_payment(body)
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["status"]) == (p.pk, "succeeded")
    corrected = Event.objects.get(payment=p, reason="corrected")
    assert corrected.detail["original"]["account"] == "9160000001"
    assert corrected.detail["original"]["provider_code"] == "mts"
    assert corrected.user == senior_user
    assert list(AuditEntry.objects.filter(payment=p).order_by("pk").values_list("action", "user__username")) == [
        ("request", "support"), ("correct", "senior"), ("approve", "senior")]
    link = f"support.actionrequest:{asked.request.pk}"
    assert set(AuditEntry.objects.filter(payment=p).values_list("approval", flat=True)) == {link}
    invariants.assert_ledger([p.dealer_id])
    invariants.assert_transitions([p.pk])


def test_correcting_the_provider_recomputes_fee_credited_and_reward_by_the_new_providers_rules(
        real, senior_user, terminal):
    from django.utils import timezone

    from payments.services import PaymentRequest, payment_accept
    from payments.services.correct import correction_quote, payment_correct

    p, _ = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="880002", provider_code="mts", account="7712345678", amount=Decimal("1000.00"), paid_at=timezone.now()))
    assert (p.status, p.reason) == ("failed", "account_format")
    assert (p.fee, p.credited, p.reward) == (Decimal("0.00"), Decimal("1000.00"), Decimal("15.00"))
    q = correction_quote(payment=p, account="", provider_code="mosenergosbyt")
    # Mosenergosbyt: fee 1 % (at least 10.00), reward 0.5 % of the credited sum.
    assert (q.fee, q.credited, q.reward) == (Decimal("10.00"), Decimal("990.00"), Decimal("4.95"))
    assert (q.fee_diff, q.credited_diff, q.reward_diff) == (Decimal("10.00"), Decimal("-10.00"), Decimal("-10.05"))
    start = balance()
    payment_correct(payment_id=p.pk, user=senior_user, comment="it was the electricity bill",
                    provider_code="mosenergosbyt")
    p.refresh_from_db()
    assert (p.status, p.provider.code, p.provider_code) == ("accepted", "mosenergosbyt", "mts")
    assert (p.fee, p.credited, p.reward) == (Decimal("10.00"), Decimal("990.00"), Decimal("4.95"))
    assert balance() == start - Decimal("990.00")


def test_a_correction_below_the_new_providers_minimum_is_refused(real, senior_user, terminal):
    from django.utils import timezone

    from payments.services import PaymentRequest, payment_accept
    from payments.services.correct import payment_correct

    p, _ = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="880003", provider_code="mts", account="7712345678", amount=Decimal("15.00"), paid_at=timezone.now()))
    # Mosenergosbyt takes at least 10.00 of 15.00: 5.00 credited, below its minimum of 10.00.
    with pytest.raises(ActionRefused) as refused:
        payment_correct(payment_id=p.pk, user=senior_user, comment="x", provider_code="mosenergosbyt")
    assert refused.value.code == "amount_below_minimum"
    p.refresh_from_db()
    assert (p.status, p.provider.code, p.credited) == ("failed", "mts", Decimal("15.00"))


def test_a_correction_to_an_account_the_format_refuses_changes_nothing(engine, senior_user):
    from payments.services.correct import payment_correct

    p = declined_everywhere(engine)
    with pytest.raises(ActionRefused) as refused:
        payment_correct(payment_id=p.pk, user=senior_user, comment="x", account="91600")
    assert refused.value.code == "account_format"
    p.refresh_from_db()
    assert (p.status, p.account, p.account_sent) == ("failed", "9160000000", "")


# --- cancel -------------------------------------------------------------------------------------
def test_cancelling_a_failed_payment_changes_the_ledger_zero_times(engine, senior_user):
    from payments.services.cancel import payment_cancel

    p = declined_everywhere(engine, amount="400.00")
    entries, start = ledger_of(p), balance()
    payment_cancel(payment_id=p.pk, user=senior_user, comment="cash given back")
    p.refresh_from_db()
    assert p.status == "cancelled"
    assert ledger_of(p) == entries
    assert balance() == start
    assert AuditEntry.objects.get(payment=p).after["refunded"] == "0.00"
    invariants.assert_ledger([p.dealer_id])


def test_cancelling_a_held_payment_leaves_no_ledger_entry(engine, senior_user):
    from payments.services.cancel import payment_cancel

    Dealer.objects.filter(name="Demo").update(balance=Decimal("10.00"), credit_limit=Decimal("0.00"))
    p = engine.accept(amount="400.00")
    assert (p.status, p.reason) == ("held", "insufficient_balance")
    payment_cancel(payment_id=p.pk, user=senior_user, comment="customer took the cash")
    p.refresh_from_db()
    assert p.status == "cancelled"
    assert ledger_of(p) == []


def test_a_payment_whose_outcome_is_unknown_is_neither_cancelled_nor_resent(engine, senior_user):
    from payments.services.cancel import payment_cancel
    from payments.services.resend import payment_resend

    engine.book.queue("alpha", "pay", "timeout")
    engine.book.queue("alpha", "status", *["pending"] * 5)
    p = submitted(engine.accept(amount="100.00"))
    assert p.status == "processing"
    for action in (payment_cancel, payment_resend):
        with pytest.raises(ActionRefused) as refused:
            action(payment_id=p.pk, user=senior_user, comment="x")
        assert refused.value.code == "state_not_allowed"
    # Even a failed payment with an attempt still open (a state the engine never leaves) is refused.
    Payment.objects.filter(pk=p.pk).update(status="failed")
    with pytest.raises(ActionRefused) as refused:
        payment_cancel(payment_id=p.pk, user=senior_user, comment="x")
    assert refused.value.code == "outcome_ambiguous"


# --- reverse ------------------------------------------------------------------------------------
def test_reversing_a_succeeded_payment_credits_the_dealer_once(engine, senior_user):
    from payments.services.reverse import payment_reverse

    p = engine.drive(engine.accept(amount="700.00"))
    assert p.status == "succeeded"
    start = balance()
    payment_reverse(payment_id=p.pk, user=senior_user, comment="wrong number", reference="REV-77")
    with pytest.raises(ActionRefused) as refused:
        payment_reverse(payment_id=p.pk, user=senior_user, comment="again", reference="REV-77")
    assert refused.value.code == "state_not_allowed"
    p.refresh_from_db()
    assert (p.status, p.reason) == ("cancelled", "reversed")
    assert balance() == start + Decimal("700.00")
    assert ledger_of(p) == [("payment_debit", Decimal("-700.00")), ("payment_credit", Decimal("700.00"))]
    e = Event.objects.filter(payment=p).last()
    assert (e.from_status, e.to_status, e.detail["reversal_reference"]) == ("succeeded", "cancelled", "REV-77")
    invariants.assert_ledger([p.dealer_id])
    invariants.assert_transitions([p.pk])


def test_a_reversal_takes_back_each_levels_credited_reward_and_voids_the_accrued_ones(engine, senior_user):
    from dealers.models import Reward
    from payments.services.reverse import payment_reverse

    credited = engine.drive(engine.accept(amount="1000.00"))
    accrued = engine.drive(engine.accept(amount="500.00"))
    sub = Dealer.objects.get(name="Demo Sub")
    # The shares as the success wrote them, one settled (credited by a settlement entry), one not.
    Reward.objects.filter(payment__in=[credited, accrued]).delete()
    with transaction.atomic():
        settlement = ledger_post(dealer_id=credited.dealer_id, kind="reward", amount=Decimal("15.00"))
        sub_settlement = ledger_post(dealer_id=sub.pk, kind="reward", amount=Decimal("3.00"))
    Reward.objects.create(payment=credited, dealer_id=credited.dealer_id, level=0, amount=Decimal("15.00"),
                          state="settled", settlement=settlement)
    Reward.objects.create(payment=credited, dealer=sub, level=1, amount=Decimal("3.00"), state="settled",
                          settlement=sub_settlement)
    Reward.objects.create(payment=accrued, dealer_id=accrued.dealer_id, level=0, amount=Decimal("7.50"))
    payment_reverse(payment_id=credited.pk, user=senior_user, comment="wrong number", reference="REV-1")
    payment_reverse(payment_id=accrued.pk, user=senior_user, comment="wrong number", reference="REV-2")
    rewards = sorted(LedgerEntry.objects.filter(payment=credited, kind="reward").values_list("dealer__name", "amount"))
    assert rewards == [("Demo", Decimal("-15.00")), ("Demo Sub", Decimal("-3.00"))]
    assert sorted(Reward.objects.filter(payment__in=[credited, accrued]).values_list("amount", "state")) == [
        (Decimal("3.00"), "reversed"), (Decimal("7.50"), "void"), (Decimal("15.00"), "reversed")]
    assert not LedgerEntry.objects.filter(payment=accrued, kind="reward").exists()
    invariants.assert_ledger([credited.dealer_id, sub.pk])


def test_a_reversal_without_the_gateways_reference_is_refused(engine, senior_user):
    from payments.services.reverse import payment_reverse

    p = engine.drive(engine.accept(amount="100.00"))
    with pytest.raises(ActionRefused) as refused:
        payment_reverse(payment_id=p.pk, user=senior_user, comment="wrong number", reference=" ")
    assert refused.value.code == "reference_required"
    p.refresh_from_db()
    assert p.status == "succeeded"


# --- unknown outcome ----------------------------------------------------------------------------
def unknown(engine, amount="100.00"):
    engine.book.queue("alpha", "pay", "lost")
    engine.book.queue("alpha", "status", *["pending"] * 3)
    p = submitted(engine.accept(amount=amount))
    assert p.status == "processing" and p.next_try_at is not None
    return p


@pytest.mark.parametrize("outcome, status, attempt_outcome, net", [
    ("succeeded", "succeeded", "ok", Decimal("-100.00")),
    ("failed", "failed", "declined", Decimal("0.00")),
])
def test_a_resolution_closes_the_attempt_and_stops_polling(engine, senior_user, outcome, status, attempt_outcome,
                                                           net):
    from payments.services.resolve import payment_resolve

    p = unknown(engine)
    payment_resolve(payment_id=p.pk, user=senior_user, comment="phoned the gateway", outcome=outcome,
                    reference="T-9")
    p.refresh_from_db()
    a = Attempt.objects.get(payment=p)
    assert (p.status, p.next_try_at, p.leased_until) == (status, None, None)
    assert (a.state, a.outcome, a.result_code) == ("closed", attempt_outcome, "manual:T-9")
    assert sum(a for _, a in ledger_of(p)) == net
    polls = len(engine.book.ops("status"))
    engine.clock.advance(3600)
    assert engine.sweep() == {"submit": 0, "poll": 0, "resume": 0}
    assert len(engine.book.ops("status")) == polls
    invariants.assert_ledger([p.dealer_id])
    invariants.assert_transitions([p.pk])


def test_a_resolution_needs_the_gateways_reference(engine, senior_user):
    from payments.services.resolve import payment_resolve

    p = unknown(engine)
    with pytest.raises(ActionRefused) as refused:
        payment_resolve(payment_id=p.pk, user=senior_user, comment="x", outcome="succeeded", reference="")
    assert refused.value.code == "reference_required"
    assert Attempt.objects.get(payment=p).state == "open"


def test_poll_now_asks_the_gateway_at_once_and_records_its_answer(engine, support_user):
    from payments.services.poll_now import payment_poll_now

    engine.book.queue("alpha", "pay", "timeout")  # booked upstream, the reply lost; status says done
    p = submitted(engine.accept(amount="100.00"))
    assert p.status == "processing"
    p = payment_poll_now(payment_id=p.pk, user=support_user, comment="customer is on the phone")
    assert p.status == "succeeded"
    assert Event.objects.filter(payment=p, reason="poll_requested", user=support_user).count() == 1
    assert AuditEntry.objects.get(payment=p).action == "poll"


def test_poll_now_of_a_failed_payment_is_refused(engine, support_user):
    from payments.services.poll_now import payment_poll_now

    p = declined_everywhere(engine)
    with pytest.raises(ActionRefused) as refused:
        payment_poll_now(payment_id=p.pk, user=support_user, comment="x")
    assert refused.value.code == "state_not_allowed"


@pytest.mark.parametrize("outcome, their_status, kind", [
    ("failed", "paid", "status_differs"),        # we said failed, they booked it
    ("succeeded", "declined", "status_differs"),  # we said paid, they declined it
])
def test_a_registry_row_that_contradicts_a_resolution_opens_a_discrepancy(engine, senior_user, outcome,
                                                                          their_status, kind):
    from django.utils import timezone

    from gateways.reconcile.compare import compare
    from gateways.reconcile.registry import Row
    from payments.services.resolve import payment_resolve

    p = unknown(engine, amount="100.00")
    payment_resolve(payment_id=p.pk, user=senior_user, comment="phoned", outcome=outcome, reference="T-1")
    a = Attempt.objects.select_related("payment").get(payment=p)
    row = Row(line=1, key=a.attempt_id, upstream_id="U1", account=p.account, amount=Decimal("100.00"),
              status=their_status, created_at=timezone.now())
    found = compare([row], {a.attempt_id: a}, [a] if a.outcome == "ok" else [])
    assert [(f.kind, f.key) for f in found.findings.values()] == [(kind, a.attempt_id)]


def test_a_registry_row_that_agrees_with_a_resolution_matches(engine, senior_user):
    from django.utils import timezone

    from gateways.reconcile.compare import compare
    from gateways.reconcile.registry import Row
    from payments.services.resolve import payment_resolve

    p = unknown(engine, amount="100.00")
    payment_resolve(payment_id=p.pk, user=senior_user, comment="phoned", outcome="succeeded", reference="T-2")
    a = Attempt.objects.select_related("payment").get(payment=p)
    row = Row(line=1, key=a.attempt_id, upstream_id="T-2", account=p.account, amount=Decimal("100.00"),
              status="paid", created_at=timezone.now())
    found = compare([row], {a.attempt_id: a}, [a])
    assert (found.findings, found.matched_count) == ({}, 1)


def test_every_action_leaves_an_event_with_the_user_and_an_audit_row(engine, senior_user):
    from payments.services.bulk import payment_bulk_resend
    from payments.services.cancel import payment_cancel
    from payments.services.correct import payment_correct
    from payments.services.poll_now import payment_poll_now
    from payments.services.resend import payment_resend
    from payments.services.resolve import payment_resolve
    from payments.services.reverse import payment_reverse

    def events_and_audit(p, action):
        return (Event.objects.filter(payment=p, user=senior_user).count(),
                AuditEntry.objects.filter(payment=p, action=action, user=senior_user).count())

    by = {"user": senior_user, "comment": "checked"}
    p = declined_everywhere(engine)
    payment_resend(payment_id=p.pk, **by)
    assert events_and_audit(p, "resend") == (1, 1)
    engine.drive(p)  # done before the next payment's scripted decline
    p = declined_everywhere(engine)
    payment_correct(payment_id=p.pk, account="9161112233", **by)
    assert events_and_audit(p, "correct") == (1, 1)
    engine.drive(p)
    p = declined_everywhere(engine)
    payment_cancel(payment_id=p.pk, **by)
    assert events_and_audit(p, "cancel") == (1, 1)
    p = engine.drive(engine.accept(amount="100.00"))
    payment_reverse(payment_id=p.pk, reference="R-1", **by)
    assert events_and_audit(p, "reverse") == (1, 1)
    p = unknown(engine)
    payment_poll_now(payment_id=p.pk, **by)
    assert events_and_audit(p, "poll") == (1, 1)
    payment_resolve(payment_id=p.pk, outcome="failed", reference="R-2", **by)
    assert events_and_audit(p, "resolve") == (2, 1)
    q = declined_everywhere(engine)
    payment_bulk_resend(payment_ids=[p.pk, q.pk], **by)
    assert events_and_audit(p, "resend") == (3, 1)
    assert events_and_audit(q, "resend") == (1, 1)
    assert AuditEntry.objects.filter(action="bulk_resend", payment=None, user=senior_user).count() == 1


def test_an_attempt_on_its_way_to_the_gateway_is_neither_polled_nor_resolved_until_its_lease_ends(
        engine, senior_user, monkeypatch):
    """A status "not found" could overtake the pay request still on its way and resend the payment."""
    from payments.services import submit as submit_mod
    from payments.services.poll_now import payment_poll_now
    from payments.services.resolve import payment_resolve

    class WorkerKilled(BaseException):
        pass

    def killed(*a, **k):
        raise WorkerKilled

    real_record = submit_mod._record
    monkeypatch.setattr(submit_mod, "_record", killed)
    p = engine.accept(amount="100.00")
    with pytest.raises(WorkerKilled):
        submit_mod.payment_submit(payment_id=p.pk)
    monkeypatch.setattr(submit_mod, "_record", real_record)
    for action, kw in ((payment_poll_now, {}), (payment_resolve, {"outcome": "failed", "reference": "R"})):
        with pytest.raises(ActionRefused) as refused:
            action(payment_id=p.pk, user=senior_user, comment="x", **kw)
        assert refused.value.code == "attempt_in_flight"
    assert Attempt.objects.get(payment=p).state == "open"
    engine.clock.advance(61)  # past the attempt's lease: the engine would poll it now too
    p = payment_poll_now(payment_id=p.pk, user=senior_user, comment="customer waiting")
    assert p.status == "succeeded"
    assert len(engine.book.payments_for("9160000000")) == 1

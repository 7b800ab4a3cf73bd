"""Registering, numbering, stepping through the workflow, and the outcome checked against the payment."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from claims.errors import ClaimError, Code
from claims.models import Claim, ClaimCounter, Step
from claims.services import Cheque, claim_escalate, claim_link_payment, claim_transition
from support.models import AuditEntry

from .conftest import msk

pytestmark = pytest.mark.django_db


def test_a_claim_from_a_payment_gets_the_years_next_number_its_deadline_and_a_history_row(
        register, make_payment, support_user):
    payment = make_payment("1001", "150.00")
    claim = register(payment, received_at=msk(2026, 3, 13, 10, 0))
    assert claim.number == "CL-2026-000001"
    assert claim.status == "registered"
    assert claim.payment == payment and claim.dealer_id == payment.dealer_id
    assert claim.due_at.astimezone(timezone.get_current_timezone()).date().isoformat() == "2026-03-23"
    assert claim.privacy_notice == "2026-01"
    assert list(claim.steps.values_list("kind", "user__username")) == [("registered", "support")]
    assert AuditEntry.objects.get(payment=payment).action == "claim_register"
    assert register(payment, received_at=msk(2026, 3, 14)).number == "CL-2026-000002"
    assert register(payment, received_at=msk(2027, 1, 12), now=msk(2027, 1, 12, 13)).number == "CL-2027-000001"


def test_a_claim_from_scratch_is_linked_by_terminal_and_txn_when_the_cheque_names_a_payment(
        register, make_payment):
    payment = make_payment("1001", "75.00", txn="777")
    claim = register(None, cheque=Cheque(terminal="1001", txn="777", amount=Decimal("75.00")))
    assert claim.payment == payment


def test_a_claim_whose_cheque_matches_nothing_stays_unlinked_and_can_be_linked_later(
        register, make_payment, support_user):
    claim = register(None, cheque=Cheque(terminal="1001", txn="404", amount=Decimal("75.00"), account="9160000000"))
    assert claim.payment is None and claim.dealer is None
    payment = make_payment("1001", "75.00", account="9160000000")
    claim = claim_link_payment(claim=claim, payment=payment, user=support_user, comment="нашли по счёту")
    assert claim.payment == payment
    assert claim.steps.last().kind == "linked"
    other = make_payment("1001", "75.00")
    with pytest.raises(ClaimError) as err:
        claim_link_payment(claim=claim, payment=other, user=support_user, comment="другой")
    assert err.value.code == Code.ALREADY_LINKED


def test_a_receipt_time_in_the_future_is_refused_and_no_number_is_used(register):
    with pytest.raises(ClaimError) as err:
        register(None, received_at=timezone.now() + timedelta(hours=1))
    assert err.value.code == Code.RECEIVED_IN_FUTURE
    assert Claim.objects.count() == 0 and ClaimCounter.objects.count() == 0


def test_the_workflow_moves_registered_investigating_resolved_with_author_time_and_comment(
        register, make_payment, support_user, senior_user):
    payment = make_payment("1001", "100.00", status="succeeded")
    claim = register(payment)
    claim = claim_transition(claim=claim, to="investigating", user=support_user, comment="смотрим")
    claim = claim_transition(claim=claim, to="resolved", user=senior_user, comment="зачислен",
                             outcome="credited", answer="Платёж зачислен на ваш счёт.")
    assert (claim.status, claim.outcome, claim.answer) == ("resolved", "credited", "Платёж зачислен на ваш счёт.")
    assert claim.answered_by == senior_user and claim.answered_at is not None
    assert list(claim.steps.values_list("kind", "from_status", "to_status", "user__username", "comment")) == [
        ("registered", "", "registered", "support", "Претензия зарегистрирована."),
        ("investigating", "registered", "investigating", "support", "смотрим"),
        ("resolved", "investigating", "resolved", "senior", "зачислен"),
    ]


def test_a_step_the_workflow_does_not_allow_is_refused_and_changes_nothing(register, support_user):
    # (status now, step asked for): each refused with the same code, the claim left as it was
    for start, to in [("registered", "resolved"), ("resolved", "investigating"), ("rejected", "resolved"),
                      ("resolved", "rejected"), ("rejected", "registered"), ("investigating", "registered")]:
        claim = register(None)
        Claim.objects.filter(pk=claim.pk).update(status=start)
        with pytest.raises(ClaimError) as err:
            claim_transition(claim=claim, to=to, user=support_user, comment="x", outcome="explained", answer="y")
        assert err.value.code == Code.ILLEGAL_TRANSITION, (start, to)
        assert Claim.objects.get(pk=claim.pk).status == start
        assert claim.steps.count() == 1


def test_the_same_step_twice_is_a_harmless_double_click(register, support_user):
    claim = register(None)
    claim_transition(claim=claim, to="investigating", user=support_user, comment="раз")
    claim_transition(claim=claim, to="investigating", user=support_user, comment="два")
    assert claim.steps.filter(kind="investigating").count() == 1


def test_every_step_needs_a_comment_and_closing_needs_an_answer(register, support_user):
    claim = register(None)
    with pytest.raises(ClaimError) as err:
        claim_transition(claim=claim, to="investigating", user=support_user, comment="  ")
    assert err.value.code == Code.COMMENT_REQUIRED
    claim_transition(claim=claim, to="investigating", user=support_user, comment="ok")
    with pytest.raises(ClaimError) as err:
        claim_transition(claim=claim, to="rejected", user=support_user, comment="нет", answer="")
    assert err.value.code == Code.ANSWER_REQUIRED
    with pytest.raises(ClaimError) as err:
        claim_transition(claim=claim, to="resolved", user=support_user, comment="ok", answer="a", outcome="")
    assert err.value.code == Code.OUTCOME_REQUIRED
    assert Claim.objects.get(pk=claim.pk).status == "investigating"


def test_the_outcome_must_match_the_payments_state(register, make_payment, support_user):
    cases = [  # (payment's status, outcome asked for, allowed)
        ("succeeded", "credited", True), ("failed", "credited", False), ("processing", "credited", False),
        ("cancelled", "credited", False), ("cancelled", "refunded", True), ("failed", "refunded", False),
        ("succeeded", "refunded", False), ("failed", "explained", True), ("succeeded", "explained", True),
    ]
    for payment_status, outcome, allowed in cases:
        claim = register(make_payment("1001", "100.00", status=payment_status))
        claim_transition(claim=claim, to="investigating", user=support_user, comment="ok")
        if allowed:
            claim = claim_transition(claim=claim, to="resolved", user=support_user, comment="ok", outcome=outcome,
                                     answer="ответ")
            assert (claim.status, claim.outcome) == ("resolved", outcome)
            continue
        with pytest.raises(ClaimError) as err:
            claim_transition(claim=claim, to="resolved", user=support_user, comment="ok", outcome=outcome,
                             answer="ответ")
        assert err.value.code == Code.OUTCOME_CONTRADICTS_PAYMENT, (payment_status, outcome)
        fresh = Claim.objects.get(pk=claim.pk)
        assert (fresh.status, fresh.outcome, fresh.answer) == ("investigating", "", "")


def test_credited_without_a_linked_payment_is_refused(register, support_user):
    claim = register(None)
    claim_transition(claim=claim, to="investigating", user=support_user, comment="ok")
    with pytest.raises(ClaimError) as err:
        claim_transition(claim=claim, to="resolved", user=support_user, comment="ok", outcome="credited", answer="a")
    assert err.value.code == Code.PAYMENT_REQUIRED


def test_an_escalation_to_a_gateway_is_a_step_with_the_gateway_time_and_reference(register, support_user):
    from gateways.models import Gateway

    claim = register(None)
    cyberplat = Gateway.objects.get(code="cyberplat")
    claim_escalate(claim=claim, user=support_user, gateway=cyberplat, reference="CP-4711",
                   happened_at=msk(2026, 3, 14, 11, 0), comment="запрос в CyberPlat")
    step = Step.objects.get(claim=claim, kind="escalated")
    assert (step.gateway.code, step.reference, step.happened_at, step.comment) == (
        "cyberplat", "CP-4711", msk(2026, 3, 14, 11, 0), "запрос в CyberPlat")


def test_credited_once_the_console_resolved_the_payment_as_succeeded(client, register, make_payment, senior_user,
                                                                      support_user):
    from gateways.models import Gateway
    from payments.models import Attempt, Payment
    from payments.services.resolve import payment_resolve

    payment = make_payment("1001", "300.00", status="processing")
    attempt = Attempt.objects.create(payment=payment, gateway=Gateway.objects.get(code="cyberplat"),
                                     attempt_id="900000000000000001", outcome="unknown")
    Attempt.objects.filter(pk=attempt.pk).update(started_at=timezone.now() - timedelta(hours=2))
    claim = register(payment)
    claim_transition(claim=claim, to="investigating", user=support_user, comment="ждём шлюз")
    with pytest.raises(ClaimError) as err:
        claim_transition(claim=claim, to="resolved", user=support_user, comment="x", outcome="credited", answer="a")
    assert err.value.code == Code.OUTCOME_CONTRADICTS_PAYMENT

    payment_resolve(payment_id=payment.pk, user=senior_user, comment="CyberPlat подтвердил по телефону",
                    outcome="succeeded", reference="CP-123")
    assert Payment.objects.get(pk=payment.pk).status == "succeeded"
    claim = claim_transition(claim=claim, to="resolved", user=support_user, comment="зачислено",
                             outcome="credited", answer="Платёж зачислен на ваш счёт.")
    assert (claim.status, claim.outcome) == ("resolved", "credited")
    client.force_login(support_user)
    page = client.get(f"/support/claims/{claim.number}/").content.decode()
    assert "<td>ручное разрешение исхода</td><td>senior</td><td>CyberPlat подтвердил по телефону</td>" in page

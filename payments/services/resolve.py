"""Resolve an unknown outcome by hand, after support checked with the gateway (by phone).

The open attempt is closed with result code `manual:<reference>` and the outcome the
gateway gave (`ok` or `declined`), polling stops (`next_try_at` cleared) and the payment
moves through `payment_transition`. Reconciliation compares the gateway's registry with
that closed attempt like any other, so a registry row that contradicts the resolution opens
a discrepancy (gateways/reconcile/compare.py).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gateways.adapters.base import Outcome

from ..errors import ActionCode, ActionRefused, Reason
from ..locks import lock_payment
from ..models import Attempt, Payment, Status
from . import outcomes
from .operator import actor_of, audit, comment_required, in_flight, reference_required, state_of
from .transition import payment_transition

RESOLUTIONS = (Status.SUCCEEDED, Status.FAILED)


def open_attempt(payment: Payment) -> Attempt | None:
    return payment.attempts.filter(state=Attempt.State.OPEN).order_by("-pk").first()


def resolve_refusal(payment: Payment) -> tuple[ActionCode, str] | None:
    attempt = open_attempt(payment) if payment.status == Status.PROCESSING else None
    if attempt is None:
        return ActionCode.STATE, payment.status
    if in_flight(payment, attempt):
        return ActionCode.IN_FLIGHT, ""
    return None


def payment_resolve(*, payment_id: int, user, comment: str, outcome: str, reference: str,
                    approval: str = "") -> Payment:
    """Close the open attempt as the gateway said and move the payment to `succeeded` or `failed`."""
    comment = comment_required(comment)
    reference = reference_required(reference)
    if outcome not in RESOLUTIONS:
        raise ActionRefused(ActionCode.STATE, outcome)
    with transaction.atomic():
        payment = lock_payment(payment_id)
        refusal = resolve_refusal(payment)
        if refusal is not None:
            raise ActionRefused(*refusal)
        attempt = Attempt.objects.select_for_update().select_related("gateway").get(pk=open_attempt(payment).pk)
        before = {**state_of(payment), "attempt": attempt.attempt_id, "attempt_outcome": attempt.outcome}
        attempt.state = Attempt.State.CLOSED
        attempt.outcome = str(Outcome.OK if outcome == Status.SUCCEEDED else Outcome.DECLINED)
        attempt.result_code = f"manual:{reference}"[:32]
        attempt.message = comment[:255]
        attempt.finished_at = timezone.now()
        if outcome == Status.SUCCEEDED and not attempt.upstream_id:
            attempt.upstream_id = reference
        attempt.save(update_fields=["state", "outcome", "result_code", "message", "finished_at", "upstream_id"])
        actor = actor_of(user)
        detail = {"action": "resolve", "comment": comment, "approval": approval, "reference": reference,
                  "gateway": attempt.gateway.code, "attempt": attempt.attempt_id}
        if outcome == Status.SUCCEEDED:
            payment_transition(payment=payment, to=Status.SUCCEEDED, actor=actor, reason="resolved", user=user,
                               detail=detail, next_try_at=None, leased_until=None)
        else:
            payment_transition(payment=payment, to=Status.FAILED, actor=actor, reason=Reason.DECLINED, user=user,
                               detail=detail, next_try_at=None, leased_until=None)
            outcomes.refund(payment, actor=actor)
        audit(user=user, action="resolve", payment=payment, before=before, comment=comment, approval=approval,
              after={**state_of(payment), "attempt": attempt.attempt_id, "result_code": attempt.result_code})
    return payment

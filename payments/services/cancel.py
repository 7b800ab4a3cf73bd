"""Cancel a failed or held payment: the dealer gives the customer the cash back.

The ledger must end as if the payment never existed, so only what is still debited for it
is credited back: nothing for a failed payment (its failure credited the debit back) and
nothing for a held one (never debited).
"""

from __future__ import annotations

from django.db import transaction

from ..errors import ActionCode, ActionRefused
from ..locks import lock_payment
from ..models import Payment, Status
from . import outcomes
from .operator import actor_of, audit, comment_required, has_open_attempt, state_of
from .transition import payment_transition

CANCELLABLE = (Status.FAILED, Status.HELD)


def cancel_refusal(payment: Payment) -> tuple[ActionCode, str] | None:
    if payment.status not in CANCELLABLE:
        return ActionCode.STATE, payment.status
    if has_open_attempt(payment):
        return ActionCode.AMBIGUOUS, ""
    return None


def payment_cancel(*, payment_id: int, user, comment: str, approval: str = "") -> Payment:
    """`failed` or `held` -> `cancelled`; credit back whatever is still debited (usually nothing)."""
    comment = comment_required(comment)
    with transaction.atomic():
        payment = lock_payment(payment_id)
        refusal = cancel_refusal(payment)
        if refusal is not None:
            raise ActionRefused(*refusal)
        before = state_of(payment)
        actor = actor_of(user)
        payment_transition(payment=payment, to=Status.CANCELLED, actor=actor, reason="cancelled", user=user,
                           detail={"action": "cancel", "comment": comment, "approval": approval},
                           next_try_at=None, leased_until=None)
        entry = outcomes.refund(payment, actor=actor)
        audit(user=user, action="cancel", payment=payment, before=before, comment=comment, approval=approval,
              after={**state_of(payment), "refunded": f"{entry.amount:.2f}" if entry else "0.00"})
    return payment

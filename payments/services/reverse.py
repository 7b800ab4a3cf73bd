"""Reverse a succeeded payment that the gateway or provider agreed to take back (a wrong number).

`succeeded -> cancelled`, the gateway's reversal reference recorded, the credited sum
credited to the dealer, and the payment's reward entries reversed.
"""

from __future__ import annotations

from django.db import transaction

from dealers.models import LedgerEntry

from ..errors import ActionCode, ActionRefused
from ..locks import lock_payment
from ..models import Payment, Status
from . import engine
from .operator import actor_of, audit, comment_required, reference_required, state_of
from .transition import payment_transition


def reward_reverse(*, payment: Payment, by=None) -> list[LedgerEntry]:
    """Take back the rewards of this payment, every level: accrued shares are voided, credited ones
    reversed by a negative `reward` entry per dealer (dealers' reward rows). Runs in the caller's
    transaction. Returns the reversing ledger entries."""
    from dealers.services import reward_reverse_for_payment

    rows = reward_reverse_for_payment(payment=payment, by=by)
    return [row.reversal for row in rows if row.reversal is not None]


def reverse_refusal(payment: Payment) -> tuple[ActionCode, str] | None:
    if payment.status != Status.SUCCEEDED:
        return ActionCode.STATE, payment.status
    return None


def payment_reverse(*, payment_id: int, user, comment: str, reference: str, approval: str = "") -> Payment:
    """`succeeded` -> `cancelled`: credit the dealer the credited sum once, reverse its rewards."""
    comment = comment_required(comment)
    reference = reference_required(reference)
    with transaction.atomic():
        payment = lock_payment(payment_id)
        refusal = reverse_refusal(payment)
        if refusal is not None:
            raise ActionRefused(*refusal)
        before = state_of(payment)
        actor = actor_of(user)
        payment_transition(payment=payment, to=Status.CANCELLED, actor=actor, reason="reversed", user=user,
                           detail={"action": "reverse", "comment": comment, "approval": approval,
                                   "reversal_reference": reference})
        entry = engine.refund(payment, actor=actor)
        rewards = reward_reverse(payment=payment, by=user)
        audit(user=user, action="reverse", payment=payment, before=before, comment=comment, approval=approval,
              after={**state_of(payment), "reversal_reference": reference,
                     "refunded": f"{entry.amount:.2f}" if entry else "0.00",
                     "rewards_reversed": [f"{e.amount:.2f}" for e in rewards]})
    return payment

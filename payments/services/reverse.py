"""Reverse a succeeded payment that the gateway or provider agreed to take back (a wrong number).

`succeeded -> cancelled`, the gateway's reversal reference recorded, the credited sum
credited to the dealer, and the payment's reward entries reversed.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from dealers.models import LedgerEntry
from dealers.services import ledger_post

from ..errors import ActionCode, ActionRefused
from ..locks import lock_payment
from ..models import Payment, Status
from . import outcomes
from .operator import actor_of, audit, comment_required, reference_required, state_of
from .transition import payment_transition


def reward_reverse(*, payment: Payment, by=None) -> list[LedgerEntry]:
    """Take back the rewards credited for this payment: one negative `reward` entry per dealer (level).

    The seam where the agents' reward rows plug in: whatever `reward` entries carry this
    payment (the dealer's own and each upper level's) are netted per dealer and reversed.
    With no reward entries posted per payment yet, there is nothing to take back.
    """
    net: dict[int, Decimal] = {}
    for dealer_id, amount in (LedgerEntry.objects.filter(payment=payment, kind=LedgerEntry.Kind.REWARD)
                              .order_by("pk").values_list("dealer_id", "amount")):
        net[dealer_id] = net.get(dealer_id, Decimal("0")) + amount
    return [ledger_post(dealer_id=dealer_id, kind=LedgerEntry.Kind.REWARD, amount=-total, payment=payment, by=by,
                        comment=f"{payment.cheque_number} reversed")
            for dealer_id, total in sorted(net.items()) if total > 0]


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
        entry = outcomes.refund(payment, actor=actor)
        rewards = reward_reverse(payment=payment, by=user)
        audit(user=user, action="reverse", payment=payment, before=before, comment=comment, approval=approval,
              after={**state_of(payment), "reversal_reference": reference,
                     "refunded": f"{entry.amount:.2f}" if entry else "0.00",
                     "rewards_reversed": [f"{e.amount:.2f}" for e in rewards]})
    return payment

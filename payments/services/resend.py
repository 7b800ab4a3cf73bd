"""Resend a failed payment as it is: acceptance's checks again, a fresh debit, a new round."""

from __future__ import annotations

from django.db import transaction

from providers import selectors as catalogue

from ..errors import ActionCode, ActionRefused, Reason
from ..locks import lock_payment
from ..models import Payment, Status
from .operator import acceptance_refusal, actor_of, audit, comment_required, has_open_attempt, state_of
from .rounds import round_start


def resend_refusal(payment: Payment, *, snap=None) -> tuple[ActionCode, str] | None:
    """Why this payment may not be resent as it is now (None: it may). Reads, changes nothing."""
    if payment.status != Status.FAILED:
        return ActionCode.STATE, payment.status
    if payment.reason == Reason.BLACKLISTED_ACCOUNT:
        return ActionCode.BLACKLISTED, ""
    if has_open_attempt(payment):
        return ActionCode.AMBIGUOUS, ""
    snap = snap or catalogue.snapshot_load()
    provider = catalogue.provider_by_code(payment.provider.code if payment.provider_id else payment.provider_code,
                                          snap)
    return acceptance_refusal(provider=provider, account=payment.account, fields=payment.fields,
                              amount=payment.amount, credited=payment.credited, snap=snap)


def payment_resend(*, payment_id: int, user, comment: str, approval: str = "", snap=None) -> Payment:
    """`failed` -> `accepted` (or `held` when the balance is short) in a new round.

    Refused (ActionRefused, nothing changed) when the payment is not failed, its account is
    blacklisted, an outcome is still open, or acceptance's checks fail against today's
    catalogue. `snap`: a catalogue read once for a bulk resend (default: read now).
    """
    comment = comment_required(comment)
    snap = snap or catalogue.snapshot_load()  # today's catalogue, not a cached one
    with transaction.atomic():
        payment = lock_payment(payment_id)
        refusal = resend_refusal(payment, snap=snap)
        if refusal is not None:
            raise ActionRefused(*refusal)
        provider = catalogue.provider_by_code(
            payment.provider.code if payment.provider_id else payment.provider_code, snap)
        if provider.pk != payment.provider_id:
            # The code the terminal sent names a provider now (added to the catalogue since).
            payment.provider = provider
            Payment.objects.filter(pk=payment.pk).update(provider=provider)
        before = state_of(payment)
        actor = actor_of(user)
        round_start(payment, user=user, actor=actor, why="resent",
                    detail={"action": "resend", "comment": comment, "approval": approval})
        audit(user=user, action="resend", payment=payment, before=before, comment=comment, approval=approval)
    return payment

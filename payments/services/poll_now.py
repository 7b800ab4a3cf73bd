"""Poll now: support asks the gateway for a payment's status at once, through the engine's own poll."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ..errors import ActionCode, ActionRefused
from ..locks import lock_payment
from ..models import Payment, Status
from .operator import actor_of, audit, comment_required, in_flight, state_of
from .poll import payment_poll
from .resolve import open_attempt
from .transition import payment_note


def poll_refusal(payment: Payment) -> tuple[ActionCode, str] | None:
    attempt = open_attempt(payment) if payment.status == Status.PROCESSING else None
    if attempt is None:
        return ActionCode.STATE, payment.status
    if in_flight(payment, attempt):
        return ActionCode.IN_FLIGHT, ""
    return None


def payment_poll_now(*, payment_id: int, user, comment: str) -> Payment:
    """Make the open attempt's poll due now, then poll (the gateway call runs outside any transaction).

    Only the gateway the payment is with is asked, exactly as the engine polls: an answer
    records through the same rules (success, decline, "never arrived", still unknown).
    """
    comment = comment_required(comment)
    with transaction.atomic():
        payment = lock_payment(payment_id)
        refusal = poll_refusal(payment)
        if refusal is not None:
            raise ActionRefused(*refusal)
        before = state_of(payment)
        Payment.objects.filter(pk=payment.pk).update(next_try_at=timezone.now(), leased_until=None)
        payment_note(payment=payment, actor=actor_of(user), reason="poll_requested", user=user,
                     detail={"action": "poll", "comment": comment})
        # What the poll finds is on the timeline (the engine's own events); the audit row is the request.
        audit(user=user, action="poll", payment=payment, before=before, comment=comment, after=before)
    payment_poll(payment_id=payment_id, actor=actor_of(user))
    payment.refresh_from_db()
    return payment

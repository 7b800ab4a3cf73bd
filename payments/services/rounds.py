"""A new round: a failed payment goes back to the engine as if it had just been accepted.

The round number rises, the gateway it was with is forgotten, and the credited sum is
debited afresh (the failure credited it back); with the balance short the payment waits
`held` and resumes by itself after a top-up, as at acceptance. Routing and the retry budget
count only the new round's attempts (payments/services/outcomes.py: attempt_history; routing.py).
"""

from __future__ import annotations

from django.utils import timezone

from ..errors import Reason
from ..messages import submit_on_commit
from ..models import Payment, Status
from .accept import _accepted_lease, _debit
from .transition import payment_transition


def round_start(payment: Payment, *, user, actor: str, why: str, detail: dict) -> str:
    """Move a locked `failed` payment to `accepted` (debited) or `held`; return the new status.

    Runs in the caller's transaction with the payment row locked (payment before dealer:
    the debit locks the dealer row by its own conditional UPDATE).
    """
    changes = {"round": payment.round + 1, "gateway": None, "next_try_at": None, "leased_until": None}
    detail = {**detail, "round": payment.round + 1}
    if payment.terminal.status == payment.terminal.Status.BLOCKED:
        to, reason = Status.HELD, Reason.TERMINAL_BLOCKED
    elif not _debit(payment):
        to, reason = Status.HELD, Reason.INSUFFICIENT_BALANCE
    else:
        to, reason = Status.ACCEPTED, why
        changes["leased_until"] = timezone.now() + _accepted_lease()
    moved = payment_transition(payment=payment, to=to, actor=actor, reason=reason, user=user, detail=detail,
                               **changes)
    if not moved:  # pragma: no cover - the caller holds the row lock
        raise RuntimeError(f"payment {payment.pk} moved under its lock")
    if to == Status.ACCEPTED:
        submit_on_commit(payment.pk)
    return to

"""The one table of allowed state changes and the one function that moves the state."""

from django.db import transaction
from django.utils import timezone

from ..errors import IllegalTransition
from ..models import Event, Payment, Status

S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.ACCEPTED: frozenset({S.PROCESSING, S.HELD, S.FAILED, S.CANCELLED}),
    S.HELD: frozenset({S.ACCEPTED, S.FAILED, S.CANCELLED}),
    S.PROCESSING: frozenset({S.SUCCEEDED, S.FAILED, S.ACCEPTED}),
    # A corrected payment is resent (support); a failed one may also be written off.
    S.FAILED: frozenset({S.ACCEPTED, S.HELD, S.CANCELLED}),
    # Reversed by hand (sent to a wrong number, and the gateway agreed to reverse it).
    S.SUCCEEDED: frozenset({S.CANCELLED}),
    S.CANCELLED: frozenset(),
}
# Final for the engine: only a person moves a payment out of these (resend, reverse).
FINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED})


def payment_transition(*, payment: Payment, to: str, actor: str, reason: str = "", user=None,
                       detail: dict | None = None, **changes) -> bool:
    """Move `payment` to `to` by compare-and-set and write the event row, atomically.

    Returns False (and changes nothing) when another worker moved it first. `changes` are
    more columns set in the same UPDATE (reason, next_try_at, gateway...).
    """
    old = payment.status
    if to not in TRANSITIONS[old]:
        raise IllegalTransition(f"{old} -> {to} is not allowed")
    values = {"status": to, **changes}
    if "reason" not in values:
        values["reason"] = reason
    if to in FINAL:
        values.setdefault("finished_at", timezone.now())
    elif "finished_at" not in values:
        values["finished_at"] = None
    # No savepoint when the caller's transaction is open (the engine's always is): a failed
    # insert aborts the caller's whole transaction anyway, and a savepoint costs two statements.
    with transaction.atomic(savepoint=False):
        updated = Payment.objects.filter(pk=payment.pk, status=old).update(**values)
        if updated != 1:
            return False
        Event.objects.create(payment=payment, from_status=old, to_status=to, reason=reason,
                             actor=actor, user=user, detail=detail or {})
    for field, value in values.items():
        setattr(payment, field, value)
    return True


def payment_note(*, payment: Payment, actor: str, reason: str, detail: dict | None = None, user=None) -> Event:
    """An event without a state change (a gateway switch, a poll result, a request) for the timeline."""
    return Event.objects.create(payment=payment, from_status=payment.status, to_status=payment.status,
                                reason=reason, actor=actor, user=user, detail=detail or {})

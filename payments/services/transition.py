"""The one table of allowed state changes and the one function that moves the state."""

from django.db import transaction
from django.utils import timezone

from kit import rows

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
    # The UPDATE and the INSERT are built once per shape (kit/rows.py): the engine moves every
    # payment through here at least twice, and the ORM's compiler was most of their cost.
    with transaction.atomic(savepoint=False):
        if any(hasattr(v, "resolve_expression") for v in values.values()):
            updated = Payment.objects.filter(pk=payment.pk, status=old).update(**values)
        else:
            updated = rows.update(Payment, payment.pk, values, where={"status": old})
        if updated != 1:
            return False
        _event(payment, old, to, reason=reason, actor=actor, user=user, detail=detail)
    for field, value in values.items():
        setattr(payment, field, value)
    return True


def payment_note(*, payment: Payment, actor: str, reason: str, detail: dict | None = None, user=None) -> Event:
    """An event without a state change (a gateway switch, a poll result, a request) for the timeline."""
    return _event(payment, payment.status, payment.status, reason=reason, actor=actor, user=user, detail=detail)


def _event(payment: Payment, old: str, to: str, *, reason: str, actor: str, user, detail: dict | None) -> Event:
    return rows.insert(Event, {"payment": payment, "from_status": old, "to_status": to, "reason": reason,
                               "actor": actor, "user": user, "detail": detail or {}})

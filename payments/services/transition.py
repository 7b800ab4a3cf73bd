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
    if any(hasattr(v, "resolve_expression") for v in changes.values()):
        return _transition_orm(payment=payment, to=to, actor=actor, reason=reason, user=user, detail=detail,
                               **changes)
    # The UPDATE and the INSERT go as one statement on PostgreSQL (kit/rows.py: Chain), the event
    # written only when the UPDATE moved the row. The engine moves every payment through here at
    # least twice, and the ORM's compiler was most of their cost.
    chain = rows.Chain()
    moved = transition_add(chain, payment=payment, to=to, actor=actor, reason=reason, user=user, detail=detail,
                           **changes)
    chain.run()
    return moved.written


def transition_add(chain: rows.Chain, *, payment: Payment, to: str, actor: str, reason: str = "", user=None,
                   detail: dict | None = None, after: rows.Step | None = None, **changes) -> rows.Step:
    """payment_transition's UPDATE and event as steps of `chain` (the caller runs it, with its other
    writes, in one round trip); returns the UPDATE's step: `written` says whether the payment moved,
    and only then are the new values set on `payment`. `after`: move only when that step wrote."""
    old = payment.status
    values = _values(old, to, reason, changes)
    moved = chain.update(Payment, payment.pk, values, where={"status": old}, after=after)
    chain.insert(Event, _event_values(payment, old, to, reason=reason, actor=actor, user=user, detail=detail),
                 after=moved)

    def apply() -> None:
        for name, value in values.items():
            setattr(payment, name, value)

    moved.then.append(apply)
    return moved


def _values(old: str, to: str, reason: str, changes: dict) -> dict:
    if to not in TRANSITIONS[old]:
        raise IllegalTransition(f"{old} -> {to} is not allowed")
    values = {"status": to, **changes}
    if "reason" not in values:
        values["reason"] = reason
    if to in FINAL:
        values.setdefault("finished_at", timezone.now())
    elif "finished_at" not in values:
        values["finished_at"] = None
    return values


def _transition_orm(*, payment: Payment, to: str, actor: str, reason: str, user, detail: dict | None,
                    **changes) -> bool:
    """A transition whose changes hold expressions (F(), Now()): through the ORM's UPDATE."""
    old = payment.status
    values = _values(old, to, reason, changes)
    # No savepoint when the caller's transaction is open: a failed insert aborts it anyway.
    with transaction.atomic(savepoint=False):
        if Payment.objects.filter(pk=payment.pk, status=old).update(**values) != 1:
            return False
        _event(payment, old, to, reason=reason, actor=actor, user=user, detail=detail)
    for name, value in values.items():
        setattr(payment, name, value)
    return True


def payment_note(*, payment: Payment, actor: str, reason: str, detail: dict | None = None, user=None) -> Event:
    """An event without a state change (a gateway switch, a poll result, a request) for the timeline."""
    return _event(payment, payment.status, payment.status, reason=reason, actor=actor, user=user, detail=detail)


def _event(payment: Payment, old: str, to: str, *, reason: str, actor: str, user, detail: dict | None) -> Event:
    return rows.insert(Event, _event_values(payment, old, to, reason=reason, actor=actor, user=user, detail=detail))


def _event_values(payment: Payment, old: str, to: str, *, reason: str, actor: str, user, detail: dict | None) -> dict:
    return {"payment": payment, "from_status": old, "to_status": to, "reason": reason, "actor": actor,
            "user": user, "detail": detail or {}}

"""Submission: reserve -> call -> record, never a gateway call inside a transaction.

- reserve (short transaction): lock the payment, re-check it is due and has no open attempt,
  pick the gateway (the one it is with, else the router), create the attempt with a fresh
  attempt id, move `accepted -> processing`. `next_try_at` becomes the attempt's lease: if
  this worker dies before recording, the sweeper finds the open attempt when the lease
  ends and POLLS its status (never sends again, never elsewhere).
- call (no transaction): `check`, then `pay` with the same attempt id.
- record (short transaction): write the answer on the attempt and move the payment
  (payments/services/record.py).

Safe to run twice: a second run finds the payment not due, or with an open attempt, or
final, and returns quietly.
"""

from __future__ import annotations

import copy
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gateways.adapters.base import Adapter, Order, Outcome, Result, not_registered
from gateways.breaker import breaker_record
from gateways.models import Gateway, GatewayHealth
from gateways.services import adapter_for
from kit import rows
from kit.db import db_release
from providers import selectors as catalogue

from ..errors import Reason
from ..locks import lock_payment_and_attempt, lock_payment_lean
from ..models import Attempt, Payment, Status
from . import outcomes, routing
from .record import apply_result
from .transition import transition_add

log = logging.getLogger("kit.payments.engine")


def payment_submit(*, payment_id: int, actor: str = "worker") -> Payment | None:
    """Send the payment to a gateway once, if it is due; return it (None when there was nothing to do)."""
    reserved = _reserve(payment_id, actor=actor)
    if reserved is None:
        return None
    db_release()  # no connection held while the gateway answers
    check, pay = _call(reserved.adapter, reserved.order)
    return _record(reserved, check, pay, actor=actor)


@dataclass(frozen=True)
class Reserved:
    """What reserve made, for the call and the record: the payment and its attempt as reserve left them."""

    payment: Payment
    attempt: Attempt
    gateway: Gateway
    adapter: Adapter
    order: Order


def _reserve(payment_id: int, *, actor: str) -> Reserved | None:
    now = timezone.now()
    with transaction.atomic():
        try:
            payment = lock_payment_lean(payment_id)
        except Payment.DoesNotExist:
            return None
        if payment.status not in (Status.ACCEPTED, Status.PROCESSING):
            return None
        if payment.next_try_at is not None and payment.next_try_at > now:
            return None  # not due: a duplicate message, or a backoff still running
        # `tries` counts the attempts made (bumped with each attempt, in this transaction,
        # below): a payment never tried has no history to read.
        history = outcomes.attempt_history(payment) if payment.tries else []
        if any(state == Attempt.State.OPEN for _, state, _ in history):
            return None  # an open attempt is resolved by polling, never by sending again
        if payment.provider_id is None:
            outcomes.fail(payment, reason=Reason.NO_ROUTE, actor=actor, detail={})
            return None
        # Checked again here, not only at acceptance: a correction or a resend of a payment
        # whose account was blacklisted since must not reach a gateway either.
        if catalogue.account_blacklisted(payment.provider, payment.account):
            outcomes.fail(payment, reason=Reason.BLACKLISTED_ACCOUNT, actor=actor, detail={})
            return None
        route = routing.route_next(payment, actor=actor, history=history)
        if route is None:
            return None
        changes = {"gateway": route.gateway, "tries": payment.tries + 1, "leased_until": None,
                   "next_try_at": now + timedelta(seconds=settings.KIT_ATTEMPT_LEASE_SECONDS)}
        for _ in range(10):
            # The attempt, the payment's move and its event: one round trip (kit/rows.py: Chain). A
            # clashing attempt id writes nothing at all, and a new one is drawn.
            writes = rows.Chain()
            added = outcomes.attempt_add(writes, payment=payment, route=route)
            attempt_id = added.row["attempt_id"]
            if payment.status == Status.ACCEPTED:
                moved = transition_add(writes, payment=payment, to=Status.PROCESSING, actor=actor, reason="",
                                       detail={"gateway": route.gateway.code, "attempt": attempt_id},
                                       after=added, **changes)
            else:
                moved = writes.update(Payment, payment.pk, {"reason": "", **changes}, after=added)
            writes.run()
            if added.written:
                break
        else:
            raise RuntimeError("could not draw a unique attempt id")
        if not moved.written:  # pragma: no cover - the row lock makes this unreachable on PostgreSQL
            transaction.set_rollback(True)
            return None
        attempt = added.obj
        order = outcomes.order_for(payment, attempt)
        gateway = route.gateway
    return Reserved(payment, attempt, gateway, adapter_for(gateway), order)


def _call(adapter: Adapter, order: Order) -> tuple[Result, Result | None]:
    """check, then pay with the same attempt id. No transaction is open here."""
    check = not_registered(outcomes.call_safely(adapter.check, order, on_error=Outcome.RETRY))
    if not check.ok:
        return check, None
    return check, outcomes.call_safely(adapter.pay, order, on_error=Outcome.UNKNOWN)


def _record(reserved: Reserved, check: Result, pay: Result | None, *, actor: str) -> Payment | None:
    result, step = (pay, "pay") if pay is not None else (check, "check")
    merged = Result(result.outcome, result.code, result.message, result.upstream_id, result.reroutable,
                    check.exchanges + (pay.exchanges if pay is not None else ()), result.extra)
    if merged.outcome == Outcome.OK:
        done = _record_success(reserved, merged, step=step, actor=actor)
        if done is not None:
            return done
    payment_id, attempt_pk, gateway = reserved.payment.pk, reserved.attempt.pk, reserved.gateway
    with transaction.atomic():
        # The payment (with its dealer's path: the reward shares read it), the attempt and its
        # gateway's breaker row (breaker_record reads it), locked, in one statement.
        payment, attempt, health = lock_payment_and_attempt(payment_id, attempt_pk)
        if attempt.gateway_id != gateway.pk:  # pragma: no cover - reserve created it with this gateway
            raise RuntimeError(f"attempt {attempt_pk} is not at gateway {gateway.pk}")
        gateway = copy.copy(gateway)
        Gateway.health.related.set_cached_value(gateway, health)
        Attempt.gateway.field.set_cached_value(attempt, gateway)
        if attempt.state != Attempt.State.OPEN:
            return payment  # already resolved by a poll (this worker was slower than its lease)
        breaker_record(attempt.gateway, result)
        apply_result(payment, attempt, merged, step=step, actor=actor)
    return payment


_BREAKER_SQL: list[str] = []


def _record_success(reserved: Reserved, result: Result, *, step: str, actor: str) -> Payment | None:
    """The common ending, a success, written without reading the rows again: the payment moved from
    `processing` to `succeeded` (compare-and-set), its event and reward rows, and the attempt's
    answer only while the attempt is still open and never polled: exactly as reserve left both,
    which the in-memory copies from reserve then describe. One statement on PostgreSQL, with a
    look at the gateway's breaker row (a success resets a count of failures: breaker_record, right
    after; a worker dying in between leaves a count that the next success resets).

    Anything else (an operator or a poll got there first: the payment moved, the attempt was
    polled or closed) writes nothing and returns None: the caller takes the locked path, which
    decides as it always did. Locks are taken in the usual order, payment then attempt.
    """
    payment, attempt, gateway = reserved.payment, copy.copy(reserved.attempt), reserved.gateway
    if payment.status != Status.PROCESSING:  # pragma: no cover - reserve moved it there
        return None
    if not _BREAKER_SQL:
        h = rows.shape(GatewayHealth)
        col = h.by_name
        _BREAKER_SQL.append(
            f"SELECT count(*) FROM {h.table} WHERE {col['gateway_id'].column} = %s "  # noqa: S608 - names from the model
            f"AND ({col['state'].column} <> %s OR {col['failures'].column} > 0)")
    writes = rows.Chain()
    moved = outcomes.succeed(payment, actor=actor, detail=outcomes.result_detail(attempt, result, step),
                             chain=writes)
    filled = outcomes.attempt_fill(attempt, result, close=True, chain=writes, after=moved,
                                   where={"state": Attempt.State.OPEN, "polls": 0})
    filled.expect = f"attempt {attempt.pk}: not as reserve left it"  # else nothing at all is written
    breaker = writes.also(_BREAKER_SQL[0], [gateway.pk, GatewayHealth.State.CLOSED])
    # No transaction of its own: the statement is all or nothing (one round trip, not three). In a
    # caller's transaction, a savepoint, so that the locked path can follow a statement that failed.
    try:
        with transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext():
            writes.run()
    except rows.NotWritten:
        return None
    if breaker.value:  # not closed, or failures counted: breaker_record reads the row now and resets it
        fresh = copy.copy(gateway)
        Gateway.health.related.set_cached_value(fresh, None)
        breaker_record(fresh, result)
    return payment



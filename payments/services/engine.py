"""What submission, polling and the sweeper share: attempts, schedules, moves, failure with refund.

Every function here runs inside the caller's transaction with the payment row locked
(payment before dealer, so two workers never deadlock); none of them calls a gateway.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dealers.models import LedgerEntry
from dealers.services import ledger_post, reward_accrue_for_payment
from gateways.adapters.base import Order, Outcome, Result
from gateways.models import Route

from ..errors import Reason
from ..models import Attempt, Payment, Status
from .transition import payment_note, payment_transition

log = logging.getLogger("kit.payments.engine")

OPEN = Attempt.State.OPEN
CLOSED = Attempt.State.CLOSED


# --- attempts ---------------------------------------------------------------------------
def new_attempt_id() -> str:
    """18 digits: milliseconds since the epoch (13) + 5 random digits. Uniqueness is the DB's job."""
    return f"{int(time.time() * 1000) % 10**13:013d}{secrets.randbelow(10**5):05d}"


def attempt_create(*, payment: Payment, route: Route) -> Attempt:
    """A fresh attempt row with a unique attempt id (a clash retries in a savepoint)."""
    for _ in range(10):
        try:
            with transaction.atomic():
                return Attempt.objects.create(payment=payment, gateway=route.gateway, attempt_id=new_attempt_id(),
                                              remote_id=route.remote_id, round=payment.round)
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a unique attempt id")


def order_for(payment: Payment, attempt: Attempt) -> Order:
    return Order(attempt_id=attempt.attempt_id, remote_id=attempt.remote_id, account=payment.account,
                 amount=payment.amount, credited=payment.credited, paid_at=payment.paid_at,
                 terminal=payment.terminal.number, fields=dict(payment.fields or {}),
                 upstream_id=attempt.upstream_id)


def attempt_fill(attempt: Attempt, result: Result, *, close: bool, extra_ms: int = 0) -> None:
    """Write a gateway answer onto the attempt (exchanges appended, secrets already masked)."""
    attempt.outcome = str(result.outcome)
    attempt.result_code = (result.code or "")[:32]
    attempt.message = (result.message or "")[:255]
    if result.upstream_id:
        attempt.upstream_id = result.upstream_id[:64]
    attempt.exchange = list(attempt.exchange or []) + [e.as_dict() for e in result.exchanges]
    if not attempt.polls:
        # The submission's own latency (check + pay); status polls do not add to it.
        attempt.duration_ms = sum(e.ms for e in result.exchanges) + extra_ms
    if close:
        attempt.state = CLOSED
        attempt.finished_at = timezone.now()
    attempt.save(update_fields=["outcome", "result_code", "message", "upstream_id", "exchange", "duration_ms",
                                "state", "finished_at", "polls"])


def attempt_history(payment: Payment) -> list[tuple[int, str, str]]:
    """(gateway_id, state, outcome) of each attempt of the payment's current round, in one query.

    Earlier rounds ended before support resent the payment: their declines and retries are
    history, not a reason to skip a gateway now. An open attempt is always closed before a
    round ends (a payment is resent only from `failed`).
    """
    return list(payment.attempts.filter(round=payment.round).values_list("gateway_id", "state", "outcome"))


def declined_gateways(payment: Payment, history: list | None = None) -> set[int]:
    history = attempt_history(payment) if history is None else history
    return {gid for gid, _, outcome in history if outcome == Outcome.DECLINED}


def retries_at(payment: Payment, gateway_id: int) -> int:
    return payment.attempts.filter(gateway_id=gateway_id, state=CLOSED, outcome=Outcome.RETRY,
                                   round=payment.round).count()


def exhausted_gateways(payment: Payment, history: list | None = None) -> set[int]:
    """Gateways where this payment used up its retries."""
    limit = settings.KIT_RETRIES_PER_GATEWAY
    history = attempt_history(payment) if history is None else history
    counts: dict[int, int] = {}
    for gid, state, outcome in history:
        if state == CLOSED and outcome == Outcome.RETRY:
            counts[gid] = counts.get(gid, 0) + 1
    return {gid for gid, n in counts.items() if n >= limit}


# --- schedules --------------------------------------------------------------------------
def backoff(n: int) -> float:
    """Seconds before retry number `n` (1-based): exponential, capped, with +-20 % jitter."""
    base = settings.KIT_RETRY_BASE_SECONDS * (2 ** max(n - 1, 0))
    return min(settings.KIT_RETRY_MAX_SECONDS, base) * random.uniform(0.8, 1.2)


def poll_delay(polls_done: int) -> float:
    schedule = settings.KIT_POLL_SCHEDULE or [60.0]
    return schedule[min(polls_done, len(schedule) - 1)]


def schedule(payment: Payment, *, at: datetime, task_name: str, **changes) -> None:
    """Set the payment's next try, and hand it to the broker on commit when the wait is short.

    Long waits live only in `next_try_at` (the sweeper enqueues them); a short one is also
    sent as a countdown message so demo paths take seconds. While that message is on its
    way the sweeper's lease is taken, so the payment is not enqueued twice.
    """
    now = timezone.now()
    delay = max((at - now).total_seconds(), 0.0)
    short = delay <= settings.KIT_COUNTDOWN_MAX_SECONDS
    lease = at + timedelta(seconds=settings.KIT_SWEEP_LEASE_SECONDS) if short else None
    Payment.objects.filter(pk=payment.pk).update(next_try_at=at, leased_until=lease, **changes)
    payment.next_try_at, payment.leased_until = at, lease
    for field, value in changes.items():
        setattr(payment, field, value)
    if short:
        pk = payment.pk
        transaction.on_commit(lambda: enqueue_later(task_name, pk, delay))


def enqueue_later(task_name: str, payment_id: int, delay: float) -> None:
    """Send a payment task with a (short) countdown; a broker failure is logged, the sweeper is the net."""
    from .. import tasks

    task = {"submit": tasks.submit_payment, "poll": tasks.poll_payment}[task_name]
    try:
        task.apply_async(args=(payment_id,), countdown=max(0.0, min(delay, settings.KIT_COUNTDOWN_MAX_SECONDS)),
                         retry=False)  # one try, as kit.queue.enqueue: the sweeper is the net
    except Exception:  # noqa: BLE001 - any broker error: the lease expires and the sweeper sends it
        log.warning("enqueue of %s(%s) failed; the sweeper will pick it up", task.name, payment_id, exc_info=True)


def set_reason(payment: Payment, reason: str, *, actor: str, detail: dict | None = None) -> None:
    """A reason on a payment that keeps its status (waiting, outcome unknown), with a timeline note."""
    if payment.reason == reason:
        return
    Payment.objects.filter(pk=payment.pk).update(reason=reason)
    payment.reason = reason
    payment_note(payment=payment, actor=actor, reason=reason, detail=detail)


# --- endings ----------------------------------------------------------------------------
def succeed(payment: Payment, *, actor: str, detail: dict) -> bool:
    """Succeed, and write the reward shares of the dealer chain in the same transaction (no dealer row locked)."""
    if not payment_transition(payment=payment, to=Status.SUCCEEDED, actor=actor, reason="", detail=detail,
                              next_try_at=None, leased_until=None):
        return False
    reward_accrue_for_payment(payment=payment)
    return True


def fail(payment: Payment, *, reason: str, actor: str, detail: dict) -> bool:
    """Fail to the correction queue and give the dealer the credited sum back, exactly once."""
    if not payment_transition(payment=payment, to=Status.FAILED, actor=actor, reason=reason, detail=detail,
                              next_try_at=None, leased_until=None):
        return False
    refund(payment, actor=actor)
    log.info("payment %s failed: %s %s", payment.pk, reason, detail)
    return True


def refund(payment: Payment, *, actor: str) -> LedgerEntry | None:
    """Credit back what this payment still holds debited (nothing when it nets zero already)."""
    kinds = [LedgerEntry.Kind.PAYMENT_DEBIT, LedgerEntry.Kind.PAYMENT_CREDIT]
    # Summed here, not with Sum(): SQLite adds decimals as floats.
    net = sum(LedgerEntry.objects.filter(payment=payment, kind__in=kinds).values_list("amount", flat=True),
              Decimal("0"))
    if net >= 0:
        return None
    return ledger_post(dealer_id=payment.dealer_id, kind=LedgerEntry.Kind.PAYMENT_CREDIT, amount=-net,
                       payment=payment, comment=f"{payment.cheque_number} {payment.reason}")


def result_detail(attempt: Attempt, result: Result, step: str) -> dict:
    return {"gateway": attempt.gateway.code, "attempt": attempt.attempt_id, "step": step,
            "outcome": str(result.outcome), "code": result.code, "message": result.message[:255],
            "upstream_id": result.upstream_id}


def no_route_reason(payment: Payment) -> str:
    return Reason.DECLINED if declined_gateways(payment) else Reason.NO_ROUTE


def call_safely(fn, order: Order, *, on_error: Outcome) -> Result:
    """Run one adapter call; an adapter that raises (a bug, a reply it cannot parse) becomes a result.

    `on_error` is RETRY for a check (it registers nothing) and UNKNOWN for pay and status
    (the request may have been taken upstream).
    """
    try:
        return fn(order)
    except Exception as exc:  # noqa: BLE001 - the engine must record something, never die half-way
        log.exception("adapter %s raised on attempt %s", getattr(fn, "__qualname__", fn), order.attempt_id)
        return Result(on_error, "adapter_error", f"{type(exc).__name__}: {exc}"[:255])

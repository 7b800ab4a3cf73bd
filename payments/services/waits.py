"""Waits between tries: backoffs, poll schedules, the next try's time and its short-wait message.

Runs inside the caller's transaction with the payment row locked; never calls a gateway.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import messages
from ..models import Payment
from .transition import payment_note

log = logging.getLogger("kit.payments.engine")


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
    task = messages.task({"submit": messages.SUBMIT, "poll": messages.POLL}[task_name])
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

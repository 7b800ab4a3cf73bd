"""The sweeper: the database is the queue of record, this puts due work back on the broker.

Every KIT_SWEEP_SECONDS (Celery beat) it enqueues:
- payments whose `next_try_at` has come (a backoff, a poll, a wait for a gateway, or the
  lease of an attempt whose worker died: that one is polled, never sent again);
- payments still `accepted` with no next try after KIT_STUCK_ACCEPTED_SECONDS (the
  on-commit message was lost, or the broker was down when it was accepted);
- processing payments with an open attempt and no next try at all (belt and braces);
- a resume run for each dealer with held payments whose cause has passed.

Double enqueue is prevented by a compare-and-set on `leased_until`: only the sweeper that
moves an expired (or empty) lease forward sends the message. The tasks themselves are
safe to run twice anyway.

The lease covers a message's time in the queue, not only a fixed span: `leased_until` is
set whenever a message is sent (acceptance, a short countdown, the sweeper) and cleared by
the worker that takes the message. An expired lease therefore means "a message was sent and
no worker has taken it yet": lost, or still waiting behind a backlog. The sweeper reads the
gateway queue's depth once per sweep; with D messages waiting, the D most recently leased of
the expired payments may still be in the queue and are left alone (their lease runs on), and
only the others are sent again. Nothing waits that way longer than KIT_QUEUE_MAX_WAIT_SECONDS
past its lease, so a lost message behind a permanent backlog is still resent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from kit.queue import queue_depth
from terminals.models import Terminal

from .. import messages
from ..errors import Reason
from ..models import Attempt, Payment, Status

log = logging.getLogger(__name__)

BATCH = 500
GATEWAY_QUEUE = "gateway"  # where submit_payment and poll_payment wait (kit/celery.py task_routes)


def payment_sweep(*, now: datetime | None = None) -> dict:
    """Enqueue what is due. Returns counts: {"submit": n, "poll": n, "resume": n}."""
    now = now or timezone.now()
    lease_free = Q(leased_until__isnull=True) | Q(leased_until__lte=now)
    active = Payment.objects.filter(status__in=[Status.ACCEPTED, Status.PROCESSING]).filter(lease_free)
    due = active.filter(next_try_at__lte=now)
    stuck = active.filter(status=Status.ACCEPTED, next_try_at__isnull=True,
                          received_at__lte=now - timedelta(seconds=settings.KIT_STUCK_ACCEPTED_SECONDS))
    orphans = active.filter(status=Status.PROCESSING, next_try_at__isnull=True, attempts__state=Attempt.State.OPEN)
    ids: list[int] = []
    for qs in (due.order_by("next_try_at"), stuck.order_by("pk"), orphans.order_by("pk")):
        ids += [pk for pk in qs.values_list("pk", flat=True)[:BATCH] if pk not in ids]
    waiting = _maybe_still_queued(ids, now)

    if waiting:
        log.info("sweep: %d due payments may still wait in the queue; not sent again", len(waiting))
    counts = {"submit": 0, "poll": 0, "resume": 0}
    lease = now + timedelta(seconds=settings.KIT_SWEEP_LEASE_SECONDS)
    for pk in ids:
        if pk in waiting:
            continue
        claimed = Payment.objects.filter(pk=pk).filter(lease_free).update(leased_until=lease)
        if not claimed:
            continue  # another sweeper took it
        if Attempt.objects.filter(payment_id=pk, state=Attempt.State.OPEN).exists():
            messages.send(messages.POLL, pk)
            counts["poll"] += 1
        else:
            messages.send(messages.SUBMIT, pk)
            counts["submit"] += 1

    for dealer_id in held_resumable_dealers():
        messages.send(messages.RESUME_HELD, dealer_id)
        counts["resume"] += 1
    return counts


def _maybe_still_queued(ids: list[int], now: datetime) -> set[int]:
    """Of these due payments, those whose last message may still wait in the gateway queue.

    Only payments with an expired lease had a message sent that no worker took. With D
    messages waiting in the queue, at most D of them can still be there: the D leased most
    recently (the queue is first in, first out). None when the depth is unknown (broker down:
    sending fails anyway and is logged) or past KIT_QUEUE_MAX_WAIT_SECONDS after the lease.
    """
    if not ids:
        return set()
    give_up = now - timedelta(seconds=settings.KIT_QUEUE_MAX_WAIT_SECONDS)
    leased = list(Payment.objects.filter(pk__in=ids, leased_until__isnull=False, leased_until__gt=give_up)
                  .order_by("-leased_until", "-pk").values_list("pk", flat=True))
    if not leased:
        return set()
    depth = queue_depth(GATEWAY_QUEUE)
    if not depth:
        return set()
    return set(leased[:depth])


def held_resumable_dealers() -> list[int]:
    """Dealers with a held payment whose cause has passed (the resume run re-checks under lock)."""
    passed = (
        Q(reason=Reason.INSUFFICIENT_BALANCE, credited__lte=F("dealer__balance") + F("dealer__credit_limit"),
          terminal__status=Terminal.Status.ACTIVE, provider__is_active=True)
        | Q(reason=Reason.PROVIDER_DISABLED, provider__is_active=True, terminal__status=Terminal.Status.ACTIVE)
        | Q(reason=Reason.TERMINAL_BLOCKED, terminal__status=Terminal.Status.ACTIVE, provider__is_active=True)
    )
    return list(Payment.objects.filter(status=Status.HELD).filter(passed)
                .values_list("dealer_id", flat=True).distinct().order_by("dealer_id")[:BATCH])

"""What a gateway answer does to a payment (the four outcomes of docs/architecture.md). Shared by submission and polling.

| outcome  | attempt | payment |
|----------|---------|---------|
| ok       | closed  | succeeded |
| declined | closed  | re-routable code and another gateway left: moves there; else failed (refunded) |
| retry    | closed  | not registered upstream: same gateway again after a backoff; after the retries run out, the route's next gateway; with none, keeps retrying (capped) until it is too old, then failed |
| unknown  | open    | pinned to this gateway, status polled (seconds, then minutes); after a day flagged `outcome_unknown` |
| config   | open    | as unknown, flagged `gateway_config`; the breaker opened and admins were alerted |

Only `declined` and `retry` may hand a payment to another gateway. Runs in the caller's
transaction with the payment and the attempt locked.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gateways.adapters.base import Outcome, Result
from kit import rows

from ..errors import Reason
from ..models import Attempt, Payment, Status
from . import outcomes, routing, waits
from .transition import payment_note


def apply_result(payment: Payment, attempt: Attempt, result: Result, *, step: str, actor: str) -> None:
    detail = outcomes.result_detail(attempt, result, step)
    outcome = result.outcome
    if payment.status != Status.PROCESSING:  # pragma: no cover - guarded by the callers
        outcomes.attempt_fill(attempt, result, close=True)
        return
    if outcome == Outcome.OK:
        # The answer, the transition, its event and the reward rows: one round trip (kit/rows.py).
        writes = rows.Chain()
        outcomes.attempt_fill(attempt, result, close=True, chain=writes)
        outcomes.succeed(payment, actor=actor, detail=detail, chain=writes)
        writes.run()
        return
    if outcome == Outcome.DECLINED:
        outcomes.attempt_fill(attempt, result, close=True)
        if result.reroutable:
            _move_on(payment, attempt, detail, actor=actor, why="declined")
        else:
            outcomes.fail(payment, reason=Reason.DECLINED, actor=actor, detail=detail)
        return
    if outcome == Outcome.RETRY:
        outcomes.attempt_fill(attempt, result, close=True)
        n = routing.retries_at(payment, attempt.gateway_id)
        if n < settings.KIT_RETRIES_PER_GATEWAY:
            # A status saying "never arrived" resends at once; a refused send backs off.
            delay = 0.0 if step == "status" else waits.backoff(n)
            waits.schedule(payment, at=timezone.now() + timedelta(seconds=delay), task_name="submit")
        else:
            _move_on(payment, attempt, detail, actor=actor, why="retries_exhausted", retries=n)
        return
    # unknown / config: the payment may exist upstream; only this gateway's status can tell.
    outcomes.attempt_fill(attempt, result, close=False)
    now = timezone.now()
    if outcome == Outcome.CONFIG:
        waits.set_reason(payment, Reason.GATEWAY_CONFIG, actor=actor, detail=detail)
    elif attempt.started_at + timedelta(hours=settings.KIT_POLL_GIVE_UP_HOURS) <= now:
        waits.log.warning("payment %s: outcome unknown at %s after %s polls; flagged for support",
                           payment.pk, attempt.gateway.code, attempt.polls)
        waits.set_reason(payment, Reason.OUTCOME_UNKNOWN, actor=actor, detail=detail)
    waits.schedule(payment, at=now + timedelta(seconds=waits.poll_delay(attempt.polls)), task_name="poll")


def _move_on(payment: Payment, attempt: Attempt, detail: dict, *, actor: str, why: str, retries: int = 0) -> None:
    """Hand the payment to the route's next gateway (routing.route_next decides), or leave it as that decided."""
    route = routing.route_next(payment, actor=actor, leaving=attempt.gateway_id, why=why, detail=detail,
                               retries=retries)
    if route is not None:
        payment_note(payment=payment, actor=actor, reason="rerouted",
                     detail={**detail, "why": why, "to": route.gateway.code})
        waits.schedule(payment, at=timezone.now(), task_name="submit", gateway=route.gateway)

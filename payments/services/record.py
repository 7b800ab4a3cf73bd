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
from gateways.router import route_choose

from ..errors import Reason
from ..models import Attempt, Payment, Status
from . import engine
from .transition import payment_note


def apply_result(payment: Payment, attempt: Attempt, result: Result, *, step: str, actor: str) -> None:
    detail = engine.result_detail(attempt, result, step)
    outcome = result.outcome
    if payment.status != Status.PROCESSING:  # pragma: no cover - guarded by the callers
        engine.attempt_fill(attempt, result, close=True)
        return
    if outcome == Outcome.OK:
        engine.attempt_fill(attempt, result, close=True)
        engine.succeed(payment, actor=actor, detail=detail)
        return
    if outcome == Outcome.DECLINED:
        engine.attempt_fill(attempt, result, close=True)
        if result.reroutable:
            _move_on(payment, attempt, detail, actor=actor, why="declined")
        else:
            engine.fail(payment, reason=Reason.DECLINED, actor=actor, detail=detail)
        return
    if outcome == Outcome.RETRY:
        engine.attempt_fill(attempt, result, close=True)
        n = engine.retries_at(payment, attempt.gateway_id)
        if n < settings.KIT_RETRIES_PER_GATEWAY:
            # A status saying "never arrived" resends at once; a refused send backs off.
            delay = 0.0 if step == "status" else engine.backoff(n)
            engine.schedule(payment, at=timezone.now() + timedelta(seconds=delay), task_name="submit")
        else:
            _move_on(payment, attempt, detail, actor=actor, why="retries_exhausted", retries=n)
        return
    # unknown / config: the payment may exist upstream; only this gateway's status can tell.
    engine.attempt_fill(attempt, result, close=False)
    now = timezone.now()
    if outcome == Outcome.CONFIG:
        engine.set_reason(payment, Reason.GATEWAY_CONFIG, actor=actor, detail=detail)
    elif attempt.started_at + timedelta(hours=settings.KIT_POLL_GIVE_UP_HOURS) <= now:
        engine.log.warning("payment %s: outcome unknown at %s after %s polls; flagged for support",
                           payment.pk, attempt.gateway.code, attempt.polls)
        engine.set_reason(payment, Reason.OUTCOME_UNKNOWN, actor=actor, detail=detail)
    engine.schedule(payment, at=now + timedelta(seconds=engine.poll_delay(attempt.polls)), task_name="poll")


def _move_on(payment: Payment, attempt: Attempt, detail: dict, *, actor: str, why: str, retries: int = 0) -> None:
    """The route's next gateway, excluding those that declined or were retried out; else end or wait."""
    exclude = engine.declined_gateways(payment) | engine.exhausted_gateways(payment) | {attempt.gateway_id}
    choice = route_choose(provider=payment.provider, dealer=payment.dealer, exclude=exclude, take_trial=False)
    now = timezone.now()
    if choice.route is not None:
        payment_note(payment=payment, actor=actor, reason="rerouted",
                     detail={**detail, "why": why, "to": choice.route.gateway.code})
        engine.schedule(payment, at=now, task_name="submit", gateway=choice.route.gateway)
        return
    if choice.wait_until is not None:
        engine.set_reason(payment, Reason.NO_GATEWAY_AVAILABLE, actor=actor, detail={**detail, "why": why})
        engine.schedule(payment, at=choice.wait_until, task_name="submit")
        return
    if why == "declined":
        engine.fail(payment, reason=Reason.DECLINED, actor=actor, detail=detail)
        return
    if payment.received_at + timedelta(hours=settings.KIT_RETRY_GIVE_UP_HOURS) <= now:
        engine.fail(payment, reason=Reason.GATEWAY_UNAVAILABLE, actor=actor, detail={**detail, "why": why})
        return
    # Nowhere else to go: keep trying here, the delay capped by the backoff's maximum.
    engine.schedule(payment, at=now + timedelta(seconds=engine.backoff(retries)), task_name="submit")

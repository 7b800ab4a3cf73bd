"""The choice of a payment's next gateway, in one place: exclusions, the router, wait or fail.

Called when submitting (which gateway now?) and when recording an answer that hands the
payment on (a re-routable decline, retries used up). Routing and the retry budget count
only the current round's attempts (`attempt_history`): support's resend starts afresh.
Runs inside the caller's transaction with the payment row locked.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from gateways.adapters.base import Outcome
from gateways.breaker import breaker_allows
from gateways.models import Route
from gateways.router import route_choose, route_for_gateway

from ..errors import Reason
from ..models import Attempt, Payment
from . import outcomes, waits

CLOSED = Attempt.State.CLOSED


def declined_gateways(payment: Payment, history: list | None = None) -> set[int]:
    history = outcomes.attempt_history(payment) if history is None else history
    return {gid for gid, _, outcome in history if outcome == Outcome.DECLINED}


def retries_at(payment: Payment, gateway_id: int) -> int:
    return payment.attempts.filter(gateway_id=gateway_id, state=CLOSED, outcome=Outcome.RETRY,
                                   round=payment.round).count()


def exhausted_gateways(payment: Payment, history: list | None = None) -> set[int]:
    """Gateways where this payment used up its retries (this round)."""
    limit = settings.KIT_RETRIES_PER_GATEWAY
    history = outcomes.attempt_history(payment) if history is None else history
    counts: dict[int, int] = {}
    for gid, state, outcome in history:
        if state == CLOSED and outcome == Outcome.RETRY:
            counts[gid] = counts.get(gid, 0) + 1
    return {gid for gid, n in counts.items() if n >= limit}


def no_route_reason(payment: Payment, history: list | None = None) -> str:
    return Reason.DECLINED if declined_gateways(payment, history) else Reason.NO_ROUTE


def route_next(payment: Payment, *, actor: str, history: list | None = None, leaving: int | None = None,
               why: str = "", detail: dict | None = None, retries: int = 0) -> Route | None:
    """The gateway to send to now; or None after scheduling a wait, a backoff, or failing the payment.

    Submitting (`leaving` None): the gateway the payment is with, while it has not declined
    and is available; else the router's choice among the others; when every gateway has
    declined or been retried out, the retried-out ones may be tried again.
    Recording (`leaving`: the gateway that just answered `why` = "declined" or
    "retries_exhausted"): the router's next gateway other than it, only looking at a
    half-open breaker (the submission takes its trial). With none left a decline fails the
    payment; a retried-out payment keeps trying here after a backoff until it is too old.
    `history`: the round's attempts as (gateway_id, state, outcome), when the caller has them.
    """
    history = outcomes.attempt_history(payment) if history is None else history
    declined = declined_gateways(payment, history)
    exclude = declined | exhausted_gateways(payment, history)
    if leaving is None:
        current = payment.gateway_id if payment.gateway_id and payment.gateway_id not in declined else None
        if current is not None:
            # The route brings the gateway with its breaker row read now (gateways/router.py).
            route = route_for_gateway(provider=payment.provider, dealer=payment.dealer, gateway_id=current)
            if route is not None and route.gateway.is_active and breaker_allows(route.gateway):
                return route
            exclude.add(current)
    else:
        exclude.add(leaving)
    choice = route_choose(provider=payment.provider, dealer=payment.dealer, exclude=exclude,
                          take_trial=leaving is None)
    if choice.no_route and leaving is None:
        # Every gateway declined or was retried out: the retried-out ones may be tried again.
        choice = route_choose(provider=payment.provider, dealer=payment.dealer, exclude=declined)
    if choice.route is not None:
        return choice.route
    wait_detail = {**detail, "why": why} if detail else None
    if choice.wait_until is not None:
        waits.set_reason(payment, Reason.NO_GATEWAY_AVAILABLE, actor=actor, detail=wait_detail)
        waits.schedule(payment, at=choice.wait_until, task_name="submit")
        return None
    if leaving is None or why == "declined":
        if detail is None:
            last = (payment.attempts.filter(outcome=Outcome.DECLINED, round=payment.round)
                    .select_related("gateway").last())
            detail = {"gateway": last.gateway.code, "code": last.result_code, "message": last.message} if last else {}
        outcomes.fail(payment, reason=no_route_reason(payment, history) if leaving is None else Reason.DECLINED,
                      actor=actor, detail=detail)
        return None
    now = timezone.now()
    if payment.received_at + timedelta(hours=settings.KIT_RETRY_GIVE_UP_HOURS) <= now:
        outcomes.fail(payment, reason=Reason.GATEWAY_UNAVAILABLE, actor=actor, detail=wait_detail or {})
        return None
    # Nowhere else to go: keep trying here, the delay capped by the backoff's maximum.
    waits.schedule(payment, at=now + timedelta(seconds=waits.backoff(retries)), task_name="submit")
    return None

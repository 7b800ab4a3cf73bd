"""Circuit breaker per gateway, state in the database (`GatewayHealth`).

closed -> open after KIT_BREAKER_THRESHOLD consecutive technical failures (a `retry`, an
`unknown` caused by the transport, or at once on a `config` outcome: that is our bug or
our credentials, every payment would fail the same way). open -> half_open after
KIT_BREAKER_COOLDOWN_SECONDS: exactly one caller wins the trial (compare-and-set); its
success closes the breaker, its failure opens it again. An answer that is not technical
(a decline, a pending status) counts as a success: the gateway is up and talking.

Every change is a conditional UPDATE, so concurrent workers never lose a count and the
common case (closed, no failures, success) writes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .adapters.base import Outcome, Result
from .models import Gateway, GatewayHealth

log = logging.getLogger("kit.gateways.breaker")

S = GatewayHealth.State
# The trial attempt holds the half-open slot at most this long (a dead worker's trial expires).
TRIAL_LEASE = timedelta(seconds=90)


def _cooldown() -> timedelta:
    return timedelta(seconds=settings.KIT_BREAKER_COOLDOWN_SECONDS)


def health(gateway_id: int) -> GatewayHealth:
    obj, _ = GatewayHealth.objects.get_or_create(gateway_id=gateway_id)
    return obj


def _health_of(gateway: Gateway) -> GatewayHealth:
    """The gateway's breaker row: the one loaded with it (router: select_related) or a fresh read."""
    if Gateway.health.is_cached(gateway):
        loaded = Gateway.health.related.get_cached_value(gateway)
        if loaded is not None:
            return loaded
    return health(gateway.pk)


def is_technical_failure(result: Result) -> bool:
    """Retry, config, and an unknown the transport caused (timeout, reset, 5xx)."""
    if result.outcome in (Outcome.RETRY, Outcome.CONFIG):
        return True
    return result.outcome == Outcome.UNKNOWN and (result.code == "transport" or result.code.startswith("http_5"))


def breaker_allows(gateway: Gateway, *, now: datetime | None = None, take_trial: bool = True) -> bool:
    """May a new attempt go to this gateway now? In half-open, only the caller that wins the trial.

    `take_trial=False` only looks (the health page, availability hints).
    """
    now = now or timezone.now()
    h = _health_of(gateway)
    if h.state == S.CLOSED:
        return True
    if h.state == S.OPEN and h.opened_at and h.opened_at + _cooldown() <= now:
        if not take_trial:
            return True
        won = GatewayHealth.objects.filter(pk=h.pk, state=S.OPEN, opened_at=h.opened_at).update(
            state=S.HALF_OPEN, trial_at=now)
        if won:
            log.warning("gateway %s breaker half-open: one trial attempt", gateway.code)
        return bool(won)
    if h.state == S.HALF_OPEN and h.trial_at and h.trial_at + TRIAL_LEASE <= now:
        # The trial never reported back (its worker died): let one more through.
        if not take_trial:
            return True
        return bool(GatewayHealth.objects.filter(pk=h.pk, state=S.HALF_OPEN, trial_at=h.trial_at)
                    .update(trial_at=now))
    return False


def breaker_reopens_at(gateway: Gateway) -> datetime | None:
    """When an open breaker lets a trial through (None when closed)."""
    h = health(gateway.pk)
    if h.state == S.OPEN and h.opened_at:
        return h.opened_at + _cooldown()
    if h.state == S.HALF_OPEN and h.trial_at:
        return h.trial_at + TRIAL_LEASE
    return None


def breaker_record(gateway: Gateway, result: Result, *, now: datetime | None = None) -> None:
    """Count one gateway answer: a technical failure moves toward open, anything else closes."""
    now = now or timezone.now()
    h = _health_of(gateway)
    if not is_technical_failure(result):
        if h.state == S.CLOSED and h.failures == 0:
            return  # the common case: nothing to write (the row was read with the attempt's gateway)
        changed = (GatewayHealth.objects.filter(pk=h.pk)
                   .filter(~Q(state=S.CLOSED) | Q(failures__gt=0))
                   .update(state=S.CLOSED, failures=0, opened_at=None, trial_at=None, last_success_at=now))
        if changed and h.state != S.CLOSED:
            log.warning("gateway %s breaker closed after a successful trial", gateway.code)
        return
    error = f"{result.outcome}:{result.code} {result.message}"[:255]
    GatewayHealth.objects.filter(pk=h.pk).update(failures=F("failures") + 1, last_error=error,
                                                 last_error_at=now)
    h.refresh_from_db()
    threshold = settings.KIT_BREAKER_THRESHOLD
    if result.outcome == Outcome.CONFIG:
        log.error("gateway %s: configuration error (%s); breaker opened, an admin must fix the gateway",
                  gateway.code, error)
    if h.state == S.OPEN:
        return
    if h.state == S.HALF_OPEN or h.failures >= threshold or result.outcome == Outcome.CONFIG:
        opened = GatewayHealth.objects.filter(pk=h.pk, state=h.state).update(state=S.OPEN, opened_at=now,
                                                                              trial_at=None)
        if opened:
            log.error("gateway %s breaker OPEN after %d consecutive technical failures (last: %s)",
                      gateway.code, h.failures, error)


def breaker_reset(gateway: Gateway, *, by: str = "") -> None:
    """An admin fixed the gateway: close its breaker now (pinned payments keep being polled)."""
    GatewayHealth.objects.filter(gateway=gateway).update(state=S.CLOSED, failures=0, opened_at=None, trial_at=None)
    log.warning("gateway %s breaker closed by %s", gateway.code, by or "an admin")

"""Reads for the gateway-health page: breaker state and the last hour of attempts per gateway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from .breaker import breaker_reopens_at
from .models import Gateway, GatewayHealth

WINDOW = timedelta(hours=1)
SAMPLE = 20000  # latency percentiles from at most this many recent attempts per gateway


@dataclass(frozen=True)
class GatewayRow:
    gateway: Gateway
    breaker: str
    failures: int
    reopens_at: datetime | None
    attempts: int
    ok: int
    success_rate: float | None   # ok / finished attempts in the window, percent
    p50_ms: int | None
    p95_ms: int | None
    open_attempts: int
    last_error: str
    last_error_at: datetime | None
    outcomes: dict


def _percentile(sorted_values: list[int], q: float) -> int | None:
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def gateway_health_rows(*, now: datetime | None = None) -> list[GatewayRow]:
    from payments.models import Attempt

    now = now or timezone.now()
    since = now - WINDOW
    health = {h.gateway_id: h for h in GatewayHealth.objects.all()}
    rows = []
    for gw in Gateway.objects.order_by("code"):
        h = health.get(gw.pk) or GatewayHealth(gateway=gw)
        recent = Attempt.objects.filter(gateway=gw, started_at__gte=since)
        finished = list(recent.filter(state=Attempt.State.CLOSED)
                        .order_by("-pk").values_list("outcome", "duration_ms")[:SAMPLE])
        outcomes: dict[str, int] = {}
        for outcome, _ in finished:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        ok = outcomes.get("ok", 0)
        durations = sorted(d for _, d in finished if d is not None)
        rows.append(GatewayRow(
            gateway=gw, breaker=h.state, failures=h.failures, reopens_at=breaker_reopens_at(gw) if h.pk else None,
            attempts=recent.count(), ok=ok, success_rate=round(100.0 * ok / len(finished), 1) if finished else None,
            p50_ms=_percentile(durations, 0.50), p95_ms=_percentile(durations, 0.95),
            open_attempts=Attempt.objects.filter(gateway=gw, state=Attempt.State.OPEN).count(),
            last_error=h.last_error, last_error_at=h.last_error_at, outcomes=outcomes))
    return rows

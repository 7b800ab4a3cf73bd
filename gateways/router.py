"""Which gateway takes a payment: per-provider routes, dealer overrides, weights, breakers.

Routes of a provider are tried by priority (lower first); among routes of one priority the
order is a weighted random draw. A dealer's own routes replace the default ones for that
dealer and its whole subtree; the nearest dealer up the tree that has active routes wins.
Inactive gateways and gateways whose breaker is open are skipped; gateways in `exclude`
(already declined or exhausted for this payment) are never chosen.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from .breaker import breaker_allows, breaker_reopens_at
from .models import Route


@dataclass(frozen=True)
class Choice:
    """A route to use now, or why there is none: `no_route` (nothing left to try) or `wait`."""

    route: Route | None
    wait_until: datetime | None = None

    @property
    def no_route(self) -> bool:
        return self.route is None and self.wait_until is None


def _ancestors(dealer) -> list[int]:
    """Dealer ids from the dealer itself up to the root (nearest first)."""
    ids = [int(x) for x in (dealer.path or "").strip("/").split("/") if x]
    if not ids and dealer.pk is not None:
        ids = [dealer.pk]
    return list(reversed(ids))


def _weighted_order(routes: list[Route], rng: random.Random) -> list[Route]:
    """Weighted draw without replacement; weight 0 goes last (a standby route)."""
    pool = [r for r in routes if r.weight > 0]
    out = []
    while pool:
        pick = rng.choices(pool, weights=[r.weight for r in pool])[0]
        out.append(pick)
        pool.remove(pick)
    return out + [r for r in routes if r.weight == 0]


def routes_for(*, provider, dealer, rng: random.Random | None = None) -> list[Route]:
    """The ordered routes for a payment of `dealer` to `provider` (gateway state not applied)."""
    rng = rng or random
    # The gateways' breaker rows come along: route_choose reads them for every candidate.
    rows = list(Route.objects.filter(provider=provider, is_active=True)
                .select_related("gateway", "gateway__health"))
    chain = _ancestors(dealer)
    chosen = [r for r in rows if r.dealer_id is None]
    for dealer_id in chain:
        own = [r for r in rows if r.dealer_id == dealer_id]
        if own:
            chosen = own
            break
    ordered: list[Route] = []
    for priority in sorted({r.priority for r in chosen}):
        ordered += _weighted_order([r for r in chosen if r.priority == priority], rng)
    return ordered


def route_for_gateway(*, provider, dealer, gateway_id: int) -> Route | None:
    """The payment's route to one gateway (for a payment already with that gateway)."""
    for route in routes_for(provider=provider, dealer=dealer):
        if route.gateway_id == gateway_id:
            return route
    return (Route.objects.filter(provider=provider, gateway_id=gateway_id)
            .select_related("gateway", "gateway__health").first())


def route_choose(*, provider, dealer, exclude=(), now: datetime | None = None,
                 rng: random.Random | None = None, take_trial: bool = True) -> Choice:
    """The first route whose gateway may take a new attempt now.

    No candidate at all (no routes, or every gateway excluded): `Choice(None)` -> the payment
    fails with `no_route` / its last decline. Candidates exist but none is available (inactive
    or breaker open): `Choice(None, wait_until)` -> the payment waits and resumes by itself.
    `take_trial=False` only looks: a half-open breaker's single trial is taken by the caller
    that makes the attempt right away, not by one that schedules it for later.
    """
    now = now or timezone.now()
    candidates = [r for r in routes_for(provider=provider, dealer=dealer, rng=rng) if r.gateway_id not in exclude]
    if not candidates:
        return Choice(None)
    waits = []
    for route in candidates:
        if not route.gateway.is_active:
            continue
        if breaker_allows(route.gateway, now=now, take_trial=take_trial):
            return Choice(route)
        waits.append(breaker_reopens_at(route.gateway))
    fallback = now + timedelta(seconds=settings.KIT_NO_GATEWAY_WAIT_SECONDS)
    soonest = min([w for w in waits if w is not None and w > now] or [fallback])
    return Choice(None, min(soonest, fallback))

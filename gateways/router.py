"""Which gateway takes a payment: per-provider routes, dealer overrides, weights, breakers.

Routes of a provider are tried by priority (lower first); among routes of one priority the
order is a weighted random draw. A dealer's own routes replace the default ones for that
dealer and its whole subtree; the nearest dealer up the tree that has active routes wins.
Inactive gateways and gateways whose breaker is open are skipped; gateways in `exclude`
(already declined or exhausted for this payment) are never chosen.

A provider's active routes and their gateways (configuration, with the decrypted secrets) are
kept per process for KIT_CATALOGUE_TTL seconds, like the provider catalogue, and forgotten at
once in the process that saves or deletes a route or a gateway (gateways/apps.py); other
processes see a change within the TTL. The gateways' breaker rows (`GatewayHealth`) are never
cached: every call reads them fresh, in one statement, onto its own copies of the routes.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from kit import rows as fast

from .breaker import breaker_allows, breaker_reopens_at
from .models import Gateway, GatewayHealth, Route


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


_cache: dict[int, tuple[float, list[Route]]] = {}  # provider id -> (monotonic time read, routes)
_cache_lock = threading.Lock()


def routes_invalidate(**kwargs) -> None:
    """Forget the cached routes and gateways (a route or a gateway was saved or deleted)."""
    with _cache_lock:
        _cache.clear()


def _active_routes(provider_id: int) -> list[Route]:
    """The provider's active routes with their gateways, fresh on every call or, with a TTL, from the
    process's cache, copied per call with the breaker rows read now (never mutate the cached ones)."""
    ttl = settings.KIT_CATALOGUE_TTL
    qs = Route.objects.filter(provider_id=provider_id, is_active=True).order_by("priority", "-weight", "pk")
    if ttl <= 0:
        # The gateways' breaker rows come along: route_choose reads them for every candidate.
        return list(qs.select_related("gateway", "gateway__health"))
    now = time.monotonic()
    seen = _cache.get(provider_id)
    if seen is None or now - seen[0] >= ttl:
        seen = (now, list(qs.select_related("gateway")))
        with _cache_lock:
            _cache[provider_id] = seen
    cached = seen[1]
    health = health_rows({r.gateway_id for r in cached})
    gateways: dict[int, Gateway] = {}
    out = []
    for route in cached:
        gateway = gateways.get(route.gateway_id)
        if gateway is None:
            gateway = gateways[route.gateway_id] = copy.copy(route.gateway)
            Gateway.health.related.set_cached_value(gateway, health.get(gateway.pk))
        mine = copy.copy(route)
        Route.gateway.field.set_cached_value(mine, gateway)
        out.append(mine)
    return out


def health_rows(gateway_ids) -> dict[int, GatewayHealth]:
    """The breaker rows of these gateways, read now in one statement (compiled once: kit/rows.py)."""
    ids = sorted(gateway_ids)
    if not ids:
        return {}
    s = fast.shape(GatewayHealth)
    marks = ", ".join(["%s"] * len(ids))
    sql = f"SELECT {s.columns()} FROM {s.table} WHERE {s.by_name['gateway_id'].column} IN ({marks})"  # noqa: S608
    return {h.gateway_id: h for h in fast.fetch(GatewayHealth, sql, ids)}


def routes_for(*, provider, dealer, rng: random.Random | None = None) -> list[Route]:
    """The ordered routes for a payment of `dealer` to `provider` (gateway state not applied)."""
    rng = rng or random
    rows = _active_routes(provider.pk)
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

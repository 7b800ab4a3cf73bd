"""The router's per-process cache of routes and gateways: TTL, invalidation on save, breaker rows always fresh."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gateways import router
from gateways.models import Gateway, GatewayHealth, Route
from gateways.router import route_choose, routes_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(world, settings):
    from providers.models import Provider

    settings.KIT_CATALOGUE_TTL = 60
    provider = Provider.objects.get(code="megafon")
    Route.objects.filter(provider=provider).delete()
    gws = {c: Gateway.objects.create(code=c, name=c, protocol="cyberplat", base_url=f"http://{c}.invalid/",
                                     secret=f"s-{c}")
           for c in ("a", "b")}
    Route.objects.create(provider=provider, gateway=gws["a"], priority=1, remote_id="1")
    Route.objects.create(provider=provider, gateway=gws["b"], priority=2, remote_id="2")
    for g in gws.values():
        GatewayHealth.objects.get_or_create(gateway=g)
    return provider, gws


def codes(routes):
    return [r.gateway.code for r in routes]


class Clock:
    def __init__(self, monkeypatch):
        self.t = 1000.0
        monkeypatch.setattr(router.time, "monotonic", lambda: self.t)


def test_warm_routes_cost_one_statement_the_breaker_rows(net, demo):
    provider, _ = net
    assert codes(routes_for(provider=provider, dealer=demo)) == ["a", "b"]
    with CaptureQueriesContext(connection) as ctx:
        routes = routes_for(provider=provider, dealer=demo)
    assert codes(routes) == ["a", "b"]
    assert len(ctx.captured_queries) == 1 and "gatewayhealth" in ctx.captured_queries[0]["sql"]
    assert routes[0].gateway.secret == "s-a"  # decrypted once, when the routes were read


def test_a_breaker_opened_elsewhere_is_seen_at_once_with_the_cache_warm(net, demo):
    provider, g = net
    assert route_choose(provider=provider, dealer=demo).route.gateway.code == "a"
    from django.utils import timezone

    # Another process opens a's breaker (a plain UPDATE: no signal reaches this process).
    GatewayHealth.objects.filter(gateway=g["a"]).update(state="open", opened_at=timezone.now(), failures=9)
    assert route_choose(provider=provider, dealer=demo).route.gateway.code == "b"


def test_a_route_saved_in_this_process_is_seen_at_once(net, demo):
    provider, g = net
    routes_for(provider=provider, dealer=demo)
    r = Route.objects.get(provider=provider, gateway=g["a"])
    r.priority = 3
    r.save()
    assert codes(routes_for(provider=provider, dealer=demo)) == ["b", "a"]
    gw = Gateway.objects.get(pk=g["b"].pk)
    gw.is_active = False
    gw.save()
    assert route_choose(provider=provider, dealer=demo).route.gateway.code == "a"
    Route.objects.filter(provider=provider, gateway=g["a"]).delete()
    assert codes(routes_for(provider=provider, dealer=demo)) == ["b"]


def test_a_change_made_by_another_process_is_seen_within_the_ttl(net, demo, monkeypatch, settings):
    provider, g = net
    clock = Clock(monkeypatch)
    routes_for(provider=provider, dealer=demo)
    # What another process's admin does, as far as this process can tell: the rows change, no signal here.
    Route.objects.filter(provider=provider, gateway=g["a"]).update(priority=3)
    clock.t += settings.KIT_CATALOGUE_TTL - 1
    assert codes(routes_for(provider=provider, dealer=demo)) == ["a", "b"]  # within the TTL: as cached
    clock.t += 1
    assert codes(routes_for(provider=provider, dealer=demo)) == ["b", "a"]  # the TTL bounds it


def test_each_call_gets_its_own_copies_the_cached_ones_are_never_changed(net, demo):
    provider, g = net
    first = routes_for(provider=provider, dealer=demo)
    GatewayHealth.objects.filter(gateway=g["a"]).update(failures=4)
    second = routes_for(provider=provider, dealer=demo)
    assert first[0] is not second[0] and first[0].gateway is not second[0].gateway
    assert (first[0].gateway.health.failures, second[0].gateway.health.failures) == (0, 4)
    cached = router._cache[provider.pk][1]
    assert all(r is not mine for r in cached for mine in first + second)


def test_without_a_ttl_every_call_reads_the_routes(net, demo, settings):
    provider, g = net
    settings.KIT_CATALOGUE_TTL = 0
    routes_for(provider=provider, dealer=demo)
    Route.objects.filter(provider=provider, gateway=g["a"]).update(priority=3)
    assert codes(routes_for(provider=provider, dealer=demo)) == ["b", "a"]
    assert provider.pk not in router._cache

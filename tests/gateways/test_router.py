"""Routing: priorities, weights, dealer overrides (nearest wins), inactive and open gateways skipped."""

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from gateways.adapters.base import Outcome, Result
from gateways.breaker import breaker_record
from gateways.models import Gateway, Route
from gateways.router import route_choose, routes_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(world, settings):
    settings.KIT_BREAKER_THRESHOLD = 10
    from providers.models import Provider

    provider = Provider.objects.get(code="megafon")
    Route.objects.filter(provider=provider).delete()
    gws = {c: Gateway.objects.create(code=c, name=c, protocol="cyberplat", base_url=f"http://{c}.invalid/")
           for c in ("a", "b", "c", "d")}
    return provider, gws


def codes(routes):
    return [r.gateway.code for r in routes]


def test_routes_are_tried_by_priority(net, demo):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["b"], priority=2, remote_id="2")
    Route.objects.create(provider=provider, gateway=g["a"], priority=1, remote_id="1")
    assert codes(routes_for(provider=provider, dealer=demo)) == ["a", "b"]


def test_equal_priorities_are_drawn_by_weight(net, demo):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["a"], priority=1, weight=300, remote_id="1")
    Route.objects.create(provider=provider, gateway=g["b"], priority=1, weight=100, remote_id="2")
    rng = random.Random(7)
    firsts = Counter(codes(routes_for(provider=provider, dealer=demo, rng=rng))[0] for _ in range(2000))
    assert 0.70 < firsts["a"] / 2000 < 0.80


def test_a_dealer_override_replaces_the_defaults_for_its_subtree(net, demo, demo_sub):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["a"], priority=1, remote_id="1")
    Route.objects.create(provider=provider, gateway=g["c"], dealer=demo, priority=1, remote_id="3")
    assert codes(routes_for(provider=provider, dealer=demo)) == ["c"]
    assert codes(routes_for(provider=provider, dealer=demo_sub)) == ["c"]


def test_the_nearest_dealer_override_wins(net, demo, demo_sub):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["c"], dealer=demo, priority=1, remote_id="3")
    Route.objects.create(provider=provider, gateway=g["d"], dealer=demo_sub, priority=1, remote_id="4")
    assert codes(routes_for(provider=provider, dealer=demo_sub)) == ["d"]
    assert codes(routes_for(provider=provider, dealer=demo)) == ["c"]


def test_a_foreign_dealer_gets_the_default_routes(net, demo, foreign):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["a"], priority=1, remote_id="1")
    Route.objects.create(provider=provider, gateway=g["c"], dealer=demo, priority=1, remote_id="3")
    assert codes(routes_for(provider=provider, dealer=foreign)) == ["a"]


def test_inactive_gateways_and_open_breakers_are_skipped(net, demo):
    provider, g = net
    for i, c in enumerate("abc", start=1):
        Route.objects.create(provider=provider, gateway=g[c], priority=i, remote_id=c)
    Gateway.objects.filter(code="a").update(is_active=False)
    for _ in range(10):
        breaker_record(g["b"], Result(Outcome.RETRY, "transport"))
    assert route_choose(provider=provider, dealer=demo).route.gateway.code == "c"


def test_excluded_gateways_are_never_chosen_and_nothing_left_is_no_route(net, demo):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["a"], priority=1, remote_id="1")
    Route.objects.create(provider=provider, gateway=g["b"], priority=2, remote_id="2")
    assert route_choose(provider=provider, dealer=demo, exclude={g["a"].pk}).route.gateway.code == "b"
    assert route_choose(provider=provider, dealer=demo, exclude={g["a"].pk, g["b"].pk}).no_route


def test_when_every_breaker_is_open_the_choice_is_to_wait_until_the_first_reopens(net, demo):
    provider, g = net
    Route.objects.create(provider=provider, gateway=g["a"], priority=1, remote_id="1")
    now = timezone.now()
    for _ in range(10):
        breaker_record(g["a"], Result(Outcome.RETRY, "transport"), now=now)
    choice = route_choose(provider=provider, dealer=demo, now=now)
    assert choice.route is None and not choice.no_route
    assert choice.wait_until == now + timedelta(seconds=15)  # min(cool-down 30 s, the re-look 15 s)


def test_a_provider_without_routes_has_no_route(net, demo):
    provider, _ = net
    assert route_choose(provider=provider, dealer=demo).no_route

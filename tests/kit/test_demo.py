from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum

from dealers.models import Dealer, LedgerEntry
from gateways.models import Gateway, Route
from kit.demo import demo_load
from providers.models import FeeRule, Provider
from terminals.models import Terminal


def counts():
    return {m.__name__: m.objects.count()
            for m in (Dealer, LedgerEntry, Provider, FeeRule, Gateway, Route, Terminal, get_user_model())}


@pytest.mark.django_db
def test_demo_loader_twice_changes_nothing():
    demo_load()
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert first["Dealer"] == 2 and first["Terminal"] == 4 and first["Provider"] == 7 and first["Gateway"] == 5


@pytest.mark.django_db
def test_demo_opening_balances_are_ledger_entries(world):
    for name, opening in [("Demo", Decimal("1000000.00")), ("Demo Sub", Decimal("100000.00"))]:
        dealer = Dealer.objects.get(name=name)
        assert dealer.balance == opening
        assert LedgerEntry.objects.filter(dealer=dealer).aggregate(s=Sum("amount"))["s"] == opening


@pytest.mark.django_db
def test_demo_routes_are_as_documented(world):
    routes = {(r.provider.code, r.priority): r.gateway.code for r in Route.objects.select_related("provider", "gateway")}
    assert routes == {("mts", 1): "cyberplat", ("beeline", 1): "osmp", ("megafon", 1): "contact",
                      ("tele2", 1): "comepay", ("rostelecom", 1): "cyberplat", ("rostelecom", 2): "osmp",
                      ("mosenergosbyt", 1): "osmp", ("demo-isp", 1): "provider"}


@pytest.mark.django_db
def test_demo_terminals_offer_every_demo_provider(world):
    assert {t.number: t.dealer.name for t in Terminal.objects.select_related("dealer")} == {
        "1001": "Demo", "1002": "Demo", "1003": "Demo", "2001": "Demo Sub"}
    for t in Terminal.objects.all():
        assert t.providers.count() == 7


@pytest.mark.django_db
def test_demo_users_log_in_with_the_demo_password(client, world):
    for username in ["admin", "support", "senior", "dealer", "subdealer"]:
        assert client.login(username=username, password="kit-demo"), username


@pytest.mark.django_db
def test_every_example_account_stays_valid_with_other_last_four_digits(world):
    import re

    for p in Provider.objects.all():
        for tail in ["0000", "0001", "0007", "9999"]:
            assert re.fullmatch(p.account_format, p.account_example[:-4] + tail), (p.code, tail)


def test_load_demo_refuses_without_demo_setting(settings):
    from django.core.management.base import CommandError

    settings.KIT_DEMO_DATA = False
    with pytest.raises(CommandError):
        call_command("load_demo")


@pytest.mark.django_db
def test_demo_gateways_follow_the_site_when_it_moves(settings):
    settings.KIT_SIMULATOR_BASE_URL = "http://127.0.0.1:8000"
    demo_load()
    settings.KIT_SIMULATOR_BASE_URL = "http://127.0.0.1:8011"
    demo_load()
    assert sorted(Gateway.objects.values_list("base_url", flat=True)) == sorted(
        f"http://127.0.0.1:8011/sim/{code}/" for code in Gateway.objects.values_list("code", flat=True))

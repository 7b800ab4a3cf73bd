"""What each terminal shows: the admins' list per dealer, the dealer's choice per terminal, /config and its ETag."""

import pytest

from providers.models import Provider
from providers.services import ProviderNotAllowed, dealer_providers_set, terminal_providers_choose
from terminals.models import Terminal

pytestmark = pytest.mark.django_db

EVERY = ["beeline", "demo-isp", "megafon", "mosenergosbyt", "mts", "rostelecom", "tele2"]


def codes(*names):
    return list(Provider.objects.filter(code__in=names))


def listed(response):
    return sorted(p["code"] for p in response.json()["providers"])


def test_without_a_list_a_terminal_shows_every_active_provider_it_chose(kiosk):
    assert listed(kiosk.config()) == EVERY


def test_the_admins_list_for_the_dealer_narrows_config_and_changes_the_etag(kiosk, demo):
    first = kiosk.config()
    dealer_providers_set(dealer=demo, providers=codes("mts", "beeline", "mosenergosbyt"), actor="admin")
    changed = kiosk.config(etag=first.headers["ETag"])
    assert changed.status_code == 200
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert listed(changed) == ["beeline", "mosenergosbyt", "mts"]
    assert kiosk.config(etag=changed.headers["ETag"]).status_code == 304  # nothing changed since


def test_lifting_the_list_brings_every_provider_back(kiosk, demo):
    dealer_providers_set(dealer=demo, providers=codes("mts"), actor="admin")
    assert listed(kiosk.config()) == ["mts"]
    dealer_providers_set(dealer=demo, providers=None, actor="admin")
    assert listed(kiosk.config()) == EVERY


def test_an_empty_list_leaves_the_terminal_nothing_to_sell(kiosk, demo):
    dealer_providers_set(dealer=demo, providers=[], actor="admin")
    assert listed(kiosk.config()) == []


def test_the_terminals_own_choice_narrows_config_and_changes_the_etag(kiosk, terminal):
    first = kiosk.config()
    terminal_providers_choose(terminal=terminal, providers=codes("megafon", "tele2"))
    changed = kiosk.config(etag=first.headers["ETag"])
    assert (changed.status_code, listed(changed)) == (200, ["megafon", "tele2"])
    assert changed.headers["ETag"] != first.headers["ETag"]


def test_config_lists_the_intersection_of_list_and_choice(kiosk, terminal, demo):
    terminal_providers_choose(terminal=terminal, providers=codes("mts", "megafon", "tele2"))
    dealer_providers_set(dealer=demo, providers=codes("mts", "beeline", "tele2"), actor="admin")
    assert listed(kiosk.config()) == ["mts", "tele2"]


def test_a_choice_outside_the_dealers_list_is_refused_naming_the_providers(terminal, demo):
    dealer_providers_set(dealer=demo, providers=codes("mts"), actor="admin")
    with pytest.raises(ProviderNotAllowed) as err:
        terminal_providers_choose(terminal=terminal, providers=codes("mts", "tele2", "beeline"))
    assert "beeline, tele2" in err.value.messages[0]
    assert sorted(terminal.providers.values_list("code", flat=True)) == EVERY  # unchanged


def test_a_sub_agent_offers_only_what_every_dealer_above_it_may(make_client, demo, demo_sub):
    sub_kiosk = make_client(Terminal.objects.get(number="2001"))
    dealer_providers_set(dealer=demo, providers=codes("mts", "beeline", "megafon"), actor="admin")
    dealer_providers_set(dealer=demo_sub, providers=codes("beeline", "megafon", "tele2"), actor="admin")
    assert listed(sub_kiosk.config()) == ["beeline", "megafon"]


def test_a_disabled_provider_leaves_config_and_changes_the_etag(kiosk):
    first = kiosk.config()
    Provider.objects.filter(code="tele2").update(is_active=False)
    changed = kiosk.config(etag=first.headers["ETag"])
    assert changed.status_code == 200 and "tele2" not in listed(changed)


def test_categories_come_in_their_order_with_the_dealers_legal_details(kiosk, demo):
    config = kiosk.config().json()
    assert [c["code"] for c in config["categories"]] == ["mobile", "internet", "utilities"]
    assert (config["terminal"]["dealer"], config["terminal"]["dealer_inn"]) == ("Demo", "7700000001")
    rt = next(p for p in config["providers"] if p["code"] == "rostelecom")
    assert (rt["legal_name"], rt["inn"], rt["check_required"], rt["offline"]) == (
        "ПАО «Ростелеком»", "7707049388", True, {"allowed": True, "max_amount": "5000.00"})
    isp = next(p for p in config["providers"] if p["code"] == "demo-isp")
    assert isp["offline"] == {"allowed": False, "max_amount": None}

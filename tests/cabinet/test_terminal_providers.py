"""The cabinet's choice of providers per terminal stays within what the terminal's dealer may offer."""

import pytest
from django.urls import reverse

from providers.models import Provider
from providers.services import dealer_providers_set
from terminals.models import Terminal

pytestmark = pytest.mark.django_db

EVERY = ["beeline", "demo-isp", "megafon", "mosenergosbyt", "mts", "rostelecom", "tele2"]


def codes(*names):
    return list(Provider.objects.filter(code__in=names))


def test_the_cabinet_offers_a_terminal_only_what_its_dealer_may(dealer_client, demo, demo_sub):
    dealer_providers_set(dealer=demo_sub, providers=codes("mts", "beeline"), actor="admin")
    t = Terminal.objects.get(number="2001")
    page = dealer_client.get(reverse("cabinet:terminal", args=[t.pk]))
    offered = sorted(p.code for p in page.context["providers_form"].fields["providers"].queryset)
    assert offered == ["beeline", "mts"]
    refused = dealer_client.post(reverse("cabinet:terminal_providers", args=[t.pk]),
                                 {"providers": [p.pk for p in codes("mts", "tele2")]})
    assert refused.status_code == 400
    assert sorted(t.providers.values_list("code", flat=True)) == EVERY
    saved = dealer_client.post(reverse("cabinet:terminal_providers", args=[t.pk]),
                               {"providers": [p.pk for p in codes("mts")]})
    assert saved.status_code == 302
    assert list(t.providers.values_list("code", flat=True)) == ["mts"]

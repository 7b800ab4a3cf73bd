"""The catalogue in the admin: enable/disable with a reason kept in history, search and filters, the allowance page."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from gateways.models import Gateway
from providers.models import Category, DealerProviders, Provider, ProviderStateChange
from providers.services import provider_set_active

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/providers/provider/"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def listed(response):
    return sorted(p.code for p in response.context["cl"].result_list)


def test_bulk_disable_asks_why_and_keeps_the_reason_in_each_providers_history(admin_client):
    ids = [Provider.objects.get(code=c).pk for c in ("mts", "tele2")]
    response = admin_client.post(CHANGELIST, {"action": "disable_selected", "_selected_action": ids})
    assert response.status_code == 302
    state_url = response["Location"]
    assert state_url.startswith(reverse("admin:providers_provider_state"))

    page = admin_client.get(state_url)
    assert page.status_code == 200 and "МТС" in page.content.decode()
    refused = admin_client.post(state_url, {"reason": "  "})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert Provider.objects.filter(code__in=["mts", "tele2"], is_active=True).count() == 2

    done = admin_client.post(state_url, {"reason": "договор приостановлен"})
    assert done.status_code == 302
    assert sorted(Provider.objects.filter(is_active=False).values_list("code", flat=True)) == ["mts", "tele2"]
    assert sorted(ProviderStateChange.objects.values_list("provider__code", "is_active", "reason", "actor")) == [
        ("mts", False, "договор приостановлен", "admin"), ("tele2", False, "договор приостановлен", "admin")]


def test_the_history_is_shown_on_the_provider_page(admin_client):
    mts = Provider.objects.get(code="mts")
    provider_set_active(providers=[mts], active=False, reason="авария у оператора", actor="admin")
    provider_set_active(providers=[mts], active=True, reason="авария устранена", actor="senior")
    page = admin_client.get(reverse("admin:providers_provider_change", args=[mts.pk])).content.decode()
    assert "авария у оператора" in page and "авария устранена" in page


def test_a_state_change_without_a_reason_is_refused(world):
    mts = Provider.objects.get(code="mts")
    with pytest.raises(ValidationError):
        provider_set_active(providers=[mts], active=False, reason="", actor="admin")
    assert provider_set_active(providers=[mts], active=True, reason="already on", actor="admin") == []
    assert ProviderStateChange.objects.count() == 0


def test_the_state_field_cannot_be_edited_on_the_provider_page(admin_client):
    mts = Provider.objects.get(code="mts")
    page = admin_client.get(reverse("admin:providers_provider_change", args=[mts.pk]))
    assert "is_active" not in page.context["adminform"].form.fields


def test_search_and_filters_by_category_gateway_and_state(admin_client):
    Provider.objects.filter(code="tele2").update(is_active=False)
    assert listed(admin_client.get(CHANGELIST, {"q": "7740000076"})) == ["mts"]
    internet = Category.objects.get(code="internet")
    assert listed(admin_client.get(CHANGELIST, {"category__id__exact": internet.pk})) == ["demo-isp", "rostelecom"]
    osmp = Gateway.objects.get(code="osmp")
    assert listed(admin_client.get(CHANGELIST, {"routes__gateway__id__exact": osmp.pk})) == [
        "beeline", "mosenergosbyt", "rostelecom"]
    assert listed(admin_client.get(CHANGELIST, {"is_active__exact": "0"})) == ["tele2"]


def test_the_admin_sets_which_providers_a_dealer_may_offer(admin_client, demo):
    ids = [Provider.objects.get(code=c).pk for c in ("mts", "beeline")]
    response = admin_client.post(reverse("admin:providers_dealerproviders_add"),
                                 {"dealer": demo.pk, "providers": ids})
    assert response.status_code == 302
    assert sorted(DealerProviders.objects.get(dealer=demo).providers.values_list("code", flat=True)) == [
        "beeline", "mts"]
    listing = admin_client.get(reverse("admin:providers_dealerproviders_changelist"))
    assert listing.status_code == 200 and "Demo" in listing.content.decode()

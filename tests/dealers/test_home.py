import pytest
from django.urls import NoReverseMatch, reverse


@pytest.mark.django_db
def test_dealer_home_shows_own_balance_and_subagents_in_rubles(client, world):
    client.login(username="dealer", password="kit-demo")
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="ru", follow=True)
    text = page.content.decode()
    assert page.status_code == 200
    assert "1\xa0000\xa0000,00\xa0₽" in text
    assert "Demo Sub" in text and "100\xa0000,00\xa0₽" in text


@pytest.mark.django_db
def test_subdealer_home_does_not_show_the_parent(client, world):
    client.login(username="subdealer", password="kit-demo")
    text = client.get("/", follow=True).content.decode()
    assert "Demo Sub" in text
    assert "1\xa0000\xa0000,00" not in text


@pytest.mark.django_db
def test_support_home_is_the_first_page_of_its_menu_not_the_admin(client, world):
    client.login(username="support", password="kit-demo")
    resp = client.get("/")
    # The console's cheque lookup once the support pages exist, gateway health until then.
    first = reverse("support:lookup") if "support:lookup" in _resolvable() else "/gateways/health/"
    assert resp.status_code == 302 and resp["Location"] == first


@pytest.mark.django_db
def test_admin_home_is_the_admin(client, world):
    client.login(username="admin", password="kit-demo")
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == "/admin/"


def _resolvable():
    names = set()
    for name in ("support:lookup", "gateways:health"):
        try:
            reverse(name)
            names.add(name)
        except NoReverseMatch:
            pass
    return names


@pytest.mark.django_db
def test_anonymous_home_asks_to_log_in(client, world):
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")

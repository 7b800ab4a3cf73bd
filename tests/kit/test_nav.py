"""The menu shows each role what it may use, on every page, with the user's name, log-out and language."""

import re

import pytest

from kit.nav import nav_for


def _urls(user) -> set[str]:
    return {url for _area, links in nav_for(user) for url, _label in links}


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["dealer", "subdealer"])
def test_a_dealer_user_sees_the_cabinet_and_nothing_of_staff(world, username):
    from django.contrib.auth import get_user_model

    urls = _urls(get_user_model().objects.get(username=username))
    assert "/cabinet/" in urls and "/cabinet/payments/" in urls
    assert not any(u.startswith(("/support/", "/gateways/", "/reconcile/", "/admin/")) for u in urls)


@pytest.mark.django_db
def test_support_sees_gateway_health_but_not_reconciliation_the_admin_or_the_cabinet(support_user):
    urls = _urls(support_user)
    assert "/gateways/health/" in urls
    assert not any(u.startswith(("/cabinet/", "/reconcile/", "/admin/")) for u in urls)


@pytest.mark.django_db
def test_senior_support_also_sees_reconciliation_where_it_resolves_discrepancies(senior_user):
    urls = _urls(senior_user)
    assert {"/gateways/health/", "/reconcile/"} <= urls
    assert not any(u.startswith(("/cabinet/", "/admin/")) for u in urls)


@pytest.mark.django_db
def test_an_admin_sees_gateway_health_reconciliation_and_the_admin(admin_user):
    urls = _urls(admin_user)
    assert {"/gateways/health/", "/reconcile/", "/admin/"} <= urls
    assert not any(u.startswith("/cabinet/") for u in urls)


@pytest.mark.django_db
def test_the_header_carries_the_menu_the_users_name_log_out_and_the_language_switch(client, dealer_user):
    dealer_user.first_name, dealer_user.last_name = "Анна", "Петрова"
    dealer_user.save(update_fields=["first_name", "last_name"])
    client.force_login(dealer_user)
    text = client.get("/cabinet/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    header = text[text.index('<header class="top">'):text.index("</header>")]
    assert 'href="/cabinet/payments/"' in header and "Анна Петрова" in header
    assert 'action="/accounts/logout/"' in header and ">Выйти</button>" in header
    assert 'action="/i18n/setlang/"' in header
    assert re.search(r'<option value="en">English</option>', header)


@pytest.mark.django_db
def test_the_admin_shows_the_same_menu_and_the_language_switch(admin_client, world):
    text = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    menu = text[text.index('<nav class="kit-menu"'):]
    menu = menu[:menu.index("</nav>")]
    assert 'href="/gateways/health/"' in menu and 'href="/reconcile/"' in menu
    assert 'action="/i18n/setlang/"' in text and "<title>Администрирование | KIT</title>" in text
    assert "Администрирование Django" not in text

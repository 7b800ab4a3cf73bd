import pytest


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
def test_staff_home_goes_to_the_admin(client, world):
    client.login(username="support", password="kit-demo")
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"] == "/admin/"


@pytest.mark.django_db
def test_anonymous_home_asks_to_log_in(client, world):
    resp = client.get("/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")

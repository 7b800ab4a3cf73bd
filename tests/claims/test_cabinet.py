"""Dealers see claims about their subtree's payments, read-only; anything else is a 404."""

import pytest

pytestmark = pytest.mark.django_db


def test_a_dealer_sees_claims_of_its_own_and_its_sub_agents_payments(client, register, make_payment, foreign):
    own = register(make_payment("1001"))
    subs = register(make_payment("2001"))
    alien = register(make_payment("9001"))
    unlinked = register(None)
    client.login(username="dealer", password="kit-demo")
    page = client.get("/cabinet/claims/").content.decode()
    assert own.number in page and subs.number in page
    assert alien.number not in page and unlinked.number not in page
    assert client.get(f"/cabinet/claims/{own.pk}/").status_code == 200
    assert client.get(f"/cabinet/claims/{subs.pk}/").status_code == 200
    assert client.get(f"/cabinet/claims/{alien.pk}/").status_code == 404
    assert client.get(f"/cabinet/claims/{unlinked.pk}/").status_code == 404


def test_a_sub_agent_sees_only_its_own_subtree(client, register, make_payment):
    parents = register(make_payment("1001"))
    own = register(make_payment("2001"))
    client.login(username="subdealer", password="kit-demo")
    page = client.get("/cabinet/claims/").content.decode()
    assert own.number in page and parents.number not in page
    assert client.get(f"/cabinet/claims/{parents.pk}/").status_code == 404


def test_the_cabinet_claim_page_is_read_only_and_hides_the_customers_contacts(client, register, make_payment):
    claim = register(make_payment("1001"), phone="+79165550011", name="Орлова Мария")
    client.login(username="dealer", password="kit-demo")
    page = client.get(f"/cabinet/claims/{claim.pk}/").content.decode()
    assert claim.number in page and "зарегистрирована" in page
    assert "+79165550011" not in page and '<form method="post"' not in page.split("<main>")[1]
    assert client.post(f"/cabinet/claims/{claim.pk}/").status_code == 405

import pytest

from kit.roles import ADMIN, DEALER, SENIOR, SUPPORT


@pytest.mark.django_db
def test_roles_give_support_read_only_and_senior_corrections(support_user, senior_user, dealer_user, admin_user):
    assert support_user.groups.filter(name=SUPPORT).exists()
    assert support_user.has_perm("payments.view_payment")
    assert not support_user.has_perm("payments.change_payment")
    assert senior_user.groups.filter(name=SENIOR).exists()
    assert senior_user.has_perm("payments.change_payment")
    assert dealer_user.groups.filter(name=DEALER).exists()
    assert not dealer_user.has_perm("payments.view_payment")
    assert admin_user.groups.filter(name=ADMIN).exists()


@pytest.mark.django_db
def test_staff_log_in_at_accounts_login(client, world):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    resp = client.post("/accounts/login/", {"username": "support", "password": "kit-demo"})
    assert resp.status_code == 302
    resp = client.post("/accounts/login/", {"username": "support", "password": "wrong"})
    assert resp.status_code == 200


@pytest.mark.django_db
def test_dealer_user_cannot_enter_the_admin(client, world):
    client.login(username="dealer", password="kit-demo")
    resp = client.get("/admin/payments/payment/")
    assert resp.status_code == 302 and "/admin/login/" in resp["Location"]


@pytest.mark.django_db
def test_admin_tops_up_a_dealer_from_its_admin_page(admin_client, demo):
    from decimal import Decimal

    resp = admin_client.post(f"/admin/dealers/dealer/{demo.pk}/topup/", {"amount": "250.50", "comment": "cash in"})
    assert resp.status_code == 302
    demo.refresh_from_db()
    assert demo.balance == Decimal("1000250.50")
    assert demo.ledger.order_by("-id").first().amount == Decimal("250.50")


@pytest.mark.django_db
def test_support_cannot_top_up(client, demo):
    from decimal import Decimal

    client.login(username="support", password="kit-demo")
    client.post(f"/admin/dealers/dealer/{demo.pk}/topup/", {"amount": "250.50"})
    demo.refresh_from_db()
    assert demo.balance == Decimal("1000000.00")

"""TOTP for staff: required when KIT_STAFF_2FA is on, optional for dealers, with recovery codes."""

import time
from types import SimpleNamespace

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kit.nav import NAV


@pytest.fixture(autouse=True)
def one_totp_step(monkeypatch):
    """The codes are for 30-second steps of the clock: a slow run that crossed a step's boundary
    between making a code and checking it saw another step than the test meant. The clock of the
    app's codes (django_otp.oath) and of the server's check (otp_totp) stands still mid-step."""
    now = (int(time.time()) // 30) * 30 + 10.0
    monkeypatch.setattr("django_otp.oath.time", lambda: now)
    monkeypatch.setattr("django_otp.plugins.otp_totp.models.time", SimpleNamespace(time=lambda: now))


def code_for(device: TOTPDevice, drift: int = 0) -> str:
    """The app's code now (drift 0) or one step later (drift 1: a code never used before)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def log_in(client, username):
    resp = client.post("/accounts/login/", {"username": username, "password": "kit-demo"}, REMOTE_ADDR="10.0.0.9")
    assert resp.status_code == 302, username
    return resp


STAFF_PAGES = ["/support/", "/gateways/health/", "/reconcile/", "/admin/"]


@pytest.fixture
def staff_2fa(settings):
    settings.KIT_STAFF_2FA = True


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["support", "senior", "admin"])
def test_staff_without_a_device_is_sent_to_enrol_before_any_staff_page(client, world, staff_2fa, username):
    log_in(client, username)
    for path in STAFF_PAGES:
        resp = client.get(path)
        assert resp.status_code == 302, path
        assert resp["Location"].startswith("/accounts/2fa/setup/"), path


@pytest.mark.django_db
def test_every_staff_page_in_the_menu_is_guarded(client, world, staff_2fa):
    from django.urls import NoReverseMatch, reverse

    from kit.roles import SUPPORT

    log_in(client, "support")
    paths = []
    for _area, items in NAV:
        for item in items:
            if SUPPORT in item.roles:
                try:
                    paths.append(reverse(item.url_name))
                except NoReverseMatch:
                    continue
    assert paths
    for path in paths:
        assert client.get(path)["Location"].startswith("/accounts/2fa/setup/"), path


@pytest.mark.django_db
def test_staff_reach_their_pages_after_enrolling_and_again_after_a_new_login(client, world, staff_2fa):
    log_in(client, "support")
    page = client.get("/accounts/2fa/setup/?next=/gateways/health/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user__username="support", confirmed=False)

    done = client.post("/accounts/2fa/setup/", {"token": code_for(device), "next": "/gateways/health/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 8 and all(len(c) == 8 and c.isdigit() for c in codes)
    assert client.get("/gateways/health/").status_code == 200

    client.post("/accounts/logout/")
    log_in(client, "support")
    assert client.get("/gateways/health/")["Location"].startswith("/accounts/2fa/verify/")
    device.refresh_from_db()
    # a recovery code works once
    assert client.post("/accounts/2fa/verify/", {"token": codes[0], "next": "/gateways/health/"})["Location"] == "/gateways/health/"
    assert client.get("/gateways/health/").status_code == 200
    client.post("/accounts/logout/")
    log_in(client, "support")
    again = client.post("/accounts/2fa/verify/", {"token": codes[0]})
    assert again.status_code == 200 and again.context["form"].errors
    assert client.get("/gateways/health/").status_code == 302


@pytest.mark.django_db
def test_a_dealer_without_a_device_logs_in_with_the_password_alone(client, world, staff_2fa):
    log_in(client, "dealer")
    resp = client.get("/cabinet/")
    assert resp.status_code == 200


@pytest.mark.django_db
def test_a_dealer_who_turned_it_on_is_asked_for_the_code(client, world, staff_2fa):
    log_in(client, "dealer")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user__username="dealer")
    client.post("/accounts/2fa/setup/", {"token": code_for(device)})
    client.post("/accounts/logout/")
    log_in(client, "dealer")
    assert client.get("/cabinet/")["Location"].startswith("/accounts/2fa/verify/")
    device.refresh_from_db()
    # the code that confirmed the device cannot be replayed (django-otp keeps the last step used)
    assert client.post("/accounts/2fa/verify/", {"token": code_for(device, drift=1), "next": "/cabinet/"}).status_code == 302
    assert client.get("/cabinet/").status_code == 200
    # and may turn it off again
    client.post("/accounts/2fa/remove/")
    assert not TOTPDevice.objects.filter(user__username="dealer").exists()


@pytest.mark.django_db
def test_staff_cannot_turn_a_required_second_factor_off(client, world, staff_2fa):
    log_in(client, "support")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user__username="support")
    client.post("/accounts/2fa/setup/", {"token": code_for(device)})
    client.post("/accounts/2fa/remove/")
    assert TOTPDevice.objects.filter(user__username="support", confirmed=True).exists()


@pytest.mark.django_db
def test_with_the_setting_off_staff_log_in_with_the_password(client, world, settings):
    settings.KIT_STAFF_2FA = False
    log_in(client, "support")
    assert client.get("/gateways/health/").status_code == 200


@pytest.mark.django_db
def test_the_verify_page_refuses_an_outside_next(client, world, staff_2fa):
    log_in(client, "dealer")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user__username="dealer")
    client.post("/accounts/2fa/setup/", {"token": code_for(device)})
    client.post("/accounts/logout/")
    log_in(client, "dealer")
    resp = client.post("/accounts/2fa/verify/", {"token": code_for(device, drift=1), "next": "https://evil.example/"})
    assert resp["Location"] == "/"


@pytest.mark.django_db
def test_a_wrong_code_does_not_confirm_the_device(client, world, staff_2fa):
    log_in(client, "support")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user__username="support", confirmed=False)
    wrong = "000000" if code_for(device) != "000000" else "111111"
    resp = client.post("/accounts/2fa/setup/", {"token": wrong})
    assert resp.status_code == 200 and resp.context["form"].errors
    assert not TOTPDevice.objects.filter(user__username="support", confirmed=True).exists()
    assert client.get("/gateways/health/")["Location"].startswith("/accounts/2fa/setup/")

"""Idle sessions end (staff sooner than dealers); a password change ends the user's other sessions."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone


def log_in(client, username):
    assert client.post("/accounts/login/", {"username": username, "password": "kit-demo"}).status_code == 302


def later(monkeypatch, minutes):
    moment = timezone.now() + timedelta(minutes=minutes)
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.mark.django_db
def test_a_staff_session_idle_for_31_minutes_is_logged_out(client, world, monkeypatch):
    log_in(client, "support")
    assert client.get("/gateways/health/").status_code == 200
    later(monkeypatch, 31)
    resp = client.get("/gateways/health/")
    assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_staff_session_used_within_29_minutes_stays(client, world, monkeypatch):
    log_in(client, "support")
    client.get("/gateways/health/")
    later(monkeypatch, 29)
    assert client.get("/gateways/health/").status_code == 200


@pytest.mark.django_db
def test_a_dealer_session_lives_for_two_idle_hours(client, world, monkeypatch):
    log_in(client, "dealer")
    client.get("/cabinet/")
    later(monkeypatch, 119)
    assert client.get("/cabinet/").status_code == 200
    later(monkeypatch, 119 + 121)
    assert client.get("/cabinet/").status_code == 302


@pytest.mark.django_db
def test_the_limits_come_from_the_setting(client, world, monkeypatch, settings):
    settings.KIT_SESSION_IDLE_MINUTES = {"staff": 5, "dealer": 5}
    log_in(client, "dealer")
    client.get("/cabinet/")
    later(monkeypatch, 6)
    assert client.get("/cabinet/").status_code == 302


@pytest.mark.django_db
def test_the_stored_session_expires_with_the_limit(client, world):
    log_in(client, "support")
    client.get("/gateways/health/")
    assert client.session.get_expiry_age() == 30 * 60


@pytest.mark.django_db
def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(world):
    here, elsewhere = Client(), Client()
    log_in(here, "dealer")
    log_in(elsewhere, "dealer")
    assert elsewhere.get("/cabinet/").status_code == 200
    resp = here.post("/accounts/password_change/", {
        "old_password": "kit-demo", "new_password1": "a-new-long-passphrase-7", "new_password2": "a-new-long-passphrase-7"})
    assert resp.status_code == 302
    assert here.get("/cabinet/").status_code == 200
    gone = elsewhere.get("/cabinet/")
    assert gone.status_code == 302 and gone["Location"].startswith("/accounts/login/")

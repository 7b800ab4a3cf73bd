"""Lockout after repeated failures: per username and address, for 15 minutes, without revealing users."""

import re
from datetime import timedelta

import pytest

LOGIN = "/accounts/login/"


def attempt(client, username, password, ip="10.1.1.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip,
                       HTTP_ACCEPT_LANGUAGE="ru")


def fail_five_times(client, username="dealer", ip="10.1.1.1"):
    """Four wrong passwords answer the usual error; the fifth one locks at once."""
    for n in range(5):
        resp = attempt(client, username, "wrong", ip)
        assert resp.status_code == (429 if n == 4 else 200)
        assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, world):
    fail_five_times(client)
    resp = attempt(client, "dealer", "kit-demo")
    assert resp.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "15" in resp.content.decode() and "Слишком много неудачных попыток" in resp.content.decode()


@pytest.mark.django_db
def test_a_lock_does_not_reveal_whether_the_user_exists(client, world):
    fail_five_times(client, "dealer")
    known = attempt(client, "dealer", "x")
    fail_five_times(client, "nobody-by-this-name")
    unknown = attempt(client, "nobody-by-this-name", "x")
    assert known.status_code == unknown.status_code == 429

    def page(resp):
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", resp.content.decode())

    assert page(known) == page(unknown)


@pytest.mark.django_db
def test_another_user_from_the_same_address_still_logs_in(client, world):
    fail_five_times(client, "dealer")
    resp = attempt(client, "subdealer", "kit-demo")
    assert resp.status_code == 302
    assert client.session["_auth_user_id"]


@pytest.mark.django_db
def test_the_same_user_from_another_address_still_logs_in(client, world):
    fail_five_times(client, "dealer", ip="10.1.1.1")
    resp = attempt(client, "dealer", "kit-demo", ip="10.2.2.2")
    assert resp.status_code == 302


def age(delta):
    """Let `delta` pass for the recorded failures (the clock as axes reads it from its rows)."""
    from axes.models import AccessAttempt

    for row in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=row.attempt_time - delta)


@pytest.mark.django_db
def test_the_lock_lifts_after_fifteen_minutes(client, world):
    fail_five_times(client)
    assert attempt(client, "dealer", "kit-demo").status_code == 429
    age(timedelta(minutes=15, seconds=1))
    resp = attempt(client, "dealer", "kit-demo")
    assert resp.status_code == 302


@pytest.mark.django_db
def test_fourteen_minutes_later_it_is_still_locked(client, world):
    fail_five_times(client)
    age(timedelta(minutes=14))
    assert attempt(client, "dealer", "kit-demo").status_code == 429


@pytest.mark.django_db
def test_the_admin_login_is_locked_the_same_way(client, world):
    for _ in range(5):
        client.post("/admin/login/", {"username": "admin", "password": "wrong"}, REMOTE_ADDR="10.3.3.3")
    resp = client.post("/admin/login/?next=/admin/", {"username": "admin", "password": "kit-demo"},
                       REMOTE_ADDR="10.3.3.3")
    assert resp.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admins_see_and_lift_locks_in_the_admin(client, admin_client, world):
    from axes.models import AccessAttempt

    fail_five_times(client)
    attempt_row = AccessAttempt.objects.get(username="dealer")
    assert admin_client.get("/admin/axes/accessattempt/").status_code == 200
    resp = admin_client.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": [attempt_row.pk], "post": "yes"})
    assert resp.status_code == 302
    assert attempt(client, "dealer", "kit-demo").status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_dodge_the_lock_without_a_proxy(client, world):
    for n in range(5):
        client.post(LOGIN, {"username": "dealer", "password": "wrong"}, REMOTE_ADDR="10.1.1.1",
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    resp = client.post(LOGIN, {"username": "dealer", "password": "kit-demo"}, REMOTE_ADDR="10.1.1.1",
                       HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert resp.status_code == 429


@pytest.mark.django_db
def test_behind_our_proxy_the_right_most_forwarded_address_is_the_client(client, world, settings):
    settings.KIT_BEHIND_PROXY = True
    for _ in range(5):
        client.post(LOGIN, {"username": "dealer", "password": "wrong"}, REMOTE_ADDR="127.0.0.1",
                    HTTP_X_FORWARDED_FOR="6.6.6.6, 10.1.1.1")
    locked = client.post(LOGIN, {"username": "dealer", "password": "kit-demo"}, REMOTE_ADDR="127.0.0.1",
                         HTTP_X_FORWARDED_FOR="7.7.7.7, 10.1.1.1")
    assert locked.status_code == 429
    other = client.post(LOGIN, {"username": "dealer", "password": "kit-demo"}, REMOTE_ADDR="127.0.0.1",
                        HTTP_X_FORWARDED_FOR="6.6.6.6, 10.9.9.9")
    assert other.status_code == 302

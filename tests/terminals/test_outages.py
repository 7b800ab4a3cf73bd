"""Outages: Redis away (payments still recorded, replays still refused), the database away (503
unavailable with Retry-After on every endpoint; the refused connection needs PostgreSQL, since
closing SQLite's in-memory test database would drop it)."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from payments.models import Attempt, Payment
from terminals import nonces
from terminals.models import TerminalNonce
from tests.payments.conftest import Broker

from .conftest import payment
from .test_faults import assert_unavailable, every_endpoint

CLOSED_PORT = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def code_of(response):
    return response.json()["error"]["code"]


@pytest.fixture
def redis_down(settings):
    nonces.nonce_reset()
    settings.REDIS_URL = CLOSED_PORT
    yield
    nonces.nonce_reset()


@pytest.fixture
def broker(monkeypatch):
    from payments import tasks

    b = Broker()
    for task in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held):
        monkeypatch.setattr(task, "apply_async", b.sender(task.name))
    monkeypatch.setattr("payments.services.sweep.queue_depth", b.depth)
    return b


@pytest.mark.django_db
def test_with_redis_down_a_payment_is_recorded_replays_are_refused_and_the_sweeper_submits_it_once(
        kiosk, redis_down, broker, django_capture_on_commit_callbacks):
    broker.down = True  # the broker is the same Redis
    nonce = "outage-nonce-0123456789"
    with django_capture_on_commit_callbacks(execute=True):
        response = kiosk.post_payment(payment(txn="1"), nonce=nonce)
    assert response.status_code == 201
    p = Payment.objects.get(txn="1")
    assert p.status == "accepted" and broker.sent == []
    assert TerminalNonce.objects.filter(nonce=nonce).count() == 1  # replay protection in PostgreSQL

    replay = kiosk.post_payment(payment(txn="1"), nonce=nonce)
    assert (replay.status_code, code_of(replay)) == (401, "replayed_nonce")
    assert kiosk.config().status_code == 200
    beat = kiosk.heartbeat({"software_version": "1.0"})
    assert beat.status_code == 200 and beat.json()["blocked"] is False

    broker.down = False  # the broker is back
    later = timezone.now() + timedelta(seconds=django_settings.KIT_STUCK_ACCEPTED_SECONDS + 5)
    from payments.services.sweep import payment_sweep

    assert payment_sweep(now=later)["submit"] == 1
    assert payment_sweep(now=later)["submit"] == 0
    assert broker.sent == [("payments.tasks.submit_payment", (p.pk,))]
    broker.run()
    p.refresh_from_db()
    assert p.status in ("processing", "succeeded")
    assert Attempt.objects.filter(payment=p).count() == 1
    assert payment_sweep(now=later + timedelta(seconds=1))["submit"] == 0


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs REDIS_URL (a Redis to come back)")
def test_a_nonce_used_while_redis_was_down_is_still_refused_when_it_is_back(kiosk, settings, monkeypatch):
    import redis

    real_url = settings.REDIS_URL
    nonce = f"back-nonce-{kiosk.terminal}-{timezone.now():%H%M%S%f}"
    nonces.nonce_reset()
    settings.REDIS_URL = CLOSED_PORT
    try:
        assert kiosk.config(nonce=nonce).status_code == 200
        settings.REDIS_URL = real_url
        monkeypatch.setattr(nonces, "_redis_down_until", 0.0)  # the retry pause is over
        response = kiosk.config(nonce=nonce)
        assert (response.status_code, code_of(response)) == (401, "replayed_nonce")
        terminal_id = TerminalNonce.objects.get(nonce=nonce).terminal_id
        assert redis.Redis.from_url(real_url).exists(nonces.nonce_key(terminal_id, nonce))
        assert kiosk.config().status_code == 200  # and Redis takes new nonces again
    finally:
        nonces.nonce_reset()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_with_the_database_refusing_connections_every_endpoint_answers_503_with_retry_after(kiosk, monkeypatch):
    import psycopg

    def refuse(conn_params):
        raise psycopg.OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    kiosk.unavailable_retries = 0
    connection.close()
    monkeypatch.setattr(connection, "get_new_connection", refuse)
    try:
        for name, call in every_endpoint(kiosk):
            response = call()
            assert response.status_code == 503, (name, response.text)
            assert_unavailable(response)
    finally:
        monkeypatch.undo()
        connection.close()
    assert kiosk.post_payment(payment(txn="1")).status_code == 201

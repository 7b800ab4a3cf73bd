"""The kiosk client against the app in-process: client and server are checked against each other."""

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.client import KioskClient


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The demo world creates five users; PBKDF2 would make every test's set-up take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def transport():
    """The Django app behind an httpx transport, in the calling thread (no sockets).

    Like Django's test client, it keeps request_started/finished from closing the database
    connection, which would end the test's transaction (PostgreSQL keeps connections open).
    """
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield httpx.WSGITransport(app=WSGIHandler())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def make_client(transport):
    """make_client(terminal) -> a KioskClient for that terminal, enrolled with a fresh key."""
    from terminals.services import enrollment_code_issue

    clients = []

    def make(terminal, *, enroll=True):
        client = KioskClient("http://testserver", terminal.number, transport=transport)
        if enroll:
            _, code = enrollment_code_issue(terminal=terminal)
            response = client.enroll(code, Ed25519PrivateKey.generate())
            assert response.status_code == 200, response.text
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def kiosk(terminal, make_client):
    """Terminal 1001 (dealer Demo), enrolled."""
    return make_client(terminal)


def payment(txn="1", provider="mts", account="9161234567", amount="100.00",
            paid_at="2026-11-01T12:00:00+03:00", **extra):
    return {"txn": txn, "provider": provider, "account": account, "amount": amount,
            "paid_at": paid_at, "fields": {}, **extra}

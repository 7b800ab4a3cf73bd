import time
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.utils import timezone

from kiosk.client import KioskClient
from terminals.models import Terminal, TerminalNonce
from terminals.nonces import nonce_remember, nonce_sweep

from .conftest import payment

pytestmark = pytest.mark.django_db


def code_of(response):
    return response.json()["error"]["code"]


def test_a_signed_request_is_accepted(kiosk):
    assert kiosk.config().status_code == 200


def test_a_replayed_nonce_is_refused(kiosk):
    nonce = "replay-me-0123456789"
    assert kiosk.config(nonce=nonce).status_code == 200
    again = kiosk.config(nonce=nonce)
    assert again.status_code == 401
    assert code_of(again) == "replayed_nonce"


def test_the_same_nonce_from_another_terminal_is_fine(kiosk, make_client, world):
    other = make_client(Terminal.objects.get(number="1002"))
    nonce = "shared-nonce-0123456789"
    assert kiosk.config(nonce=nonce).status_code == 200
    assert other.config(nonce=nonce).status_code == 200


def test_a_request_signed_with_another_terminals_key_is_refused(kiosk, make_client, world):
    other = make_client(Terminal.objects.get(number="1002"))
    kiosk.key = other.key
    response = kiosk.config()
    assert response.status_code == 401
    assert code_of(response) == "bad_signature"


def test_a_tampered_body_is_refused(kiosk):
    body = kiosk.encode(payment(txn="7"))
    signed = kiosk.request("POST", "/payments", body, nonce="tamper-nonce-000000001")
    assert signed.status_code == 201
    headers = {k: v for k, v in signed.request.headers.items() if k.lower().startswith("x-kit-")}
    headers["X-KIT-Nonce"] = headers.get("x-kit-nonce")
    tampered = body.replace(b'"100.00"', b'"900.00"')
    response = kiosk.request("POST", "/payments", tampered, sign=False, headers=headers)
    assert response.status_code == 401
    assert code_of(response) in ("bad_signature", "replayed_nonce")
    # With a fresh nonce the old signature no longer matches either.
    headers["x-kit-nonce"] = "tamper-nonce-000000002"
    response = kiosk.request("POST", "/payments", tampered, sign=False, headers=headers)
    assert code_of(response) == "bad_signature"


def test_a_signature_over_another_path_is_refused(kiosk):
    from kiosk.signing import signed_headers

    headers = signed_headers(kiosk.key, kiosk.terminal, "GET", "/api/terminal/v1/config?x=1", b"", int(time.time()))
    response = kiosk.request("GET", "/config", sign=False, headers=headers)
    assert code_of(response) == "bad_signature"


def test_the_query_string_is_part_of_the_signed_path(kiosk):
    assert kiosk.call("GET", "/config?lang=ru").status_code == 200


def test_a_stale_timestamp_is_refused_with_the_server_time(kiosk):
    response = kiosk.request("GET", "/config", timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    body = response.json()
    assert body["error"]["code"] == "stale_timestamp"
    server = datetime.fromisoformat(body["server_time"])
    assert abs(server - timezone.now()) < timedelta(seconds=5)
    assert body["error"]["server_time"] == body["server_time"]


def test_a_timestamp_from_the_future_is_refused(kiosk):
    response = kiosk.request("GET", "/config", timestamp=int(time.time()) + 400)
    assert code_of(response) == "stale_timestamp"


def test_a_timestamp_within_300_seconds_is_accepted(kiosk):
    assert kiosk.request("GET", "/config", timestamp=int(time.time()) - 250).status_code == 200


def test_the_kiosk_client_corrects_its_clock_from_server_time(terminal, make_client):
    client = make_client(terminal)
    client.clock = lambda: time.time() - 3600
    assert client.config().status_code == 200
    assert 3590 < client.clock_offset < 3610


@pytest.mark.parametrize("header, value, code", [
    ("X-KIT-Terminal", "", "unknown_terminal"),
    ("X-KIT-Terminal", "10a1", "unknown_terminal"),
    ("X-KIT-Terminal", "5555", "unknown_terminal"),
    ("X-KIT-Timestamp", "", "stale_timestamp"),
    ("X-KIT-Timestamp", "soon", "stale_timestamp"),
    ("X-KIT-Timestamp", "99999999999999999999999", "stale_timestamp"),
    ("X-KIT-Nonce", "short", "bad_signature"),
    ("X-KIT-Nonce", "has spaces in it, 1234567", "bad_signature"),
    ("X-KIT-Nonce", "x" * 65, "bad_signature"),
    ("X-KIT-Signature", "", "bad_signature"),
    ("X-KIT-Signature", "not-base64!!", "bad_signature"),
    ("X-KIT-Signature", "AAAA", "bad_signature"),
])
def test_bad_auth_headers_are_refused_with_their_code(kiosk, header, value, code):
    response = kiosk.request("GET", "/config", headers={header: value})
    assert response.status_code == 401
    assert code_of(response) == code


def test_an_unsigned_request_is_unknown_terminal(kiosk):
    response = kiosk.request("GET", "/config", sign=False)
    assert response.status_code == 401
    assert code_of(response) == "unknown_terminal"


def test_a_terminal_that_never_enrolled_is_unknown(terminal, make_client, world):
    client = make_client(Terminal.objects.get(number="1003"), enroll=False)
    client.key = Ed25519PrivateKey.generate()
    assert code_of(client.config()) == "unknown_terminal"


def test_a_blocked_terminal_is_refused_config_and_status(kiosk, terminal):
    assert kiosk.post_payment(payment(txn="1")).status_code == 201
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    for response in (kiosk.config(), kiosk.get_payment("1")):
        assert response.status_code == 403
        assert code_of(response) == "terminal_blocked"


def test_a_blocked_terminals_bad_signature_is_still_401(kiosk, terminal):
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    assert code_of(kiosk.request("GET", "/config", headers={"X-KIT-Signature": "AAAA"})) == "bad_signature"


def test_a_bad_signature_does_not_burn_the_nonce(kiosk):
    nonce = "unburnt-nonce-0123456789"
    assert code_of(kiosk.request("GET", "/config", nonce=nonce, headers={"X-KIT-Signature": "AAAA"})) == "bad_signature"
    assert kiosk.config(nonce=nonce).status_code == 200


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="nonces live in Redis when REDIS_URL is set")
def test_nonces_are_kept_in_the_database_without_redis(terminal):
    assert nonce_remember(terminal_id=terminal.pk, nonce="db-nonce-0123456789")
    assert not nonce_remember(terminal_id=terminal.pk, nonce="db-nonce-0123456789")
    assert TerminalNonce.objects.filter(terminal=terminal).count() == 1


@pytest.mark.skipif(bool(settings.REDIS_URL), reason="nonces live in Redis when REDIS_URL is set")
def test_a_nonce_older_than_600_seconds_counts_as_new_and_is_swept(terminal):
    assert nonce_remember(terminal_id=terminal.pk, nonce="old-nonce-0123456789")
    TerminalNonce.objects.update(seen_at=timezone.now() - timedelta(seconds=601))
    assert nonce_remember(terminal_id=terminal.pk, nonce="old-nonce-0123456789")
    TerminalNonce.objects.update(seen_at=timezone.now() - timedelta(seconds=601))
    assert nonce_sweep() == 1
    assert not TerminalNonce.objects.exists()


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL")
def test_nonces_are_kept_in_redis_when_configured(terminal):
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"kit:nonce:{terminal.pk}:redis-nonce-0123456789"
    client.delete(key)  # Redis outlives test databases: a terminal pk may come round again
    assert nonce_remember(terminal_id=terminal.pk, nonce="redis-nonce-0123456789")
    assert not nonce_remember(terminal_id=terminal.pk, nonce="redis-nonce-0123456789")
    assert not TerminalNonce.objects.exists()
    assert 590 < client.ttl(key) <= 600


def test_unknown_api_paths_are_json_404(kiosk):
    response = kiosk.request("GET", "/nope", sign=False)
    assert response.status_code == 404
    assert code_of(response) == "not_found"


def test_a_wrong_method_is_405(kiosk):
    response = kiosk.call("DELETE", "/config")
    assert response.status_code == 405
    assert code_of(response) == "method_not_allowed"
    assert response.headers["Allow"] == "GET"


def test_the_api_needs_no_csrf_token(kiosk, transport):
    # Signed requests are their own proof of origin; Django's CSRF check would refuse every POST.
    assert kiosk.heartbeat({}).status_code == 200


def test_a_kiosk_client_without_key_refuses_to_sign(world, transport):
    with KioskClient("http://testserver", "1001", transport=transport) as client, pytest.raises(RuntimeError):
        client.config()

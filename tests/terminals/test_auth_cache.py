"""The terminal's authentication data from a per-process cache: bounded by its TTL, forgotten on change."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.signing import public_key_b64
from payments.models import Payment
from terminals import selectors
from terminals.models import Terminal
from terminals.services import enrollment_code_issue, terminal_block, terminal_unblock

from .conftest import payment


def later(monkeypatch, seconds: float) -> None:
    now = selectors.time.monotonic()
    monkeypatch.setattr(selectors.time, "monotonic", lambda: now + seconds)


def test_a_cached_terminal_is_read_once_within_the_ttl(kiosk, settings, django_assert_num_queries):
    settings.KIT_TERMINAL_AUTH_TTL = 5
    assert kiosk.config().status_code == 200
    with django_assert_num_queries(0):
        assert selectors.terminal_for_auth("1001").number == "1001"


def test_a_block_made_elsewhere_holds_payments_once_the_ttl_has_passed(kiosk, terminal, settings, monkeypatch):
    settings.KIT_TERMINAL_AUTH_TTL = 5
    assert kiosk.post_payment(payment(txn="1")).json()["status"] == "accepted"
    # Another process blocks it: this process's copy is not told.
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    later(monkeypatch, 4.9)
    assert kiosk.post_payment(payment(txn="2")).json()["status"] == "accepted"  # within the TTL
    later(monkeypatch, 5.0)
    body = kiosk.post_payment(payment(txn="3")).json()
    assert (body["status"], Payment.objects.get(txn="3").reason) == ("held", "terminal_blocked")


def test_blocking_in_this_process_takes_effect_at_once(kiosk, terminal, settings):
    settings.KIT_TERMINAL_AUTH_TTL = 60
    assert kiosk.post_payment(payment(txn="1")).json()["status"] == "accepted"
    terminal_block(terminal=terminal, reason="stolen")
    assert kiosk.post_payment(payment(txn="2")).json()["status"] == "held"
    assert kiosk.config().json()["error"]["code"] == "terminal_blocked"
    terminal_unblock(terminal=terminal)
    assert kiosk.config().status_code == 200


def test_a_kiosk_re_enrolled_in_another_process_is_accepted_at_once(kiosk, terminal, settings):
    settings.KIT_TERMINAL_AUTH_TTL = 60
    assert kiosk.config().status_code == 200
    assert "1001" in selectors._auth
    old_key, new_key = kiosk.key, Ed25519PrivateKey.generate()
    # Enrolled through another process: this process's cached entry still holds the old key.
    Terminal.objects.filter(pk=terminal.pk).update(public_key=public_key_b64(new_key))
    kiosk.key = new_key
    assert kiosk.post_payment(payment(txn="1")).status_code == 201  # a failed check reads afresh
    kiosk.key = old_key
    assert kiosk.post_payment(payment(txn="2")).json()["error"]["code"] == "bad_signature"


def test_enrolling_forgets_the_cached_key(kiosk, terminal, settings):
    settings.KIT_TERMINAL_AUTH_TTL = 60
    assert kiosk.config().status_code == 200
    _, code = enrollment_code_issue(terminal=terminal)
    assert kiosk.enroll(code, Ed25519PrivateKey.generate()).status_code == 200
    assert "1001" not in selectors._auth
    assert kiosk.post_payment(payment(txn="1")).status_code == 201

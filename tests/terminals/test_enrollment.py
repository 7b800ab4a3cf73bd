from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.utils import timezone

from kiosk.client import KioskClient
from kiosk.signing import public_key_b64
from terminals.models import EnrollmentCode, Terminal
from terminals.services import enrollment_code_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def bare(terminal, transport):
    """Terminal 1001's kiosk before enrollment."""
    with KioskClient("http://testserver", terminal.number, transport=transport) as client:
        yield client


def code_of(response):
    return response.json()["error"]["code"]


def test_a_code_enrolls_the_key_once(terminal, bare):
    _, code = enrollment_code_issue(terminal=terminal)
    key = Ed25519PrivateKey.generate()
    response = bare.enroll(code, key)
    assert response.status_code == 200
    assert response.json()["terminal"] == "1001"
    assert "server_time" in response.json()
    terminal.refresh_from_db()
    assert terminal.public_key == public_key_b64(key)
    assert terminal.enrolled_at is not None

    again = bare.enroll(code, Ed25519PrivateKey.generate())
    assert again.status_code == 403
    assert code_of(again) == "enrollment_denied"
    terminal.refresh_from_db()
    assert terminal.public_key == public_key_b64(key)


def test_the_code_may_be_typed_without_dashes(terminal, bare):
    _, code = enrollment_code_issue(terminal=terminal)
    assert bare.enroll(code.replace("-", " "), Ed25519PrivateKey.generate()).status_code == 200


def test_an_expired_code_is_denied(terminal, bare):
    row, code = enrollment_code_issue(terminal=terminal)
    EnrollmentCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bare.enroll(code, Ed25519PrivateKey.generate())
    assert response.status_code == 403
    assert code_of(response) == "enrollment_denied"


def test_a_code_lasts_24_hours(terminal):
    row, _ = enrollment_code_issue(terminal=terminal)
    assert timedelta(hours=23, minutes=59) < row.expires_at - timezone.now() <= timedelta(hours=24)


def test_five_wrong_codes_lock_enrollment_until_a_new_code_is_issued(terminal, bare):
    _, code = enrollment_code_issue(terminal=terminal)
    for _ in range(5):
        assert code_of(bare.enroll("0000-0000-0000", Ed25519PrivateKey.generate())) == "enrollment_denied"
    locked = bare.enroll(code, Ed25519PrivateKey.generate())
    assert locked.status_code == 403
    assert code_of(locked) == "enrollment_denied"

    _, fresh = enrollment_code_issue(terminal=terminal)
    assert bare.enroll(fresh, Ed25519PrivateKey.generate()).status_code == 200


def test_four_wrong_codes_do_not_lock(terminal, bare):
    _, code = enrollment_code_issue(terminal=terminal)
    for _ in range(4):
        bare.enroll("1111-1111-1111", Ed25519PrivateKey.generate())
    assert bare.enroll(code, Ed25519PrivateKey.generate()).status_code == 200


def test_a_new_code_supersedes_the_old_one(terminal, bare):
    _, old = enrollment_code_issue(terminal=terminal)
    enrollment_code_issue(terminal=terminal)
    assert code_of(bare.enroll(old, Ed25519PrivateKey.generate())) == "enrollment_denied"


def test_another_terminals_code_is_denied(world, terminal, bare):
    _, code = enrollment_code_issue(terminal=Terminal.objects.get(number="1002"))
    assert code_of(bare.enroll(code, Ed25519PrivateKey.generate())) == "enrollment_denied"


def test_an_unknown_terminal_is_denied_like_a_wrong_code(world, transport):
    with KioskClient("http://testserver", "7777", transport=transport) as client:
        response = client.enroll("1234-5678-9012", Ed25519PrivateKey.generate())
    assert response.status_code == 403
    assert code_of(response) == "enrollment_denied"


def test_a_new_key_replaces_the_old_one(terminal, make_client, transport):
    first = make_client(terminal)
    assert first.config().status_code == 200
    second = make_client(terminal)
    assert second.config().status_code == 200
    refused = first.config()
    assert refused.status_code == 401
    assert code_of(refused) == "bad_signature"


@pytest.mark.parametrize("doc, field", [
    ({"terminal": "1001", "code": "1", "public_key": "not base64!"}, "public_key"),
    ({"terminal": "1001", "code": "1", "public_key": "AAAA"}, "public_key"),
    ({"terminal": 1001, "code": "1", "public_key": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="}, "terminal"),
    ({"terminal": "1001", "public_key": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="}, "code"),
])
def test_a_malformed_enrollment_is_invalid(terminal, bare, doc, field):
    response = bare.request("POST", "/enroll", bare.encode(doc), sign=False)
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert field in response.json()["error"]["fields"]


def test_enroll_refuses_get(bare, world):
    response = bare.request("GET", "/enroll", sign=False)
    assert response.status_code == 405
    assert code_of(response) == "method_not_allowed"


def test_the_command_prints_a_working_code_on_its_last_line(terminal, bare, capsys):
    call_command("issue_enrollment_code", "1001")
    code = capsys.readouterr().out.strip().splitlines()[-1]
    assert bare.enroll(code, Ed25519PrivateKey.generate()).status_code == 200


def test_the_admin_action_issues_a_code(terminal, admin_user, client):
    client.force_login(admin_user)
    response = client.post("/admin/terminals/terminal/", {
        "action": "issue_enrollment_code", "_selected_action": [terminal.pk]}, follow=True)
    assert response.status_code == 200
    assert EnrollmentCode.objects.filter(terminal=terminal).count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert any("1001" in m for m in messages)

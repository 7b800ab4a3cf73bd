"""Bad input and faults: every request gets its own clear answer, never a 500 for the request's fault."""

import logging
import time

import pytest
from django.db import connection

from payments.models import Payment
from terminals.api import views
from terminals.models import Terminal

from .conftest import payment

pytestmark = pytest.mark.django_db


def code_of(response):
    return response.json()["error"]["code"]


# -- paid_at offsets ---------------------------------------------------------------------------

@pytest.mark.parametrize("paid_at", ["2026-11-01T12:00:00+16:00", "2026-11-01T12:00:00-17:40",
                                     "2026-11-01T12:00:00+23:59", "2026-11-01T12:00:00+15:59:30"])
def test_a_paid_at_offset_beyond_15_59_is_400_invalid(kiosk, paid_at):
    response = kiosk.post_payment(payment(txn="1", paid_at=paid_at))
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert "paid_at" in response.json()["error"]["fields"]
    assert not Payment.objects.exists()


@pytest.mark.parametrize("paid_at", ["2026-11-01T12:00:00+15:59", "2026-11-01T12:00:00-15:59"])
def test_a_paid_at_offset_of_15_59_is_recorded(kiosk, paid_at):
    assert kiosk.post_payment(payment(txn="1", paid_at=paid_at)).status_code == 201


# -- batches: every item answers for itself ------------------------------------------------------

def test_a_batch_with_a_bad_offset_in_the_middle_records_the_items_after_it(kiosk):
    items = [payment(txn=str(i)) for i in range(1, 6)]
    items[2]["paid_at"] = "2026-11-01T12:00:00+16:00"
    results = kiosk.post_batch(items).json()["results"]
    assert [r["http_status"] for r in results] == [201, 201, 400, 201, 201]
    assert results[2]["body"]["error"]["code"] == "invalid"
    assert sorted(Payment.objects.values_list("txn", flat=True)) == ["1", "2", "4", "5"]


def test_a_poisoned_third_item_of_five_is_its_own_500_and_the_others_are_recorded(kiosk, monkeypatch, caplog):
    # Poisoned where the batch's joint acceptance and the one-by-one path both judge an item.
    from payments.services import accept as single

    real_judge = single._judge

    def judge(terminal, request, *args):
        if request.txn == "3":
            raise RuntimeError("poisoned")
        return real_judge(terminal, request, *args)

    monkeypatch.setattr(single, "_judge", judge)
    with caplog.at_level(logging.ERROR, logger="terminals.api.views"):
        response = kiosk.post_batch([payment(txn=str(i)) for i in range(1, 6)])
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["txn"], r["http_status"]) for r in results] == [
        ("1", 201), ("2", 201), ("3", 500), ("4", 201), ("5", 201)]
    assert results[2]["body"]["error"]["code"] == "internal"
    assert sorted(Payment.objects.values_list("txn", flat=True)) == ["1", "2", "4", "5"]
    assert "txn='3'" in caplog.text
    # The retried batch answers the recorded items as before and tries the poisoned one again.
    monkeypatch.setattr(single, "_judge", real_judge)
    again = kiosk.post_batch([payment(txn=str(i)) for i in range(1, 6)]).json()["results"]
    assert [r["http_status"] for r in again] == [200, 200, 201, 200, 200]


# -- the body ------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b'{"txn": "1", "provider": "mts", "account": "9161234567", "account": "9169999999", '
    b'"amount": "100.00", "paid_at": "2026-11-01T12:00:00+03:00"}',
    b'{"txn": "1", "provider": "mts", "account": "9161234567", "amount": "100.00", '
    b'"paid_at": "2026-11-01T12:00:00+03:00", "fields": {"a": "1", "a": "2"}}',
])
def test_a_body_with_a_key_twice_is_400_invalid(kiosk, body):
    response = kiosk.request("POST", "/payments", body)
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert "duplicate key" in response.json()["error"]["fields"]["body"]
    assert not Payment.objects.exists()


def test_a_batch_with_a_key_twice_is_400_invalid_as_a_whole(kiosk):
    body = b'{"payments": [], "payments": []}'
    response = kiosk.request("POST", "/payments/batch", body)
    assert (response.status_code, code_of(response)) == (400, "invalid")


@pytest.mark.parametrize("content_type", [None, "", "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_without_the_json_content_type_is_415(kiosk, content_type):
    body = kiosk.encode(payment(txn="1"))
    response = kiosk.request("POST", "/payments", body, content_type=content_type)
    assert response.status_code == 415
    assert code_of(response) == "unsupported_media_type"
    assert not Payment.objects.exists()


def test_a_json_content_type_with_a_charset_is_fine(kiosk):
    body = kiosk.encode(payment(txn="1"))
    assert kiosk.request("POST", "/payments", body, content_type="application/json; charset=utf-8").status_code == 201


def test_a_chunked_body_is_411_length_required(kiosk, client):
    from kiosk.signing import signed_headers

    body = kiosk.encode(payment(txn="1"))
    signed = signed_headers(kiosk.key, "1001", "POST", "/api/terminal/v1/payments", body, int(time.time()))
    environ = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in signed.items()}
    response = client.generic("POST", "/api/terminal/v1/payments", body, content_type="application/json",
                              HTTP_TRANSFER_ENCODING="chunked", **environ)
    assert response.status_code == 411
    assert response.json()["error"]["code"] == "length_required"
    assert not Payment.objects.exists()


# -- the order of the checks (docs/terminal-api.md) ------------------------------------------------

STALE = {"timestamp": 1}  # 1970: far outside the 300 s window


@pytest.mark.parametrize("headers, kw, code", [
    # terminal before timestamp
    ({"X-KIT-Terminal": "5555"}, STALE, "unknown_terminal"),
    ({"X-KIT-Terminal": "1003"}, STALE, "unknown_terminal"),  # exists, never enrolled
    # timestamp before nonce format and signature
    ({"X-KIT-Nonce": "short"}, STALE, "stale_timestamp"),
    ({"X-KIT-Signature": "AAAA"}, STALE, "stale_timestamp"),
    # nonce format before signature
    ({"X-KIT-Nonce": "short", "X-KIT-Signature": "AAAA"}, {}, "bad_signature"),
    # terminal before signature
    ({"X-KIT-Terminal": "5555", "X-KIT-Signature": "AAAA"}, {}, "unknown_terminal"),
])
def test_each_check_comes_before_the_next_in_the_documented_order(kiosk, world, headers, kw, code):
    response = kiosk.request("GET", "/config", headers=headers, **kw)
    assert response.status_code == 401
    assert code_of(response) == code


def test_a_bad_nonce_format_is_named_before_a_bad_signature(kiosk):
    response = kiosk.request("GET", "/config", headers={"X-KIT-Nonce": "short", "X-KIT-Signature": "AAAA"})
    assert "X-KIT-Nonce" in response.json()["error"]["message"]


def test_a_replayed_nonce_comes_before_blocked(kiosk, terminal):
    nonce = "order-nonce-0123456789"
    assert kiosk.config(nonce=nonce).status_code == 200
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    assert code_of(kiosk.config(nonce=nonce)) == "replayed_nonce"
    assert code_of(kiosk.config()) == "terminal_blocked"


def test_a_bad_signature_comes_before_a_replayed_nonce(kiosk):
    nonce = "order-nonce-9876543210"
    assert kiosk.config(nonce=nonce).status_code == 200
    response = kiosk.request("GET", "/config", nonce=nonce, headers={"X-KIT-Signature": "AAAA"})
    assert code_of(response) == "bad_signature"


# -- the database unavailable: 503 with Retry-After ------------------------------------------------

class DatabaseDown:
    """Fails every new cursor the way a refused or dropped connection does (the connection seam)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.down = False

    def __enter__(self):
        real = connection.create_cursor
        driver_error = connection.Database.OperationalError

        def create_cursor(name=None):
            if self.down:
                raise driver_error("connection to server failed: Connection refused")
            return real(name)

        self.monkeypatch.setattr(connection, "create_cursor", create_cursor)
        self.down = True
        return self

    def __exit__(self, *exc):
        self.down = False


def every_endpoint(kiosk):
    yield "enroll", lambda: kiosk.request("POST", "/enroll", kiosk.encode(
        {"terminal": "1001", "code": "1234-5678-9012", "public_key": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="}),
        sign=False)
    yield "payments", lambda: kiosk.post_payment(payment(txn="1"))
    yield "batch", lambda: kiosk.post_batch([payment(txn="2")])
    yield "status", lambda: kiosk.get_payment("1")
    yield "config", lambda: kiosk.config()
    yield "heartbeat", lambda: kiosk.heartbeat({"software_version": "1.0"})


def assert_unavailable(response):
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_every_endpoint_answers_503_unavailable_with_retry_after_while_the_database_is_down(kiosk, monkeypatch):
    kiosk.unavailable_retries = 0
    with DatabaseDown(monkeypatch):
        for name, call in every_endpoint(kiosk):
            response = call()
            assert response.status_code == 503, name
            assert_unavailable(response)
    assert kiosk.post_payment(payment(txn="1")).status_code == 201


def test_the_kiosk_client_waits_retry_after_and_sends_again(kiosk, monkeypatch):
    waits = []
    with DatabaseDown(monkeypatch) as db:
        def sleep(seconds):
            waits.append(seconds)
            if len(waits) == 2:
                db.down = False  # the database is back before the second retry

        kiosk.sleep = sleep
        response = kiosk.post_payment(payment(txn="1"))
    assert response.status_code == 201
    assert waits == [views.RETRY_AFTER_SECONDS] * 2
    assert Payment.objects.filter(txn="1").count() == 1


def test_the_kiosk_client_gives_up_after_its_retries_and_returns_the_503(kiosk, monkeypatch):
    waits = []
    kiosk.sleep = waits.append
    kiosk.unavailable_retries = 3
    kiosk.max_retry_wait = 2
    with DatabaseDown(monkeypatch):
        response = kiosk.post_payment(payment(txn="1"))
    assert_unavailable(response)
    assert waits == [2, 2, 2]


# -- integers as JSON Schema counts them (found by the Schemathesis run) -----------------------

def test_an_integer_written_with_a_zero_fraction_is_taken_as_that_integer(kiosk, terminal):
    from terminals.models import TerminalState

    response = kiosk.heartbeat({"devices": {"printer": {"paper_mm": 80.0}}, "cash": {"notes": 120.0, "amount": "1.00"}})
    assert response.status_code == 200
    live = TerminalState.objects.get(terminal=terminal)
    assert (live.cash_notes, live.devices) == (120, {"printer": {"paper_mm": 80}})
    assert type(live.devices["printer"]["paper_mm"]) is int


@pytest.mark.parametrize("doc, field", [
    ({"cash": {"notes": 120.5}}, "cash.notes"),
    ({"cash": {"notes": 1e30}}, "cash.notes"),
    ({"devices": {"printer": {"paper_mm": 80.5}}}, "devices"),
    ({"devices": {"printer": {"paper_mm": 1e13}}}, "devices"),
])
def test_a_number_with_a_fraction_or_out_of_range_where_an_integer_is_wanted_is_400_invalid(kiosk, doc, field):
    response = kiosk.heartbeat(doc)
    assert (response.status_code, code_of(response)) == (400, "invalid")
    assert field in response.json()["error"]["fields"]

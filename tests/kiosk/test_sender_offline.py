"""Step 3: store-and-forward (single, batch, backoff with jitter, 400/409 kept) and the offline policy."""

from datetime import datetime
from decimal import Decimal

import pytest

from kiosk.devices.cheque import OFFLINE_LINE
from kiosk.flow import S
from kiosk.sender import Sender
from payments.models import Payment

pytestmark = pytest.mark.django_db


class Spy:
    def __init__(self, h):
        self.paths = []
        inner = h.transport

        class Wrapped:
            def handle_request(_, request):
                self.paths.append(request.url.path.removeprefix("/api/terminal/v1"))
                return inner.handle_request(request)

        h.transport = Wrapped()


def test_payments_taken_offline_go_in_one_batch_exactly_once_with_their_paid_at(make_kiosk, terminal):
    h = make_kiosk()
    h.online = False
    for account in ("9161234567", "9161234568", "9161234569"):
        h.pay("mts", account, 100)
        h.flow.done()
        assert h.sender.send_once() == 0
    assert h.store.queue_summary()["count"] == 3
    assert Payment.objects.filter(terminal=terminal).count() == 0
    h.online = True
    spy = Spy(h)
    assert h.sender.send_once() == 3
    assert spy.paths == ["/payments/batch"]
    assert h.sender.send_once() == 0
    rows = Payment.objects.filter(terminal=terminal).order_by("txn")
    assert [r.txn for r in rows] == ["1", "2", "3"]
    for row in rows:
        assert row.paid_at == datetime.fromisoformat(h.store.payment_by_txn(row.txn).paid_at)
        assert row.amount == Decimal("100.00")


def test_a_single_waiting_payment_goes_alone(make_kiosk):
    h = make_kiosk()
    h.pay("mts", "9161234567", 10)
    spy = Spy(h)
    assert h.sender.send_once() == 1
    assert spy.paths == ["/payments"]


def test_a_resend_after_a_crash_between_the_answer_and_the_mark_is_a_200(make_kiosk, terminal):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    doc = h.store.payment_by_txn("1").doc
    assert h.kiosk.client.post_payment(doc).status_code == 201  # the server has it; we never marked it
    assert h.sender.send_once() == 1
    p = h.store.payment_by_txn("1")
    assert (p.state, p.http_status) == ("sent", 200)
    assert Payment.objects.filter(terminal=terminal, txn="1").count() == 1


def test_a_409_is_kept_with_the_servers_answer_reported_and_not_resent(make_kiosk, terminal):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    h.sender.send_once()
    # A store restored from an old image numbers from 1 again: other content under a used txn.
    with h.store.tx() as db:
        db.execute("DELETE FROM notes")
        db.execute("DELETE FROM payments")
        db.execute("UPDATE meta SET value = '0' WHERE key IN ('txn_counter', 'server_last_txn')")
    h.pay("mts", "9169999999", 50)
    spy = Spy(h)
    assert h.sender.send_once() == 0
    p = [x for x in h.store.payments() if x.account == "9169999999"][0]
    assert (p.state, p.http_status, p.error_code) == ("rejected", 409, "txn_conflict")
    assert h.sender.send_once() == 0
    assert spy.paths == ["/payments"]  # once, never again as it is
    from kiosk.sync import heartbeat_doc

    assert heartbeat_doc(h.flow)["rejected"] == [{"txn": "1", "http_status": 409, "code": "txn_conflict"}]
    assert Payment.objects.get(terminal=terminal, txn="1").account == "9161234567"


def test_a_400_is_kept_with_the_field_errors(make_kiosk):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    with h.store.tx() as db:
        db.execute("UPDATE payments SET doc = json_set(doc, '$.paid_at', 'yesterday')")
    assert h.sender.send_once() == 0
    p = h.store.payment_by_txn("1")
    assert (p.state, p.http_status, p.error_code) == ("rejected", 400, "invalid")
    assert "paid_at" in h.store.db.execute("SELECT server_body FROM payments").fetchone()[0]


def test_the_backoff_doubles_with_jitter_up_to_the_cap():
    import random

    s = Sender(store=None, client=None, link=None, base=2.0, cap=60.0, interval=1.0, rng=random.Random(3))
    assert s.backoff() == 1.0
    waits = []
    for n in range(1, 9):
        s.failures = n
        waits.append(s.backoff())
    for n, wait in enumerate(waits, start=1):
        nominal = min(60.0, 2.0 * 2 ** (n - 1))
        assert 0.5 * nominal <= wait <= 1.5 * nominal
    assert len({round(w, 6) for w in waits}) == 8  # jittered: no two kiosks retry in step


def test_an_unreachable_server_counts_failures_and_keeps_the_payment(make_kiosk):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100)
    h.online = False
    h.sender.send_once()
    h.sender.send_once()
    assert h.sender.failures == 2
    assert not h.kiosk.link.online
    assert h.store.payment_by_txn("1").state == "finished"
    assert h.store.payment_by_txn("1").attempts == 2
    h.online = True
    assert h.sender.send_once() == 1
    assert h.sender.failures == 0


def test_an_offline_payment_says_so_on_the_cheque(make_kiosk):
    h = make_kiosk()
    h.online = False
    h.kiosk.link.fail()
    h.pay("mts", "9161234567", 100)
    assert h.store.payment_by_txn("1").offline
    assert OFFLINE_LINE in h.printer_sim.last_document().replace("\n", " ")


def test_a_provider_without_offline_payments_is_unavailable_while_offline(make_kiosk):
    h = make_kiosk()
    h.online = False
    h.kiosk.link.fail()
    assert not h.flow.provider_available(h.flow.provider_by_code("demo-isp"))
    assert not h.flow.choose("demo-isp")
    assert h.flow.provider_available(h.flow.provider_by_code("mts"))


def test_the_local_config_can_forbid_offline_payments_for_a_provider(make_kiosk):
    h = make_kiosk(extra="[offline.providers.mts]\nallowed = false\n")
    h.online = False
    h.kiosk.link.fail()
    assert not h.flow.choose("mts")


def test_an_online_check_that_cannot_answer_lets_the_offline_policy_decide(make_kiosk):
    h = make_kiosk()
    h.online = False
    h.kiosk.link.fail()
    # rostelecom asks online first; offline it may take up to 5000.00
    h.pay("rostelecom", "771234567890", 1000, 5000, confirm=False)
    assert h.flow.snapshot()["total"] == Decimal("1000.00")
    assert h.validator_sim.counts()["returned"] == 1
    assert h.flow.offline


def test_the_offline_queue_limits_take_the_kiosk_out_of_service(make_kiosk):
    h = make_kiosk(queue_count=2)
    h.online = False
    h.kiosk.link.fail()
    for account in ("9161234567", "9161234568"):
        h.pay("mts", account, 100)
        h.flow.done()
    h.clock.advance(2)
    h.ticks(2)
    assert "offline_limits" in h.flow.oos_reasons()
    assert h.flow.state == S.OUT_OF_SERVICE
    h.online = True
    h.sender.send_once()
    h.ticks(1)
    assert h.flow.state == S.IDLE


def test_the_offline_queue_amount_caps_the_next_payment(make_kiosk):
    h = make_kiosk(queue_amount="1500.00")
    h.online = False
    h.kiosk.link.fail()
    h.pay("mts", "9161234567", 1000)
    h.flow.done()
    allowed, cap = h.flow.offline_policy(h.flow.provider_by_code("mts"))
    assert (allowed, cap) == (True, Decimal("500.00"))


def test_an_offline_queue_older_than_the_maximum_age_stops_offline_payments(make_kiosk):
    h = make_kiosk()
    h.online = False
    h.kiosk.link.fail()
    h.pay("mts", "9161234567", 100)
    h.flow.done()
    with h.store.tx() as db:
        db.execute("UPDATE payments SET paid_at = '2020-01-01T10:00:00+03:00'")
    assert h.flow.offline_queue_full()
    assert not h.flow.choose("mts")


def test_the_sender_thread_survives_an_unexpected_error(make_kiosk, monkeypatch):
    import threading

    h = make_kiosk()
    calls = []

    def broken():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("surprise")
        h.sender.stopping.set()
        return 0

    monkeypatch.setattr(h.sender, "send_once", broken)
    h.sender.base = h.sender.interval = 0.01
    thread = threading.Thread(target=h.sender.run)
    thread.start()
    thread.join(timeout=5)
    assert len(calls) == 2

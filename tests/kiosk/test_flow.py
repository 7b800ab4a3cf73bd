"""Step 2: the payment flow's table of moves, driven against the device simulators and the real server app."""

from datetime import datetime
from decimal import Decimal

import pytest

from kiosk.devices.cheque import NON_FISCAL_LINE
from kiosk.flow import MOVES, MoveRefused, S
from payments.models import Payment
from providers.models import Provider

pytestmark = pytest.mark.django_db


def server_payment(terminal, txn):
    return Payment.objects.get(terminal=terminal, txn=txn)


def test_every_state_has_its_moves_and_nothing_else_moves():
    assert set(MOVES) == set(S)
    assert MOVES[S.FINISHING] == {S.RECEIPT}
    assert S.IDLE in MOVES[S.INSERTING]  # only without money: the flow refuses a cancel once a note is in
    assert S.OUT_OF_SERVICE not in MOVES[S.INSERTING]  # a fault mid-payment finishes the payment first


def test_a_move_outside_the_table_is_refused(make_kiosk):
    h = make_kiosk()
    with pytest.raises(MoveRefused):
        h.flow._move(S.RECEIPT)
    assert h.flow.state == S.IDLE


def test_one_payment_is_recorded_printed_and_sent(make_kiosk, terminal):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100, 50)
    p = h.store.payment_by_txn("1")
    assert (p.state, p.amount, p.fee, p.credited, p.receipt) == ("finished", Decimal("150.00"), Decimal("0.00"),
                                                                 Decimal("150.00"), "printed")
    assert [n.value for n in h.store.notes(p.id)] == [Decimal("100.00"), Decimal("50.00")]
    assert all(n.acked for n in h.store.notes(p.id))
    cheque = h.printer_sim.last_document()
    assert NON_FISCAL_LINE in cheque
    assert "Принято: 150,00 руб." in cheque
    assert "Транзакция № 1" in cheque
    assert h.sender.send_once() == 1
    assert h.store.payment_by_txn("1").state == "sent"
    row = server_payment(terminal, "1")
    assert (row.amount, row.account, row.provider_code) == (Decimal("150.00"), "9161234567", "mts")
    assert row.paid_at == datetime.fromisoformat(p.paid_at)
    assert h.validator_sim.counts()["stacked_amount"] == "150.00"


def test_the_account_must_match_the_providers_format(make_kiosk):
    h = make_kiosk()
    assert h.flow.choose("mts")
    for ch in "12345":
        h.flow.key(ch)
    assert not h.flow.submit_account()
    assert h.flow.message == "format"
    assert h.flow.state == S.ACCOUNT
    h.flow.key("clear")
    assert h.flow.values["account"] == ""


def test_cancel_before_any_note_voids_the_session_and_uses_no_txn(make_kiosk):
    h = make_kiosk()
    assert h.flow.choose("mts")
    for ch in "9161234567":
        h.flow.key(ch)
    assert h.flow.submit_account()
    h.ticks(2)
    h.flow.cancel()
    h.until(lambda: h.flow.state == S.IDLE)
    assert [p.state for p in h.store.payments()] == ["void"]
    h.pay("mts", "9161234567", 10)
    assert h.store.payment_by_txn("1").amount == Decimal("10.00")


def test_cancel_is_refused_once_money_is_in(make_kiosk):
    h = make_kiosk()
    h.pay("mts", "9161234567", 100, confirm=False)
    h.flow.cancel()
    h.ticks(3)
    assert h.flow.state == S.INSERTING
    assert h.flow.snapshot()["total"] == Decimal("100.00")


def test_the_walk_away_timeout_finishes_the_payment_with_what_was_inserted(make_kiosk, terminal):
    h = make_kiosk()
    h.pay("mosenergosbyt", "7712345678", 500, confirm=False)
    h.clock.advance(59)
    h.ticks(2)
    assert h.flow.state == S.INSERTING
    h.clock.advance(2)
    h.until(lambda: h.flow.state == S.RECEIPT)
    p = h.store.payment_by_txn("1")
    assert (p.amount, p.fee, p.credited, p.not_passed) == (Decimal("500.00"), Decimal("10.00"),
                                                           Decimal("490.00"), False)
    h.sender.send_once()
    row = server_payment(terminal, "1")
    assert (row.amount, row.fee, row.flags) == (Decimal("500.00"), Decimal("10.00"), [])


def test_a_walk_away_below_the_minimum_is_recorded_sent_and_says_so_on_the_cheque(make_kiosk, terminal):
    Provider.objects.filter(code="mts").update(min_amount=Decimal("200.00"))
    h = make_kiosk()
    h.pay("mts", "9161234567", 100, confirm=False)
    h.clock.advance(61)
    h.until(lambda: h.flow.state == S.RECEIPT)
    p = h.store.payment_by_txn("1")
    assert (p.amount, p.fee, p.credited, p.not_passed) == (Decimal("100.00"), Decimal("0.00"),
                                                           Decimal("100.00"), True)
    cheque = h.printer_sim.last_document()
    assert "Платёж не проведён - обратитесь в\nподдержку" in cheque  # the printer has no dash, the line wraps
    assert "8 800 000-00-01" in cheque
    h.sender.send_once()
    row = server_payment(terminal, "1")
    assert row.status == "failed"
    assert row.reason in ("amount_out_of_limits", "amount_below_minimum")


def test_a_walk_away_with_no_note_ends_the_session_without_a_payment(make_kiosk):
    h = make_kiosk()
    assert h.flow.choose("mts")
    for ch in "9161234567":
        h.flow.key(ch)
    assert h.flow.submit_account()
    h.ticks(2)
    h.clock.advance(61)
    h.until(lambda: h.flow.state == S.IDLE)
    assert [p.state for p in h.store.payments()] == ["void"]
    assert h.store.txn_counter() == 0


def test_a_note_above_the_maximum_is_returned_from_escrow(make_kiosk):
    Provider.objects.filter(code="mts").update(max_amount=Decimal("150.00"))
    h = make_kiosk()
    h.pay("mts", "9161234567", 100, 100, confirm=False)
    counts = h.validator_sim.counts()
    assert (counts["stacked"], counts["returned"]) == (1, 1)
    assert h.flow.snapshot()["total"] == Decimal("100.00")
    h.insert(50)
    h.flow.confirm()
    h.until(lambda: h.flow.state == S.RECEIPT)
    assert h.store.payment_by_txn("1").amount == Decimal("150.00")


def test_the_validator_is_enabled_only_for_notes_the_maximum_allows(make_kiosk):
    Provider.objects.filter(code="mts").update(max_amount=Decimal("150.00"))
    h = make_kiosk()
    h.pay("mts", "9161234567", 500, confirm=False)
    counts = h.validator_sim.counts()
    assert (counts["stacked"], counts["rejected"]) == (0, 1)  # 500 is inhibited: the unit refuses it
    assert {n.value for t, n in h.flow.validator.bill_table.items() if t in h.flow.validator.enabled_types} == {
        Decimal("10"), Decimal("50"), Decimal("100")}


def test_the_fiscal_receipt_is_registered_with_the_agent_requisites_before_anything_is_printed(make_kiosk):
    h = make_kiosk(fiscal="sim")
    h.pay("mts", "9161234567", 100)
    registrar = h.flow.registrar
    tags = [t for op, t in registrar.calls if op == "register"][0]
    assert tags[1057] == "4"
    assert tags[1226] == "7740000076"
    assert tags[1020] == "100.00"
    assert tags[1036] == "1001"
    p = h.store.payment_by_txn("1")
    assert (p.receipt, p.fiscal_doc) == ("printed", "1")
    assert h.printer_sim.text() == ""  # the KKT printed the cheque, not the slip printer


def test_a_failing_registrar_keeps_and_sends_the_payment_and_takes_the_kiosk_out_of_service(make_kiosk, terminal):
    h = make_kiosk(fiscal="sim")
    h.flow.registrar.failing = True
    h.pay("mts", "9161234567", 100)
    p = h.store.payment_by_txn("1")
    assert (p.state, p.receipt) == ("finished", "fiscal_failed")
    assert h.sender.send_once() == 1
    assert server_payment(terminal, "1").amount == Decimal("100.00")
    h.flow.done()
    assert h.flow.state == S.OUT_OF_SERVICE
    assert "fiscal" in h.flow.oos_reasons()
    assert not h.flow.choose("mts")
    h.flow.registrar.failing = False
    h.clock.advance(6)
    h.ticks(2)
    assert h.flow.state == S.IDLE


def test_a_printer_out_of_paper_marks_the_cheque_not_printed_and_the_reprint_prints_it(make_kiosk):
    h = make_kiosk()
    h.printer_sim.set_status(paper="out")
    h.pay("mts", "9161234567", 100)
    assert h.store.payment_by_txn("1").receipt == "not_printed"
    assert h.store.outbox()[0].txn == "1"  # sent all the same
    h.flow.done()
    assert h.flow.state == S.OUT_OF_SERVICE
    h.printer_sim.set_status(paper="ok")
    assert h.flow.reprint_last()
    assert "КОПИЯ" in h.printer_sim.last_document()
    assert h.store.payment_by_txn("1").receipt == "printed"


def test_a_cassette_removed_takes_the_kiosk_out_of_service(make_kiosk):
    h = make_kiosk()
    h.validator_sim.remove_cassette()
    h.clock.advance(2)
    h.ticks(2)
    assert h.flow.state == S.OUT_OF_SERVICE
    assert h.flow.devices.validator == "cassette_removed"


def test_a_fresh_store_takes_no_cash_until_it_has_read_the_servers_last_txn(make_kiosk, tmp_path, terminal):
    first = make_kiosk(tmp_path / "old")
    first.pay("mts", "9161234567", 100)
    first.sender.send_once()
    # Reinstalled from scratch, and the server is not reachable yet.
    h = make_kiosk(tmp_path / "new", start=False)
    h.store.forget_confirmation()
    h.online = False
    h.boot()
    h.clock.advance(2)
    h.ticks(2)
    assert "not_confirmed" in h.flow.oos_reasons()
    assert not h.flow.choose("mts")
    h.online = True
    h.kiosk.heartbeat.beat()
    assert h.store.confirmed
    h.clock.advance(2)
    h.ticks(1)
    h.pay("mts", "9161234567", 50)
    assert h.store.payment_by_txn("2").amount == Decimal("50.00")


def test_an_abandoned_account_screen_returns_to_the_start(make_kiosk):
    h = make_kiosk()
    assert h.flow.choose("mts")
    h.flow.key("9")
    h.clock.advance(59)
    h.ticks(1)
    assert h.flow.state == S.ACCOUNT
    h.clock.advance(2)
    h.ticks(1)
    assert h.flow.state == S.IDLE
    assert h.store.payments() == []


def test_the_receipt_screen_returns_to_the_start_by_itself(make_kiosk):
    h = make_kiosk()
    h.pay("mts", "9161234567", 10)
    h.clock.advance(31)
    h.ticks(1)
    assert h.flow.state == S.IDLE

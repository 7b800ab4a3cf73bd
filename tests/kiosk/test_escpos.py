"""ESC/POS printer: cheque bytes in the chosen code page, DLE EOT status, failures before and mid-print."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kiosk.devices import sim
from kiosk.devices.cheque import Cheque, cheque_lines, mask_account, rub
from kiosk.devices.escpos import (
    EscPosPrinter,
    Line,
    PrinterNotReady,
    PrintFailed,
    decode_status,
    render,
    valid_status_byte,
)

H = bytes.fromhex


@pytest.fixture
def paper():
    sim.forget()
    yield sim.device("printer", "test")
    sim.forget()


@pytest.fixture
def printer(paper):
    p = EscPosPrinter("kitsim://printer/test", timeout=0.1)
    yield p
    p.close()


def cheque(**kw):
    doc = dict(dealer_name='ООО "Ромашка"', dealer_inn="7701234567", terminal="1001",
               address="Москва, ул. Тверская, 1", paid_at=datetime(2026, 12, 2, 14, 5, 9, tzinfo=ZoneInfo("Europe/Moscow")),
               txn="42", cheque_number="17", provider="МТС", account="9161234567", amount=Decimal("1500.00"),
               fee=Decimal("30.00"), credited=Decimal("1470.00"), support_phone="8 800 555-00-00")
    doc.update(kw)
    return Cheque(**doc)


EXPECTED = [
    'ООО "Ромашка"',
    "ИНН 7701234567",
    "Терминал № 1001",
    "Адрес: Москва, ул. Тверская, 1",
    "Дата: 02.12.2026 14:05:09",
    "Транзакция № 42",
    "Чек № 17",
    "Получатель: МТС",
    "Счёт: 9161234567",
    "Принято: 1 500,00 руб.",
    "Комиссия: 30,00 руб.",
    "К зачислению:",
    "1 470,00 руб.",
    "Телефон поддержки: 8 800 555-00-00",
    "Сохраняйте чек до зачисления платежа",
]


def test_the_cheque_bytes_decode_in_cp866_to_the_russian_text(paper, printer):
    printer.print_lines(cheque_lines(cheque()))
    raw = bytes(paper.raw)
    assert H("1B 40 1B 74 11") in raw  # ESC @, ESC t 17 (PC866)
    assert "Сохраняйте чек до зачисления платежа".encode("cp866") in raw
    assert H("1D 21 11") + "1 470,00 руб.".encode("cp866") in raw  # the sum credited in double size
    assert paper.last_document().split("\n") == EXPECTED
    assert raw.endswith(H("1D 56 42 04") + H("10 04 01 10 04 02 10 04 03 10 04 04"))  # cut, then status


def test_the_code_page_is_a_setting(paper):
    p = EscPosPrinter("kitsim://printer/test", encoding="cp1251", timeout=0.1)
    p.print_lines([Line("Чек № 1")])
    assert H("1B 74 2E") in paper.raw and "Чек № 1".encode("cp1251") in paper.raw
    assert paper.last_document() == "Чек № 1"


def test_the_code_page_number_can_be_set_for_printers_that_number_tables_their_own_way():
    chunks = render([Line("Тест")], encoding="cp866", codepage=23)
    assert chunks[0] == H("1B 40 1B 74 17")


def test_bold_and_double_size_lines_are_sent_as_such(paper, printer):
    printer.print_lines([Line("Итого", bold=True), Line("100", double=True, align="center")])
    lines = paper.documents[-1]
    assert (lines[0].text, lines[0].bold, lines[0].double) == ("Итого", True, False)
    assert (lines[1].text, lines[1].bold, lines[1].double, lines[1].align) == ("100", False, True, 1)
    assert H("1B 45 01") in paper.raw and H("1D 21 11") in paper.raw


def test_a_masked_account_shows_only_its_last_four_digits(paper, printer):
    printer.print_lines(cheque_lines(cheque(mask_account=True)))
    assert "Счёт: ******4567" in paper.last_document()
    assert "9161234567" not in paper.text()


def test_an_offline_cheque_says_it_will_be_credited_when_the_connection_returns(paper, printer):
    printer.print_lines(cheque_lines(cheque(offline=True)))
    assert "Платёж будет зачислен после восстановления связи" in paper.last_document().replace("\n", " ")


def test_a_payment_below_the_minimum_says_it_was_not_passed(paper, printer):
    printer.print_lines(cheque_lines(cheque(not_passed=True)))
    assert "Платёж не проведён - обратитесь в поддержку" in paper.last_document().replace("\n", " ")


def test_amounts_are_written_with_kopecks_and_grouped_thousands():
    assert rub(Decimal("1500.5")) == "1 500,50 руб."
    assert rub("0") == "0,00 руб."
    assert rub(Decimal("1234567.89")) == "1 234 567,89 руб."
    assert mask_account("123") == "123"


def test_the_status_is_read_with_dle_eot_before_and_after_printing(paper, printer):
    printer.print_lines([Line("x")])
    raw = bytes(paper.raw)
    first_text = raw.index(b"x")
    assert raw[:12] == H("10 04 01 10 04 02 10 04 03 10 04 04")
    assert raw.rfind(H("10 04 04")) > first_text


def test_paper_out_before_printing_refuses_to_print(paper, printer):
    paper.set_status(paper="out")
    with pytest.raises(PrinterNotReady) as info:
        printer.print_lines(cheque_lines(cheque()))
    assert info.value.status.problems() == ["paper_out"] and info.value.sent == 0
    assert H("1B 40") not in paper.raw and paper.documents == []


def test_a_cover_open_before_printing_refuses_to_print(paper, printer):
    paper.set_status(cover_open=True)
    with pytest.raises(PrinterNotReady) as info:
        printer.print_lines([Line("x")])
    assert "cover_open" in info.value.status.problems()


def test_a_silent_printer_is_not_ready(paper, printer):
    paper.set_status(silent=True)
    with pytest.raises(PrinterNotReady) as info:
        printer.print_lines([Line("x")])
    assert info.value.status.problems() == ["no_answer"]


def test_paper_running_out_mid_cheque_reports_the_cheque_as_not_printed(paper, printer):
    paper.set_status(paper_left=120)
    with pytest.raises(PrintFailed) as info:
        printer.print_lines(cheque_lines(cheque()))
    assert info.value.status.paper == "out" and info.value.sent > 0
    assert paper.documents == []  # never cut: no whole cheque came out
    assert paper.lost_bytes > 0


def test_paper_out_found_only_after_the_last_line_still_fails_the_print(paper):
    p = EscPosPrinter("kitsim://printer/test", timeout=0.1, check_every=0)
    paper.set_status(paper_left=200)
    with pytest.raises(PrintFailed):
        p.print_lines(cheque_lines(cheque()))


def test_a_printer_going_offline_mid_cheque_stops_the_print(paper, printer):
    original = paper.receive
    count = {"n": 0}

    def receive(data):
        count["n"] += 1
        if count["n"] == 10:
            paper.set_status(cover_open=True)
        return original(data)

    paper.receive = receive
    with pytest.raises(PrintFailed) as info:
        printer.print_lines(cheque_lines(cheque()))
    assert "cover_open" in info.value.status.problems()


def test_paper_near_end_prints_and_reports_it(paper, printer):
    paper.set_status(paper="near_end")
    result = printer.print_lines([Line("x")])
    assert result.before.paper == "near_end" and result.after.ready
    assert result.after.summary() == "paper near end"


@pytest.mark.parametrize("byte, paper_state", [(0x12, "ok"), (0x1E, "near_end"), (0x72, "out"), (0x7E, "out")])
def test_roll_paper_bytes_decode_as_documented(byte, paper_state):
    assert decode_status(0x12, 0x12, 0x12, byte).paper == paper_state


def test_the_printer_status_bits_decode_as_documented():
    s = decode_status(0x12 | 0x08 | 0x20 | 0x40, 0x12, 0x12, 0x12)
    assert s.offline and s.waiting_recovery and s.feed_pressed
    s = decode_status(0x12, 0x12 | 0x04 | 0x08 | 0x20 | 0x40, 0x12, 0x12)
    assert s.cover_open and s.paper_fed_by_button and s.paper_end_stop and s.error
    s = decode_status(0x12, 0x12, 0x12 | 0x04 | 0x08 | 0x20 | 0x40, 0x12)
    assert s.recoverable_error and s.cutter_error and s.unrecoverable_error and s.auto_recoverable_error
    assert decode_status(0x12, 0x12, 0x12, 0x12).ready
    assert decode_status(0x1A, 0x32, 0x12, 0x7E).problems() == ["paper_out"]


def test_a_status_byte_outside_the_pattern_is_refused():
    assert valid_status_byte(0x12) and valid_status_byte(0x7E)
    assert not valid_status_byte(0x04) and not valid_status_byte(0x92)
    with pytest.raises(ValueError):
        decode_status(0x04, 0x12, 0x12, 0x12)


def test_the_printer_simulator_answers_dle_eot_from_its_script(paper):
    assert paper.receive(H("10 04 04")) == H("12")
    paper.set_status(paper="near_end")
    assert paper.receive(H("10 04 04")) == H("1E")
    paper.set_status(paper="out", cover_open=True)
    assert paper.receive(H("10 04 01 10 04 02 10 04 04")) == H("1A 36 7E")
    paper.set_status(paper="ok", cover_open=False, cutter_error=True)
    assert paper.receive(H("10 04 03")) == H("1A")


def test_the_printer_simulator_served_on_a_pty_prints_for_another_process():
    from kiosk.devices.sim.serve import SimControl, spawn

    proc, info = spawn("printer", pty=True)
    try:
        p = EscPosPrinter(info["port"], timeout=0.5)
        p.print_lines(cheque_lines(cheque()))
        control = SimControl(info["control"])
        assert control.call("last_document").split("\n") == EXPECTED
        control.call("set_status", paper="out")
        assert p.status().paper == "out"
        p.close()
        control.close()
    finally:
        proc.kill()
        proc.wait()

"""The fiscal-registrar seam: agent requisites as FFD tags, the "none" registrar's slip, the simulator."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from kiosk.devices import sim
from kiosk.devices.cheque import Cheque
from kiosk.devices.escpos import EscPosPrinter
from kiosk.devices.fiscal import AgentReceipt, AgentRequisites, NoneRegistrar, RegistrarError
from kiosk.devices.sim.fiscal import FiscalRegistrarSimulator

CHEQUE = Cheque(dealer_name='ООО "Ромашка"', dealer_inn="7701234567", terminal="1001", address="Москва",
                paid_at=datetime(2026, 12, 2, 14, 5, tzinfo=ZoneInfo("Europe/Moscow")), txn="42",
                cheque_number="17", provider="МТС", account="9161234567", amount=Decimal("500.00"),
                fee=Decimal("10.00"), credited=Decimal("490.00"), support_phone="8 800 555-00-00",
                mask_account=True)
REQUISITES = AgentRequisites(agent_name='ООО "Ромашка"', agent_inn="7701234567", agent_phone="+74950000001",
                             operator_phone="+74950000002", supplier_name='ПАО "МТС"', supplier_inn="7740000076",
                             supplier_phone="+78002500890", machine_number="1001", address="Москва")


@pytest.fixture
def paper():
    sim.forget()
    yield sim.device("printer", "fiscal")
    sim.forget()


def test_the_receipt_carries_the_payment_agent_requisites_as_ffd_tags():
    tags = AgentReceipt(CHEQUE, REQUISITES).tags()
    assert tags[1057] == "4"  # payment agent
    assert (tags[1073], tags[1074]) == ("+74950000001", "+74950000002")
    assert (tags[1225], tags[1226], tags[1171]) == ('ПАО "МТС"', "7740000076", "+78002500890")
    assert (tags[1036], tags[1048], tags[1018]) == ("1001", 'ООО "Ромашка"', "7701234567")
    assert (tags[1020], tags[1031]) == ("500.00", "500.00")
    assert tags[1030] == "Оплата услуг МТС, счёт ******4567"


def test_the_none_registrar_prints_the_cheque_as_a_slip_that_says_it_is_not_fiscal(paper):
    registrar = NoneRegistrar(EscPosPrinter("kitsim://printer/fiscal", timeout=0.1))
    result = registrar.register(AgentReceipt(CHEQUE, REQUISITES))
    assert (result.fiscal, result.printed) == (False, True)
    doc = paper.last_document().split("\n")
    assert doc[0] == doc[-1] == "НЕ ЯВЛЯЕТСЯ ФИСКАЛЬНЫМ ДОКУМЕНТОМ"
    assert "Транзакция № 42" in doc
    assert registrar.status().fiscal is False


def test_the_none_registrar_reports_a_slip_the_printer_could_not_print(paper):
    paper.set_status(paper="out")
    registrar = NoneRegistrar(EscPosPrinter("kitsim://printer/fiscal", timeout=0.1))
    assert registrar.register(AgentReceipt(CHEQUE, REQUISITES)).printed is False


def test_the_simulator_records_what_a_real_registrar_would_be_asked():
    registrar = FiscalRegistrarSimulator()
    registrar.open_shift()
    result = registrar.register(AgentReceipt(CHEQUE, REQUISITES))
    registrar.close_shift()
    assert [name for name, _ in registrar.calls] == ["open_shift", "register", "close_shift"]
    assert registrar.calls[1][1][1057] == "4"
    assert (result.fiscal, result.document_number) == (True, "1")


def test_the_simulator_refuses_a_receipt_outside_a_shift_and_when_made_to_fail():
    registrar = FiscalRegistrarSimulator()
    with pytest.raises(RegistrarError):
        registrar.register(AgentReceipt(CHEQUE, REQUISITES))
    registrar.open_shift()
    registrar.failing = True
    with pytest.raises(RegistrarError):
        registrar.register(AgentReceipt(CHEQUE, REQUISITES))
    assert registrar.status().ok is False

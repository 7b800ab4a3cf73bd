"""The fiscal-registrar seam (54-FZ): a payment agent's legal cheque comes from a registered KKT.

A real registrar (ATOL, Shtrih-M, a kiosk KKT module, a cloud KKT) implements FiscalRegistrar. Until
one is fitted, NoneRegistrar prints the cheque through the receipt printer as a slip that says it is
not a fiscal document; sim/fiscal.py records what a real one would have been asked to do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal

from .cheque import NON_FISCAL_LINE, Cheque, cheque_lines
from .escpos import PrinterError, ReceiptPrinter

# FFD tag numbers of the agent requisites the kiosk hands to a registrar.
TAG_MACHINE_NUMBER = 1036
TAG_SETTLEMENT_ADDRESS = 1009
TAG_SETTLEMENT_PLACE = 1187
TAG_USER_NAME = 1048
TAG_USER_INN = 1018
TAG_TAXATION = 1055
TAG_SETTLEMENT_SIGN = 1054
TAG_AGENT_FLAG = 1057
TAG_AGENT_PHONE = 1073
TAG_OPERATOR_PHONE = 1074
TAG_SUPPLIER_NAME = 1225
TAG_SUPPLIER_INN = 1226
TAG_SUPPLIER_PHONE = 1171
TAG_ITEM_NAME = 1030
TAG_ITEM_PRICE = 1043
TAG_ITEM_QUANTITY = 1023
TAG_TOTAL = 1020
TAG_CASH = 1031
TAG_DATETIME = 1012
AGENT_FLAG_PAYMENT_AGENT = 1 << 2
SETTLEMENT_INCOME = 1  # "приход"


@dataclass(frozen=True)
class AgentRequisites:
    """Who the agent is and on whose behalf it takes the money (from the terminal's config)."""

    agent_name: str
    agent_inn: str
    agent_phone: str
    operator_phone: str
    supplier_name: str
    supplier_inn: str
    supplier_phone: str
    machine_number: str
    address: str
    place: str = "платёжный терминал"
    taxation: str = "osn"


@dataclass(frozen=True)
class AgentReceipt:
    cheque: Cheque
    requisites: AgentRequisites
    item: str = ""
    settlement_sign: int = SETTLEMENT_INCOME
    extra: dict[int, str] = field(default_factory=dict)

    def tags(self) -> dict[int, str]:
        """The receipt as FFD tag -> value (what a KKT driver is fed)."""
        r, c = self.requisites, self.cheque
        tags = {
            TAG_MACHINE_NUMBER: r.machine_number, TAG_SETTLEMENT_ADDRESS: r.address,
            TAG_SETTLEMENT_PLACE: r.place, TAG_USER_NAME: r.agent_name, TAG_USER_INN: r.agent_inn,
            TAG_TAXATION: r.taxation, TAG_SETTLEMENT_SIGN: str(self.settlement_sign),
            TAG_AGENT_FLAG: str(AGENT_FLAG_PAYMENT_AGENT), TAG_AGENT_PHONE: r.agent_phone,
            TAG_OPERATOR_PHONE: r.operator_phone, TAG_SUPPLIER_NAME: r.supplier_name,
            TAG_SUPPLIER_INN: r.supplier_inn, TAG_SUPPLIER_PHONE: r.supplier_phone,
            TAG_ITEM_NAME: self.item or f"Оплата услуг {c.provider}, счёт {c.shown_account}",
            TAG_ITEM_PRICE: f"{Decimal(c.amount):.2f}", TAG_ITEM_QUANTITY: "1",
            TAG_TOTAL: f"{Decimal(c.amount):.2f}", TAG_CASH: f"{Decimal(c.amount):.2f}",
            TAG_DATETIME: c.paid_at.isoformat(timespec="seconds"),
        }
        tags.update(self.extra)
        return tags


@dataclass(frozen=True)
class FiscalResult:
    fiscal: bool
    printed: bool  # the registrar printed the customer's cheque itself
    document_number: str = ""
    fiscal_sign: str = ""


@dataclass(frozen=True)
class RegistrarStatus:
    ok: bool
    shift_open: bool
    fiscal: bool
    detail: str = ""


class RegistrarError(Exception):
    """The registrar could not register the receipt: the payment is kept, the kiosk goes out of service."""


class FiscalRegistrar(ABC):
    @abstractmethod
    def status(self) -> RegistrarStatus: ...

    @abstractmethod
    def open_shift(self) -> None: ...

    @abstractmethod
    def register(self, receipt: AgentReceipt) -> FiscalResult:
        """Register a payment-agent receipt; RegistrarError when it could not."""

    @abstractmethod
    def close_shift(self) -> None: ...


class NoneRegistrar(FiscalRegistrar):
    """No KKT fitted: the cheque goes to the receipt printer, marked as not a fiscal document."""

    def __init__(self, printer: ReceiptPrinter):
        self.printer = printer
        self.shift_open = False

    def status(self) -> RegistrarStatus:
        return RegistrarStatus(ok=True, shift_open=self.shift_open, fiscal=False,
                               detail="no fiscal registrar: non-fiscal slips")

    def open_shift(self) -> None:
        self.shift_open = True

    def close_shift(self) -> None:
        self.shift_open = False

    def register(self, receipt: AgentReceipt) -> FiscalResult:
        try:
            self.printer.print_lines(cheque_lines(receipt.cheque, fiscal_note=NON_FISCAL_LINE))
        except PrinterError:
            # Nothing fiscal was lost; the caller marks the cheque "not printed" and offers a reprint.
            return FiscalResult(fiscal=False, printed=False)
        return FiscalResult(fiscal=False, printed=True)



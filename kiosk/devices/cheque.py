"""The customer's cheque: its content and its layout as printer lines (Russian)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .escpos import Line

KEEP_LINE = "Сохраняйте чек до зачисления платежа"
NOT_PASSED_LINE = "Платёж не проведён — обратитесь в поддержку"
OFFLINE_LINE = "Платёж будет зачислен после восстановления связи"
NON_FISCAL_LINE = "НЕ ЯВЛЯЕТСЯ ФИСКАЛЬНЫМ ДОКУМЕНТОМ"


def rub(amount: Decimal | str) -> str:
    """1500.5 -> "1 500,50 руб." (the printer's code page has no ruble sign)."""
    value = Decimal(amount).quantize(Decimal("0.01"))
    whole, frac = f"{value:.2f}".split(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{frac} руб."


def mask_account(account: str, keep: int = 4) -> str:
    """All but the last `keep` characters hidden: 9161234567 -> ******4567."""
    if len(account) <= keep:
        return account
    return "*" * (len(account) - keep) + account[-keep:]


@dataclass(frozen=True)
class Cheque:
    dealer_name: str
    dealer_inn: str
    terminal: str
    address: str
    paid_at: datetime
    txn: str
    cheque_number: str
    provider: str
    account: str
    amount: Decimal
    fee: Decimal
    credited: Decimal
    support_phone: str
    mask_account: bool = False
    offline: bool = False
    not_passed: bool = False  # below the provider's minimum: recorded, but support must act
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def shown_account(self) -> str:
        return mask_account(self.account) if self.mask_account else self.account


def cheque_lines(cheque: Cheque, *, fiscal_note: str | None = None) -> list[Line]:
    """The cheque's printed lines, top to bottom; `fiscal_note` adds a centred bold line at the top."""
    c = cheque
    lines = []
    if fiscal_note:
        lines.append(Line(fiscal_note, bold=True, align="center"))
    lines += [
        Line(c.dealer_name, bold=True, align="center"),
        Line(f"ИНН {c.dealer_inn}", align="center"),
        Line(f"Терминал № {c.terminal}"),
        Line(f"Адрес: {c.address}"),
        Line(f"Дата: {c.paid_at:%d.%m.%Y %H:%M:%S}"),
        Line(f"Транзакция № {c.txn}"),
        Line(f"Чек № {c.cheque_number}"),
        Line(f"Получатель: {c.provider}", bold=True),
        Line(f"Счёт: {c.shown_account}"),
    ]
    lines += [Line(f"{name}: {value}") for name, value in c.fields.items()]
    lines += [
        Line(f"Принято: {rub(c.amount)}", bold=True),
        Line(f"Комиссия: {rub(c.fee)}"),
        Line("К зачислению:", bold=True),
        Line(rub(c.credited), double=True, align="right"),
        Line(f"Телефон поддержки: {c.support_phone}"),
    ]
    if c.not_passed:
        lines.append(Line(NOT_PASSED_LINE, bold=True))
    elif c.offline:
        lines.append(Line(OFFLINE_LINE, bold=True))
    lines.append(Line(KEEP_LINE, align="center"))
    if fiscal_note:
        lines.append(Line(fiscal_note, bold=True, align="center"))
    return lines

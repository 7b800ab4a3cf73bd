"""What goes on the customer's cheque, into the fiscal registrar and on the encashment slip."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..devices.cheque import Cheque, rub
from ..devices.escpos import Line
from ..devices.fiscal import AgentRequisites
from ..store import Payment


def cheque_for(cfg, server_config: dict, payment: Payment) -> Cheque:
    term = server_config.get("terminal", {})
    return Cheque(dealer_name=term.get("dealer", ""), dealer_inn=term.get("dealer_inn", ""),
                  terminal=cfg.terminal, address=term.get("address", ""),
                  paid_at=datetime.fromisoformat(payment.paid_at), txn=payment.txn,
                  cheque_number=f"{cfg.terminal}-{payment.txn}", provider=payment.provider_name,
                  account=payment.account, amount=payment.amount, fee=payment.fee, credited=payment.credited,
                  support_phone=term.get("support_phone", ""), offline=payment.offline,
                  not_passed=payment.not_passed, fields=dict(payment.fields))


def requisites(cfg, server_config: dict, provider: dict | None) -> AgentRequisites:
    """The payment agent (the dealer) and the supplier (the provider) as the FFD tags want them."""
    term = server_config.get("terminal", {})
    provider = provider or {}
    return AgentRequisites(agent_name=term.get("dealer", ""), agent_inn=term.get("dealer_inn", ""),
                           agent_phone=term.get("support_phone", ""), operator_phone=term.get("support_phone", ""),
                           supplier_name=provider.get("legal_name") or provider.get("name", ""),
                           supplier_inn=provider.get("inn", ""), supplier_phone="",
                           machine_number=cfg.terminal, address=term.get("address", ""))


def collection_lines(cfg, server_config: dict, collection: dict) -> list[Line]:
    """The encashment slip: terminal, period, face value x notes = sum, totals, signature lines."""
    term = server_config.get("terminal", {})
    when = datetime.fromisoformat(collection["collected_at"])
    since = datetime.fromisoformat(collection["since"]) if collection.get("since") else None
    lines = [Line("ИНКАССАЦИЯ", bold=True, align="center"), Line(term.get("dealer", ""), align="center"),
             Line(f"Терминал № {cfg.terminal}"), Line(f"Адрес: {term.get('address', '')}"),
             Line(f"Инкассация № {collection['id']}"),
             Line(f"Период: {since:%d.%m.%Y %H:%M} - {when:%d.%m.%Y %H:%M}" if since
                  else f"Дата: {when:%d.%m.%Y %H:%M}")]
    for face, count in collection["by_denomination"].items():
        lines.append(Line(f"{face} x {count} = {rub(Decimal(face) * count)}"))
    lines += [Line(f"Купюр: {collection['notes']}", bold=True), Line(f"Сумма: {rub(collection['amount'])}", bold=True),
              Line(f"Платежей: {collection.get('payments', 0)}"),
              Line("Инкассатор: ____________"), Line("Подпись: ____________")]
    return lines

"""What goes on the customer's cheque and into the fiscal registrar, from a stored payment and /config."""

from __future__ import annotations

from datetime import datetime

from ..devices.cheque import Cheque
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

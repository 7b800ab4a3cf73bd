"""Money on the kiosk: Decimal rubles with kopecks, the fee rule of /config, the time stamps it prints."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")


def rub(value) -> Decimal:
    return Decimal(str(value)).quantize(KOPECK, ROUND_HALF_UP)


def fee_for(rule: dict | None, amount: Decimal) -> Decimal:
    """max(amount * percent / 100 + fixed, minimum), at most the amount, half-up to kopecks (as the server)."""
    if not rule:
        return ZERO
    fee = (amount * Decimal(rule["percent"]) / 100).quantize(KOPECK, ROUND_HALF_UP) + Decimal(rule["fixed"])
    fee = max(fee, Decimal(rule["minimum"]))
    return min(fee.quantize(KOPECK, ROUND_HALF_UP), amount)


def local_now() -> datetime:
    """The kiosk's local time with its offset (what paid_at and the cheque show)."""
    return datetime.now().astimezone()


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")

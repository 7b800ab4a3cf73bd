"""JSON bodies of the terminal API."""

from datetime import UTC
from zoneinfo import ZoneInfo

from django.http import JsonResponse
from django.utils import timezone

from kit.money import fmt

from ..errors import ApiError

_zones: dict[str, ZoneInfo] = {}


def server_time() -> str:
    return timezone.now().astimezone(UTC).isoformat(timespec="seconds")


def error(exc: ApiError) -> JsonResponse:
    return JsonResponse(exc.body(), status=exc.status, json_dumps_params={"ensure_ascii": False})


def ok(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def _zone(name: str):
    zone = _zones.get(name)
    if zone is None:
        try:
            zone = ZoneInfo(name)
        except (ValueError, KeyError, OSError):
            zone = timezone.get_default_timezone()
        _zones[name] = zone
    return zone


def payment(payment, terminal) -> dict:
    """The payment as the terminal sees it, with the cheque it prints (same every time)."""
    dealer = terminal.dealer if payment.dealer_id == terminal.dealer_id else payment.dealer
    provider_name = payment.provider.name if payment.provider_id else payment.provider_code
    paid_at = payment.paid_at.astimezone(_zone(dealer.time_zone)).isoformat()
    body = {
        "id": payment.pk,
        "txn": payment.txn,
        "status": payment.status,
        "amount": fmt(payment.amount),
        "fee": fmt(payment.fee),
        "credited": fmt(payment.credited),
    }
    if payment.reason and payment.status in ("held", "failed", "cancelled"):
        body["reason"] = payment.reason
    if payment.flags:
        body["flags"] = list(payment.flags)
    body["cheque"] = {
        "number": payment.cheque_number,
        "terminal": terminal.number,
        "txn": payment.txn,
        "provider": provider_name,
        "account": payment.account,
        "amount": fmt(payment.amount),
        "fee": fmt(payment.fee),
        "credited": fmt(payment.credited),
        "paid_at": paid_at,
        "dealer": dealer.name,
        "support_phone": dealer.support_phone,
    }
    return body

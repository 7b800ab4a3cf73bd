"""A provider's billing (an ISP) speaking the OSMP/QIWI provider protocol (docs/gateways/provider.md).

We call it directly: see gateways/adapters/provider.py and docs/gateways/provider.md.
`command=check|pay` by GET or POST form; HTTP Basic auth (wrong -> HTTP 401, as a billing
behind Basic auth answers); no message signature, as in the real protocol. `txn_id` is the
idempotency key: a repeated pay answers from the stored payment (same `prv_txn`, nothing
credited twice); a repeated pay with another account or sum answers 300. Anything it
cannot parse answers 300 (or 4 for an empty account), never a server error.
"""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from .base import (
    PENDING_POLLS,
    TRANSIENT_FAILS,
    Magic,
    basic_auth_ok,
    book_pay,
    counter,
    magic,
    state,
    timeout_sleep,
    with_latency,
)
from .models import SimRecord

CODE = "provider"
COMMENTS = {0: "OK", 1: "Временная ошибка, повторите запрос позже", 4: "Неверный формат лицевого счёта",
            5: "Лицевой счёт не найден", 7: "Приём платежа запрещён провайдером", 90: "Платёж в обработке",
            241: "Сумма слишком мала", 242: "Сумма слишком велика", 300: "Другая ошибка провайдера"}


FATAL = {4, 5, 7, 31, 32, 79, 241, 242, 300}  # the billing's definitive declines


class Refused(Exception):
    def __init__(self, result: int, comment: str = ""):
        self.result, self.comment = result, comment


def _reply(txn_id: str, result: int, *, prv_txn: str = "", sum_: str = "", comment: str = "",
           extra_seconds: float = 0.0, fields: dict | None = None) -> HttpResponse:
    root = ET.Element("response")
    for tag, value in (("osmp_txn_id", txn_id), ("prv_txn", prv_txn), ("sum", sum_), ("result", str(result)),
                       ("comment", comment or COMMENTS.get(result, ""))):
        ET.SubElement(root, tag).text = value
    if fields:
        holder = ET.SubElement(root, "fields")
        for i, (name, value) in enumerate(fields.items(), start=1):
            ET.SubElement(holder, f"field{i}", name=name).text = value
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8")
    return with_latency(CODE, HttpResponse(body, content_type="text/xml; charset=utf-8"), extra_seconds)


@csrf_exempt
def billing(request):
    sim = state(CODE)
    if not basic_auth_ok(CODE, request, sim.params.get("login", "")):
        response = HttpResponse("authentication required", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Basic realm="billing"'
        return with_latency(CODE, response)
    allowed = [m.strip().upper() for m in str(sim.params.get("methods", "GET,POST")).split(",") if m.strip()]
    if request.method not in allowed:  # a billing that serves only GET, as many do
        return with_latency(CODE, HttpResponseNotAllowed(allowed), sim=sim)
    q = request.POST if request.method == "POST" else request.GET
    # Validate first, then act: a txn_id cut to fit would pay (and echo) another payment's id.
    txn_id = str(q.get("txn_id", ""))
    modes = _modes(sim.params)
    try:
        if not re.fullmatch(r"[0-9]{1,20}", txn_id):
            raise Refused(300, "txn_id must be a number of up to 20 digits")
        command = q.get("command", "")
        if command not in ("check", "pay"):
            raise Refused(300, "unknown command")
        account = q.get("account", "")
        if not account or len(account) > 64:
            raise Refused(4)
        if not _account_ok(str(sim.params.get("account_format", r"[0-9]{6,10}")), account):
            raise Refused(4)
        try:
            amount = Decimal(q.get("sum", ""))
        except InvalidOperation:
            raise Refused(300, "sum is not a number") from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise Refused(300, "sum must have two decimals")
        if amount < Decimal(str(sim.params.get("min_amount", "1.00"))):
            raise Refused(241)
        if amount > Decimal(str(sim.params.get("max_amount", "50000.00"))):
            raise Refused(242)
        if command == "pay":
            try:
                datetime.strptime(q.get("txn_date", "") + "+0300", "%Y%m%d%H%M%S%z")
            except ValueError:
                raise Refused(300, "txn_date must be YYYYMMDDHHMMSS") from None
    except Refused as exc:
        return _reply(modes.echo(txn_id, exc.result), exc.result, comment=exc.comment)
    sum_ = f"{amount:.2f}"
    if command == "check":
        if magic(account) == Magic.NO_ACCOUNT:
            return _reply(modes.echo(txn_id, 5), 5, sum_=sum_)
        SimRecord.objects.get_or_create(code=CODE, key=txn_id, defaults=dict(
            account=account, amount=amount, state="checked"))
        return _reply(txn_id, 0, sum_=sum_, comment="Абонент найден", fields={"tariff": "Домашний 100"})
    result, rec, extra = _pay(txn_id, account, amount)
    prv_txn = rec.upstream_id if rec and result == 0 and modes.prv_txn else ""
    return _reply(modes.echo(txn_id, result), result, prv_txn=prv_txn, sum_=sum_, extra_seconds=extra)


class _Modes:
    """How this billing writes its replies (params), as real billings differ.

    `decline_echo`: "txn_id" (default) echoes our txn_id on every reply; "empty" leaves
    <osmp_txn_id> empty on a definitive decline (non-zero fatal result), as many billings do.
    `prv_txn`: false for a billing that never sends its own payment id.
    """

    def __init__(self, params: dict):
        self.empty_on_decline = str(params.get("decline_echo", "txn_id")).lower() == "empty"
        self.prv_txn = str(params.get("prv_txn", True)).lower() not in {"false", "0", "no", "off"}

    def echo(self, txn_id: str, result: int) -> str:
        return "" if self.empty_on_decline and result in FATAL else txn_id


def _modes(params: dict) -> _Modes:
    return _Modes(params)


def _account_ok(pattern: str, account: str) -> bool:
    try:
        return re.fullmatch(pattern, account) is not None
    except re.error:  # a broken pattern in the simulator's params: accept, never a 500
        return True


def _pay(txn_id: str, account: str, amount: Decimal) -> tuple[int, SimRecord | None, float]:
    how = magic(account)
    if how == Magic.NO_ACCOUNT:
        return 5, None, 0.0
    with transaction.atomic():
        rec = SimRecord.objects.select_for_update().filter(code=CODE, key=txn_id).first()
        if rec is not None and rec.state != "checked":
            if (rec.account, rec.amount) != (account, amount):
                return 300, None, 0.0
            return _again(rec), rec, 0.0
        if how == Magic.TRANSIENT and counter(CODE, f"transient:{account}") <= TRANSIENT_FAILS:
            return 1, None, 0.0
        new_state = {Magic.DECLINE: "declined", Magic.PENDING: "pending"}.get(how, "paid")
        values = dict(account=account, amount=amount, state=new_state, polls=0)
        rec, won = book_pay(CODE, txn_id, rec, values)
        if not won:  # a concurrent pay with this txn_id won
            return (_code(rec), rec, 0.0) if (rec.account, rec.amount) == (account, amount) else (300, None, 0.0)
        rec.upstream_id = str(9_000_000 + rec.pk)
        rec.save(update_fields=["upstream_id", "updated_at"])
    return _code(rec), rec, (timeout_sleep() if how == Magic.TIMEOUT else 0.0)


def _again(rec: SimRecord) -> int:
    """A repeated pay is this protocol's status query: a pending payment advances here."""
    if rec.state == "pending":
        rec.polls += 1
        if rec.polls > PENDING_POLLS:
            rec.state = "paid"
        rec.save(update_fields=["polls", "state", "updated_at"])
    return _code(rec)


def _code(rec: SimRecord) -> int:
    return {"paid": 0, "pending": 90, "declined": 7}[rec.state]


urlpatterns = [
    path("", billing, name="sim-provider"),
]

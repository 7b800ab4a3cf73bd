"""ComePay simulator: OUR ASSUMED agent API (ComePay publishes none), QIWI-style codes.

See gateways/adapters/comepay.py and docs/gateways/comepay.md. Auth: HTTP Basic (login
from the simulator's params, the gateway's password) and the RSA-SHA256 body signature in
`X-ComePay-Sign`; either wrong -> result_code 150. Replies are signed with the
simulator's own key. Anything it cannot parse -> result_code 5 ("invalid parameters").
"""

import base64
import binascii
import json
import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from ..keys import rsa_sign, rsa_verify
from .base import (
    TRANSIENT_FAILS,
    Magic,
    basic_auth_ok,
    book_pay,
    book_status,
    counter,
    magic,
    state,
    timeout_sleep,
    with_latency,
)
from .models import SimRecord

CODE = "comepay"
DESCRIPTIONS = {0: "OK", 5: "invalid parameters", 13: "server busy", 150: "authentication failed",
                210: "payment not found", 215: "txn_id already used with other parameters",
                241: "amount too small", 242: "amount too large", 298: "account not found", 300: "server error"}


class Refused(Exception):
    def __init__(self, code: int, detail: str = ""):
        self.code, self.detail = code, detail


def _reply(sim, code: int, extra_seconds: float = 0.0, **data) -> HttpResponse:
    payload = {"response": {"result_code": code, "description": data.pop("description", DESCRIPTIONS.get(code, "")),
                            **data}}
    body = json.dumps(payload, ensure_ascii=False).encode()
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    if sim.private_key:
        response["X-ComePay-Sign"] = base64.b64encode(rsa_sign(sim.private_key, body, "sha256")).decode()
    return with_latency(CODE, response, extra_seconds)


@csrf_exempt
def agent(request, op: str):
    sim = state(CODE)
    try:
        if request.method != "POST" or op not in ("check", "pay", "status"):
            raise Refused(5, "POST a JSON body to check, pay or status")
        try:
            signature = base64.b64decode(request.headers.get("X-ComePay-Sign", ""), validate=True)
        except (binascii.Error, ValueError):
            signature = b""
        if not basic_auth_ok(CODE, request, sim.params.get("login", "")):
            raise Refused(150, "bad login or password")
        if not (signature and sim.peer_public_key and rsa_verify(sim.peer_public_key, signature, request.body)):
            raise Refused(150, "signature does not verify")
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise Refused(5, "a JSON object is expected")
        txn_id = str(data.get("txn_id", ""))
        if not re.fullmatch(r"[0-9]{1,20}", txn_id):
            raise Refused(5, "txn_id must be digits")
        fields = _fields(data) if op != "status" else {}
    except Refused as exc:
        return _reply(sim, exc.code, description=exc.detail or DESCRIPTIONS[exc.code])
    except (ValueError, TypeError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return _reply(sim, 5, description="malformed request")
    if op == "check":
        code, data, extra = *_check(txn_id, fields), 0.0
    elif op == "pay":
        code, data, extra = _pay(txn_id, fields)
    else:
        code, data, extra = *_status(txn_id), 0.0
    return _reply(sim, code, extra, txn_id=txn_id, **data)


def _fields(data: dict) -> dict:
    try:
        amount, amount_all = Decimal(str(data.get("amount", ""))), Decimal(str(data.get("amount_all", "")))
    except InvalidOperation:
        raise Refused(5, "amount is not a number") from None
    account, service = str(data.get("account") or ""), str(data.get("service") or "")
    if not account or len(account) > 64 or not service or not amount.is_finite() or not amount_all.is_finite():
        raise Refused(5, "account, service or amount missing")
    if amount <= 0 or amount > amount_all:
        raise Refused(241)
    if amount > Decimal(str(state(CODE).params.get("max_amount", "100000"))):
        raise Refused(242)
    return {"account": account, "service": service, "amount": amount.quantize(Decimal("0.01")),
            "amount_all": amount_all.quantize(Decimal("0.01"))}


def _check(txn_id: str, fields: dict) -> tuple[int, dict]:
    if magic(fields["account"]) == Magic.NO_ACCOUNT:
        return 298, {}
    SimRecord.objects.get_or_create(code=CODE, key=txn_id, defaults=dict(
        account=fields["account"], amount=fields["amount"], amount_all=fields["amount_all"], state="checked",
        data={"service": fields["service"]}))
    return 0, {"description": f"account {fields['account']}: payments accepted"}


def _same(rec: SimRecord, fields: dict) -> bool:
    return (rec.account, rec.amount, rec.amount_all, rec.data.get("service")) == (
        fields["account"], fields["amount"], fields["amount_all"], fields["service"])


def _pay(txn_id: str, fields: dict) -> tuple[int, dict, float]:
    how = magic(fields["account"])
    if how == Magic.NO_ACCOUNT:
        return 298, {}, 0.0
    with transaction.atomic():
        rec = SimRecord.objects.select_for_update().filter(code=CODE, key=txn_id).first()
        if rec is not None and rec.state != "checked":
            return (*_payment(rec), 0.0) if _same(rec, fields) else (215, {}, 0.0)
        if how == Magic.TRANSIENT and counter(CODE, f"transient:{fields['account']}") <= TRANSIENT_FAILS:
            return 13, {}, 0.0
        new_state = {Magic.DECLINE: "declined", Magic.PENDING: "pending"}.get(how, "paid")
        values = dict(account=fields["account"], amount=fields["amount"], amount_all=fields["amount_all"],
                      state=new_state, polls=0, data={"service": fields["service"]})
        rec, won = book_pay(CODE, txn_id, rec, values)
        if not won:  # a concurrent pay with this txn_id won
            return (*_payment(rec), 0.0) if _same(rec, fields) else (215, {}, 0.0)
        rec.upstream_id = str(5_000_000_000 + rec.pk)
        rec.save(update_fields=["upstream_id", "updated_at"])
    return (*_payment(rec), timeout_sleep() if how == Magic.TIMEOUT else 0.0)


def _status(txn_id: str) -> tuple[int, dict]:
    rec = book_status(CODE, txn_id)
    if rec is None:
        return 210, {}
    return _payment(rec)


def _payment(rec: SimRecord) -> tuple[int, dict]:
    status = {"paid": "paid", "declined": "rejected", "pending": "pending"}[rec.state]
    data = {"payment_id": rec.upstream_id, "status": status, "amount": f"{rec.amount:.2f}",
            "account": rec.account}
    if rec.state == "declined":
        data["description"] = "rejected by the provider"
    return 0, data


urlpatterns = [
    path("api/agent/v1/<str:op>", agent, name="sim-comepay"),
]

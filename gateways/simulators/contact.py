"""Contact simulator: Contact's real envelope with INVENTED payment actions and RE codes.

See gateways/adapters/contact.py and docs/gateways/contact.md for what is Contact's and
what is ours. Unlike the real server in the 2020 HackerOne report, it refuses unsigned
requests (RE 302) whatever `ExpectSigned` says. Replies are windows-1251 and signed in
`X-Contact-Sign` with the simulator's key.
"""

import base64
import binascii
import re
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring as parse_xml
from django.db import transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from ..keys import rsa_sign, rsa_verify
from .base import (
    TRANSIENT_FAILS,
    Magic,
    book_pay,
    book_status,
    counter,
    magic,
    state,
    timeout_sleep,
    with_latency,
)
from .models import SimRecord

CODE = "contact"
ENCODING = "windows-1251"
ACTIONS = ("Check", "Pay", "GetState")
TEXTS = {
    0: "", 101: "Сервис временно недоступен", 102: "Платёж с таким REQUEST_ID не зарегистрирован",
    201: "Лицевой счёт не найден", 202: "Сумма вне допустимого диапазона", 203: "Платёж отклонён получателем",
    301: "Неверный формат запроса", 302: "Неверная подпись или запрос не подписан",
    303: "Неизвестная точка или ПО", 304: "REQUEST_ID уже использован с другими параметрами",
    305: "Неизвестная услуга",
}


class Refused(Exception):
    def __init__(self, re_code: int, detail: str = ""):
        self.re_code, self.detail = re_code, detail


def _reply(sim, attrs: dict, extra_seconds: float = 0.0) -> HttpResponse:
    re_code = int(attrs.get("RE", 0))
    full = {"RE": str(re_code), "ERR_TEXT": attrs.pop("ERR_TEXT", TEXTS.get(re_code, "")),
            "VIEW_ERR_TEXT": TEXTS.get(re_code, ""), **{k: v for k, v in attrs.items() if k != "RE"}}
    body = ET.tostring(ET.Element("RESPONSE", full), encoding=ENCODING, xml_declaration=True)
    response = HttpResponse(body, content_type=f"text/xml; charset={ENCODING}")
    if sim.private_key:
        response["X-Contact-Sign"] = base64.b64encode(rsa_sign(sim.private_key, body, "sha256")).decode()
        response["X-Contact-Key-Id"] = "CONTACT-SIM"
    return with_latency(CODE, response, extra_seconds)


def _verify(sim, request) -> None:
    expected_key = str(sim.params.get("key_id") or sim.params.get("point_code", ""))
    try:
        signature = base64.b64decode(request.headers.get("X-Contact-Sign", ""), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if not signature or not sim.peer_public_key:
        raise Refused(302, "unsigned request")
    if request.headers.get("X-Contact-Key-Id", "") != expected_key:
        raise Refused(302, "unknown key id")
    if not rsa_verify(sim.peer_public_key, signature, request.body, "sha256"):
        raise Refused(302, "signature does not verify")


@csrf_exempt
def gateway(request):
    sim = state(CODE)
    try:
        if request.method != "POST":
            raise Refused(301, "POST a REQUEST")
        _verify(sim, request)
        root = parse_xml(request.body)
        if root.tag != "REQUEST" or root.get("OBJECT_CLASS") != "TPayObject" or root.get("ACTION") not in ACTIONS:
            raise Refused(301, "unknown OBJECT_CLASS or ACTION")
        point, soft = sim.params.get("point_code"), sim.params.get("int_soft_id")
        if (point and root.get("POINT_CODE") != point) or (soft and root.get("INT_SOFT_ID") != soft):
            raise Refused(303, "unknown point")
        rid = root.get("REQUEST_ID") or ""
        if not re.fullmatch(r"[0-9]{1,20}", rid):
            raise Refused(301, "REQUEST_ID must be digits")
        action = root.get("ACTION")
        fields = _fields(root) if action != "GetState" else {}
    except Refused as exc:
        return _reply(sim, {"RE": exc.re_code, "ERR_TEXT": exc.detail or TEXTS.get(exc.re_code, "")})
    except (ET.ParseError, ValueError, TypeError):
        return _reply(sim, {"RE": 301, "ERR_TEXT": "malformed request"})
    if action == "Check":
        attrs, extra = _check(rid, fields), 0.0
    elif action == "Pay":
        attrs, extra = _pay(rid, fields)
    else:
        attrs, extra = _get_state(rid), 0.0
    return _reply(sim, {**attrs, "REQUEST_ID": rid}, extra)


def _fields(root: ET.Element) -> dict:
    def text(tag):
        return (root.findtext(tag) or "").strip()

    try:
        amount, amount_all = Decimal(text("trnAmount")), Decimal(text("trnAmountAll"))
    except InvalidOperation:
        raise Refused(301, "amount is not a number") from None
    account, service = text("trnAccount"), text("trnService")
    if not account or len(account) > 64 or not amount.is_finite() or not amount_all.is_finite():
        raise Refused(301, "account or amount malformed")
    if not service:
        raise Refused(305)
    if amount <= 0 or amount > amount_all or amount > Decimal(str(state(CODE).params.get("max_amount", "100000"))):
        raise Refused(202)
    return {"account": account, "service": service, "amount": amount.quantize(Decimal("0.01")),
            "amount_all": amount_all.quantize(Decimal("0.01"))}


def _check(rid: str, fields: dict) -> dict:
    if magic(fields["account"]) == Magic.NO_ACCOUNT:
        return {"RE": 201}
    SimRecord.objects.get_or_create(code=CODE, key=rid, defaults=dict(
        account=fields["account"], amount=fields["amount"], amount_all=fields["amount_all"], state="checked",
        data={"service": fields["service"]}))
    return {"RE": 0, "VIEW_ERR_TEXT": f"Лицевой счёт {fields['account']}: оплата принимается"}


def _same(rec: SimRecord, fields: dict) -> bool:
    return (rec.account, rec.amount, rec.amount_all, rec.data.get("service")) == (
        fields["account"], fields["amount"], fields["amount_all"], fields["service"])


def _pay(rid: str, fields: dict) -> tuple[dict, float]:
    how = magic(fields["account"])
    if how == Magic.NO_ACCOUNT:
        return {"RE": 201}, 0.0
    with transaction.atomic():
        rec = SimRecord.objects.select_for_update().filter(code=CODE, key=rid).first()
        if rec is not None and rec.state != "checked":
            return (_state_attrs(rec) if _same(rec, fields) else {"RE": 304}), 0.0
        if how == Magic.TRANSIENT and counter(CODE, f"transient:{fields['account']}") <= TRANSIENT_FAILS:
            return {"RE": 101}, 0.0
        new_state = {Magic.DECLINE: "declined", Magic.PENDING: "pending"}.get(how, "paid")
        values = dict(account=fields["account"], amount=fields["amount"], amount_all=fields["amount_all"],
                      state=new_state, polls=0, data={"service": fields["service"]})
        rec, won = book_pay(CODE, rid, rec, values)
        if not won:  # a concurrent Pay with this REQUEST_ID won
            return (_state_attrs(rec) if _same(rec, fields) else {"RE": 304}), 0.0
        rec.upstream_id = f"KIT{rec.pk:09d}"
        rec.save(update_fields=["upstream_id", "updated_at"])
    if rec.state == "declined":
        return {"RE": 203, "ID": rec.upstream_id, "STATE": "REJECTED"}, 0.0
    return _state_attrs(rec), (timeout_sleep() if how == Magic.TIMEOUT else 0.0)


def _get_state(rid: str) -> dict:
    rec = book_status(CODE, rid)
    if rec is None:
        return {"RE": 102}
    return _state_attrs(rec)


def _state_attrs(rec: SimRecord) -> dict:
    st = {"paid": "PAID", "declined": "REJECTED", "pending": "PROCESSING" if rec.polls else "ACCEPTED"}[rec.state]
    attrs = {"RE": 0, "ID": rec.upstream_id, "STATE": st}
    if rec.state == "declined":
        attrs["ERR_TEXT"] = TEXTS[203]
    return attrs


urlpatterns = [
    path("", gateway, name="sim-contact"),
]

"""OSMP / QIWI simulator: the dealer XML protocol with the documented status semantics.

See gateways/adapters/osmp.py and docs/gateways/osmp.md. Statuses used: -1 not
registered, 50 accepted / 52 crediting (pending), 60 success, 150 declined. The same
`payment/@id` with the same parameters returns the stored payment; with other parameters,
result 215. Request-level errors: 150 (auth: login, key or signature), 300 (anything it
cannot parse). Replies are signed with the simulator's own key (our addition).

Authentication as configured (`params["auth"]`): `md5` (the default, as the public xmlgate
clients do it) wants `<auth login sign signAlg="MD5"/>` with `sign` the hex MD5 of the
password the simulator issued; `rsa` wants `X-Digital-Sign` over the raw body, verified with
our public key. Either way only what the simulated gateway itself holds is consulted.
"""

import base64
import binascii
import hashlib
import hmac
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

CODE = "osmp"
ALGS = {"SHA256withRSA": "sha256", "SHA1withRSA": "sha1"}
OPERATIONS = ("checkPaymentRequisites", "addOfflinePayment", "getPaymentStatus")


class Refused(Exception):
    def __init__(self, result: int, text: str):
        self.result, self.text = result, text


def _reply(sim, root: ET.Element, extra_seconds: float = 0.0) -> HttpResponse:
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")
    response = HttpResponse(body, content_type="text/xml; charset=utf-8")
    if sim.private_key:
        response["X-Digital-Sign"] = base64.b64encode(rsa_sign(sim.private_key, body, "sha256")).decode()
        response["X-Digital-Sign-Alg"] = "SHA256withRSA"
    return with_latency(CODE, response, extra_seconds)


def _request_error(sim, code: int, text: str) -> HttpResponse:
    fatal = "true" if code in (150, 339) else "false"
    return _reply(sim, ET.Element("response", {"result": str(code), "result-description": text, "fatal": fatal}))


def _verify(sim, request) -> None:
    alg = ALGS.get(request.headers.get("X-Digital-Sign-Alg", ""))
    try:
        signature = base64.b64decode(request.headers.get("X-Digital-Sign", ""), validate=True)
    except (binascii.Error, ValueError):
        signature = b""
    if not (alg and signature and sim.peer_public_key
            and rsa_verify(sim.peer_public_key, signature, request.body, alg)):
        raise Refused(150, "signature does not verify")


def _verify_password_sign(sim, auth: ET.Element | None) -> None:
    """The in-document credential: sign = hex MD5 of the password this gateway issued."""
    issued = str(sim.params.get("password") or "")
    sign = (auth.get("sign") if auth is not None else None) or ""
    alg = (auth.get("signAlg") if auth is not None else None) or ""
    expected = hashlib.md5(issued.encode("utf-8"), usedforsecurity=False).hexdigest()
    if not (issued and alg.upper() == "MD5" and hmac.compare_digest(sign.lower().encode(), expected.encode())):
        raise Refused(150, "login or sign does not match")


@csrf_exempt
def xmlgate(request):
    sim = state(CODE)
    if request.method != "POST":
        return _request_error(sim, 300, "POST an XML request")
    auth_mode = sim.params.get("auth") or "md5"
    try:
        if auth_mode == "rsa":
            _verify(sim, request)
        root = parse_xml(request.body)
        auth = root.find("auth")
        login = (auth.get("login") if auth is not None else None) or ""
        expected = sim.params.get("login")
        if expected and login != expected:
            raise Refused(150, "unknown login")
        if auth_mode != "rsa":
            _verify_password_sign(sim, auth)
        ops = root.find("providers")
        op = ops[0] if ops is not None and len(ops) else None
        if op is None or op.tag not in OPERATIONS:
            raise Refused(300, "unknown operation")
        payment = op.find("payment")
        if payment is None or not (payment.get("id") or "").isdigit() or len(payment.get("id")) > 20:
            raise Refused(300, "payment id missing or not a number of up to 20 digits")
        fields = {} if op.tag == "getPaymentStatus" else _fields(payment)
    except Refused as exc:
        return _request_error(sim, exc.result, exc.text)
    except (ET.ParseError, AttributeError, TypeError, ValueError):
        return _request_error(sim, 300, "malformed request")
    if op.tag == "checkPaymentRequisites":
        attrs, extra = _check(payment.get("id"), fields)
    elif op.tag == "addOfflinePayment":
        attrs, extra = _pay(payment.get("id"), fields)
    else:
        attrs, extra = _status(payment.get("id")), 0.0
    root = ET.Element("response", {"result": "0", "result-description": "OK"})
    holder = ET.SubElement(ET.SubElement(root, "providers"), op.tag, {"result": "0"})
    out = ET.SubElement(holder, "payment", {"id": payment.get("id"), **attrs})
    if op.tag == "checkPaymentRequisites" and attrs.get("result") == "0":
        ET.SubElement(out, "extras", {"disp1": f"Счёт {fields['account']}", "disp2": "Оплата принимается"})
    return _reply(sim, root, extra)


def _fields(payment: ET.Element) -> dict:
    src, dst = payment.find("from"), payment.find("to")
    if src is None or dst is None:
        raise Refused(300, "from and to are required")
    try:
        amount_all, amount = Decimal(src.get("amount", "")), Decimal(dst.get("amount", ""))
    except InvalidOperation:
        raise Refused(300, "amount is not a number") from None
    account, service = dst.get("account") or "", dst.get("service") or ""
    if not account or len(account) > 64 or not amount.is_finite() or not amount_all.is_finite():
        raise Refused(300, "account or amount malformed")
    if not service.isdigit():
        return {"bad_service": True, "account": account}
    return {"account": account, "service": service, "amount": amount.quantize(Decimal("0.01")),
            "amount_all": amount_all.quantize(Decimal("0.01"))}


def _limits(fields: dict) -> dict | None:
    if fields.get("bad_service"):
        return {"result": "155", "fatal": "true", "result-description": "unknown service"}
    if fields["amount"] <= 0 or fields["amount"] > fields["amount_all"]:
        return {"result": "241", "fatal": "true", "result-description": "amount too small"}
    if fields["amount"] > Decimal(str(state(CODE).params.get("max_amount", "100000.00"))):
        return {"result": "242", "fatal": "true", "result-description": "amount too large"}
    return None


def _check(pid: str, fields: dict) -> tuple[dict, float]:
    refused = _limits(fields)
    if refused:
        return refused, 0.0
    if magic(fields["account"]) == Magic.NO_ACCOUNT:
        return {"result": "298", "fatal": "true", "result-description": "account not found"}, 0.0
    rec, _ = SimRecord.objects.get_or_create(code=CODE, key=pid, defaults=dict(
        account=fields["account"], amount=fields["amount"], amount_all=fields["amount_all"], state="checked",
        data={"service": fields["service"]}))
    return {"result": "0", "fatal": "false"}, 0.0


def _same(rec: SimRecord, fields: dict) -> bool:
    return (rec.account == fields["account"] and rec.amount == fields["amount"]
            and rec.amount_all == fields["amount_all"] and rec.data.get("service") == fields["service"])


def _pay(pid: str, fields: dict) -> tuple[dict, float]:
    refused = _limits(fields)
    if refused:
        return refused, 0.0
    how = magic(fields["account"])
    if how == Magic.NO_ACCOUNT:
        return {"result": "298", "fatal": "true", "result-description": "account not found"}, 0.0
    with transaction.atomic():
        rec = SimRecord.objects.select_for_update().filter(code=CODE, key=pid).first()
        if rec is not None and rec.state != "checked":
            if not _same(rec, fields):
                return {"result": "215", "fatal": "true",
                        "result-description": "id already used with other parameters"}, 0.0
            return _payment_attrs(rec), 0.0
        if how == Magic.TRANSIENT and counter(CODE, f"transient:{fields['account']}") <= TRANSIENT_FAILS:
            return {"result": "0", "status": "-1", "fatal": "false", "final-status": "false",
                    "result-description": "not registered, try again"}, 0.0
        new_state = {Magic.DECLINE: "declined", Magic.PENDING: "pending"}.get(how, "paid")
        values = dict(account=fields["account"], amount=fields["amount"], amount_all=fields["amount_all"],
                      state=new_state, polls=0, data={"service": fields["service"]})
        rec, won = book_pay(CODE, pid, rec, values)
        if not won:  # a concurrent pay with this id won: answer with its payment
            return (_payment_attrs(rec), 0.0) if _same(rec, fields) else (
                {"result": "215", "fatal": "true", "result-description": "id already used"}, 0.0)
        rec.upstream_id = str(7_000_000_000 + rec.pk)
        rec.save(update_fields=["upstream_id", "updated_at"])
    return _payment_attrs(rec), (timeout_sleep() if how == Magic.TIMEOUT else 0.0)


def _status(pid: str) -> dict:
    rec = book_status(CODE, pid)
    if rec is None:
        return {"result": "0", "status": "-1", "fatal": "false", "final-status": "false",
                "result-description": "payment not registered"}
    return _payment_attrs(rec)


def _payment_attrs(rec: SimRecord) -> dict:
    status = {"paid": "60", "declined": "150", "pending": "52" if rec.polls else "50"}[rec.state]
    final = rec.state in ("paid", "declined")
    return {"result": "0", "status": status, "uid": rec.upstream_id, "fatal": "true" if rec.state == "declined"
            else "false", "final-status": "true" if final else "false",
            "date": rec.created_at.strftime("%d.%m.%Y %H:%M:%S")}


urlpatterns = [
    path("xmlutf.jsp", xmlgate, name="sim-osmp"),
]

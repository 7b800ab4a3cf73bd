"""CyberPlat simulator: the agent protocol of gateways/adapters/cyberplat.py, served at
/sim/cyberplat/cgi-bin/<gw>/<gw>_pay_check.cgi, _pay.cgi, _pay_status.cgi.

It has its own key pair (SimulatorState "cyberplat": private_key; peer_public_key is
ours), verifies every request's signature (ERROR=6; an unknown key serial 134), checks
SD/AP/OP against its params (2/3/4) and signs every reply with the hash the request
used. It keeps its own book in SimRecord (key = SESSION; state checked / pending / paid
/ declined; upstream_id = the 13-digit TRANSID) so tests can count what it really took.

Codes it reproduces: 1 session reused at check; 5 bad session; 7 bad amount; 8 bad
number; 10 unreadable request; 11 status or pay of an unknown session; 17/18/19 pay
differs from its check (number / amount / account); 20 pay accepted, being completed
(0003); 21 dealer balance too low (params "balance" set and exceeded); 23 no such account
(0005 at check, 0001 at pay); 30 general error at check (0004, twice per account); 32
same data within the hour (0007); 34 status of an unknown TRANSID; 36 pay again on a
session already paid or in progress; 37 pay through another <gw> than the check; 38 more
than an hour between check and pay; 45 no licence (0006, at check). See
docs/gateways/cyberplat.md.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, unquote_to_bytes
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound
from django.urls import re_path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .. import ipriv
from .base import PENDING_POLLS, TRANSIENT_FAILS, Magic, counter, magic, state, timeout_sleep, with_latency
from .models import SimRecord

CODE = "cyberplat"
MOSCOW = ZoneInfo("Europe/Moscow")
MAX_SIGNATURE_AGE = 600          # seconds: older (or future) request signatures are refused (ours)
CHECK_TO_PAY = timedelta(hours=1)
TRANSID_BASE = 1_000_000_000_000  # TRANSID = base + record id: 13 digits
KEY_NAME = "KITSIM"

_SESSION = re.compile(r"^[A-Za-z0-9]{1,20}$")
# Real clients send AMOUNT=200 as well as 200.00: decimals are optional, as upstream.
_AMOUNT = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
_NUMBER = re.compile(r"^[0-9A-Za-z]{1,20}$")
_OPS = {"pay_check": "check", "pay": "pay", "pay_status": "status"}


# The simulated CyberPlat's own texts for the codes it answers. Its own table, not our
# adapter's: a mistake in the adapter's table must not be "confirmed" by the simulator.
ERRMSG = {
    1: "Сессия с таким номером уже существует", 2: "Неверный код дилера", 3: "Неверный код точки приёма",
    4: "Неверный код оператора", 5: "Неверный формат кода сессии", 6: "Неверная ЭЦП",
    7: "Неверная сумма платежа", 8: "Неверный формат номера телефона", 9: "Неверный формат номера счёта",
    10: "Неверный формат документа", 11: "Сессия с таким номером не существует",
    17: "Номер телефона не соответствует введённому ранее", 18: "Сумма платежа не соответствует введённой ранее",
    19: "Номер счёта не соответствует введённому ранее", 20: "Платёж находится в стадии завершения",
    21: "Недостаточно средств для проведения платежа", 23: "Неверный номер телефона (счёта)",
    30: "Общая ошибка системы", 32: "Повторный платёж в течение часа", 34: "Транзакция с таким номером не найдена",
    36: "Транзакция уже завершена или находится в обработке", 37: "Шлюз отличается от предыдущего шага",
    38: "Прошло более часа между проверкой и платежом", 45: "Нет лицензии на приём платежей в пользу получателя",
    85: "Неверная полная сумма платежа", 134: "Открытый ключ точки не найден",
}


class Refused(Exception):
    """A request answered with an error code (and RESULT=1)."""

    def __init__(self, error: int, fields: dict | None = None):
        self.error, self.fields = error, fields or {}


def _serial(params: dict, name: str) -> int:
    try:
        return int(str(params.get(name) or params.get("key_serial") or 0))
    except ValueError:
        return 0


def _reply(sim, session: str, error: int, fields: dict | None = None, *, hash_algo: int = ipriv.HASH_MD5,
           extra_seconds: float = 0.0) -> HttpResponse:
    """A signed reply; `fields` follow DATE, SESSION, ERROR (RESULT is the caller's)."""
    body_fields = {"DATE": timezone.now().astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M:%S"), "SESSION": session,
                   "ERROR": str(error)}
    if error and "ERRMSG" not in (fields or {}):
        body_fields["ERRMSG"] = ERRMSG.get(error, "Ошибка")
    body_fields.update(fields or {})
    body = ipriv.body_encode({k: v for k, v in body_fields.items()})
    document = ipriv.sign(body, private_pem=sim.private_key, serial=_serial(sim.params, "peer_key_serial"),
                          name=KEY_NAME, hash_algo=hash_algo)
    response = HttpResponse(document, content_type="text/plain; charset=windows-1251")
    return with_latency(CODE, response, extra_seconds, sim=sim)


def _inputmessage(request) -> bytes | None:
    """The raw bytes of `inputmessage` (windows-1251 inside; percent-decoded by hand so
    Django's UTF-8 form decoding never mangles them)."""
    raw = request.body if request.method == "POST" else request.META.get("QUERY_STRING", "").encode("latin-1")
    try:
        text = raw.decode("latin-1")
        for key, value in parse_qsl(text, keep_blank_values=True, encoding="latin-1", max_num_fields=10):
            if key == "inputmessage":
                return value.encode("latin-1")
    except ValueError:
        return None
    return None


@csrf_exempt
def cgi(request, gw: str, script: str, suffix: str = ""):
    op = _OPS.get(script)
    if op is None:
        return HttpResponseNotFound("no such script\n", content_type="text/plain")
    if request.method not in ("POST", "GET"):
        return HttpResponseNotAllowed(["POST", "GET"])
    sim = state(CODE)
    if not sim.private_key or not sim.peer_public_key:
        return HttpResponse("simulator not provisioned\n", status=503, content_type="text/plain")
    message = _inputmessage(request)
    if not message:
        return _reply(sim, "", 10, {"RESULT": "1"})
    try:
        ipriv.parse(message)
    except ipriv.IPrivError:
        return _reply(sim, "", 10, {"RESULT": "1"})
    try:
        doc = ipriv.verify(message, public_pem=sim.peer_public_key,
                           hash_algos=(ipriv.HASH_MD5, ipriv.HASH_SHA256), max_age=MAX_SIGNATURE_AGE)
    except ipriv.IPrivError:
        return _reply(sim, "", 6, {"RESULT": "1"})
    fields = {k: unquote_to_bytes(v.encode(ipriv.ENCODING, "replace")).decode(ipriv.ENCODING, "replace")
              for k, v in ipriv.body_decode(doc.body).items()}
    # As the vendor's server: the reply's hash is what ACCEPT_KEYS asks for ("<serial>-sha256"),
    # not the hash the request happened to be signed with.
    sha256 = fields.get("ACCEPT_KEYS", "").lower().endswith("-sha256")
    hash_algo = ipriv.HASH_SHA256 if sha256 else ipriv.HASH_MD5
    session = fields.get("SESSION", "")
    expected = _serial(sim.params, "key_serial")
    if expected and doc.subject.serial != expected:
        return _reply(sim, session, 134, {"RESULT": "1"}, hash_algo=hash_algo)
    try:
        if op == "status":
            result, extra = _status(fields)
        else:
            _dealer(sim.params, fields)
            result, extra = (_check if op == "check" else _pay)(sim.params, gw, fields)
    except Refused as refused:
        return _reply(sim, session, refused.error, {"RESULT": "1", **refused.fields}, hash_algo=hash_algo)
    error = int(result.pop("ERROR", 0))
    return _reply(sim, session, error, result, hash_algo=hash_algo, extra_seconds=extra)


def _dealer(params: dict, fields: dict) -> None:
    for name, error in (("SD", 2), ("AP", 3), ("OP", 4)):
        if params.get(name) and fields.get(name) != str(params[name]):
            raise Refused(error)
    if not _SESSION.match(fields.get("SESSION", "")):
        raise Refused(5)
    # NUMBER may be empty when ACCOUNT carries the account, as real clients send it.
    if not _NUMBER.match(fields.get("NUMBER", "")) and not (fields.get("NUMBER", "") == "" and fields.get("ACCOUNT")):
        raise Refused(8)
    if not _AMOUNT.match(fields.get("AMOUNT", "")):
        raise Refused(7)
    if not _AMOUNT.match(fields.get("AMOUNT_ALL", "")) or Decimal(fields["AMOUNT_ALL"]) < Decimal(fields["AMOUNT"]):
        raise Refused(85)
    if Decimal(fields["AMOUNT"]) <= 0:
        raise Refused(7)


def _balance_ok(params: dict, amount: Decimal) -> bool:
    """params["balance"]: the dealer's deposit at the simulator; unset means unlimited."""
    if not params.get("balance"):
        return True
    spent = (SimRecord.objects.filter(code=CODE, state__in=("paid", "pending"))
             .aggregate(s=Sum("amount"))["s"] or Decimal("0"))
    return spent + amount <= Decimal(str(params["balance"]))


def _target(fields: dict) -> str:
    """The account a request is about: NUMBER, or ACCOUNT when NUMBER is empty."""
    return fields.get("NUMBER") or fields.get("ACCOUNT", "")


def _check(params: dict, gw: str, fields: dict) -> tuple[dict, float]:
    session, number = fields["SESSION"], _target(fields)
    # Fast path only: the unique (code, key) constraint below is what makes 1 race-proof.
    if SimRecord.objects.filter(code=CODE, key=session).exists():
        raise Refused(1)
    rule = magic(number)
    error = 0
    if rule == Magic.TRANSIENT and counter(CODE, f"transient:{number}") <= TRANSIENT_FAILS:
        raise Refused(30)  # not registered: the session stays free, as after any failed check
    if rule == Magic.NO_ACCOUNT:
        error = 23
    elif rule == Magic.REROUTE:
        error = 45
    elif not _balance_ok(params, Decimal(fields["AMOUNT"])):
        raise Refused(21)
    data = {"gw": gw, "number": number, "account": fields.get("ACCOUNT", ""), "check_error": error}
    try:
        with transaction.atomic():
            SimRecord.objects.create(code=CODE, key=session, account=number, amount=Decimal(fields["AMOUNT"]),
                                     amount_all=Decimal(fields["AMOUNT_ALL"]), state="checked", data=data)
    except IntegrityError:
        raise Refused(1) from None
    if error:
        raise Refused(error)
    return {"RESULT": "0", "OPNAME": "KIT simulator", "ACCOUNT": fields.get("ACCOUNT", ""), "AUTHCODE": "",
            "TRANSID": "", "ADDINFO": f"Платёж на номер {number} принят к проверке", "REST": "9999999.00",
            "GATEWAY_IN": "1", "GATEWAY_OUT": "1"}, 0.0


def _pay(params: dict, gw: str, fields: dict) -> tuple[dict, float]:
    session, number = fields["SESSION"], _target(fields)
    amount, amount_all = Decimal(fields["AMOUNT"]), Decimal(fields["AMOUNT_ALL"])
    with transaction.atomic():
        rec = SimRecord.objects.select_for_update().filter(code=CODE, key=session).first()
        if rec is None:
            raise Refused(11)
        if rec.data.get("check_error"):
            raise Refused(int(rec.data["check_error"]))
        if rec.state in ("paid", "pending", "declined"):
            # The same pay again: the payment is finished or in processing. Nothing new is taken.
            raise Refused(36, {"TRANSID": rec.upstream_id})
        if number != rec.data.get("number"):
            raise Refused(17)
        if amount != rec.amount or amount_all != rec.amount_all:
            raise Refused(18)
        if fields.get("ACCOUNT", "") != rec.data.get("account", ""):
            raise Refused(19)
        if gw != rec.data.get("gw"):
            raise Refused(37)
        if timezone.now() - rec.created_at > CHECK_TO_PAY:
            raise Refused(38)
        rule = magic(number)
        rec.upstream_id = str(TRANSID_BASE + rec.pk)
        rec.data = {**rec.data, "paid_via": gw}
        if rule == Magic.DECLINE:
            rec.state, error = "declined", 23
            rec.data["error"] = 23
        elif rule == Magic.PENDING:
            rec.state, error = "pending", 20
        elif rule == Magic.DUPLICATE:
            rec.state, error = "paid", 32
        else:
            rec.state, error = "paid", 0
        rec.save(update_fields=["state", "upstream_id", "data", "updated_at"])
    if error == 23:
        raise Refused(23)
    reply = {"ERROR": error, "RESULT": "0" if error == 0 else "1", "TRANSID": rec.upstream_id,
             "AUTHCODE": rec.upstream_id[-6:] if error == 0 else "", "GATEWAY_IN": "1", "GATEWAY_OUT": "1"}
    # 0002: the payment is taken and recorded above; only the reply is late (past our timeout).
    return reply, (timeout_sleep() if rule == Magic.TIMEOUT else 0.0)


def _status(fields: dict) -> tuple[dict, float]:
    session, transid = fields.get("SESSION", ""), fields.get("TRANSID", "")
    with transaction.atomic():
        records = SimRecord.objects.select_for_update().filter(code=CODE).exclude(state="counter")
        if session:
            rec, missing = records.filter(key=session).first(), 11
        elif transid:
            rec, missing = records.filter(upstream_id=transid).first(), 34
        else:
            raise Refused(10)
        if rec is None:
            raise Refused(missing)
        rec.polls += 1
        if rec.state == "pending" and rec.polls > PENDING_POLLS:
            rec.state = "paid"
        rec.save(update_fields=["polls", "state", "updated_at"])
    common = {"TRANSID": rec.upstream_id}
    if rec.state == "checked":
        return {"ERROR": 0, "RESULT": "1", **common}, 0.0
    if rec.state == "pending":
        return {"ERROR": 0, "RESULT": "3", **common}, 0.0
    if rec.state == "declined":
        return {"ERROR": int(rec.data.get("error", 23)), "RESULT": "7", **common}, 0.0
    return {"ERROR": 0, "RESULT": "7", "AUTHCODE": rec.upstream_id[-6:], **common}, 0.0


urlpatterns = [
    re_path(r"^cgi-bin/(?P<gw>[a-z0-9_]{1,16})/(?P=gw)_(?P<script>pay_check|pay|pay_status)\.cgi"
            r"(?:/(?P<suffix>[0-9]{1,10}))?$", cgi, name="sim-cyberplat"),
]

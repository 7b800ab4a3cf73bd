"""CyberPlat, the agent protocol (docs/gateways/cyberplat.md): check, pay, status.

Each operation POSTs one form field, `inputmessage`, holding a signed IPriv document
(gateways/ipriv.py) whose body is `KEY=VALUE` CRLF lines in windows-1251, to
`{base_url}/cgi-bin/<gw>/<gw>_pay_check.cgi`, `_pay.cgi` or `_pay_status.cgi`, where
`<gw>` is the route's remote id (`mt`; `mm/205` for a provider-number suffix). The
reply is a signed document too: nothing in it is believed before its signature verifies
with the gateway's public key. SESSION is our attempt id, the idempotency key.

Config params: SD, AP, OP (dealer, point, operator codes); key_serial (our key);
peer_key_serial (the gateway's key: sent as ACCEPT_KEYS and required on replies; when
absent, key_serial); key_name (our key id name, default the SD); hash "compatible"
(MD5, hash id 1, the default) or "modern" (SHA-256, hash id 8 as the vendor's library
defines it; ACCEPT_KEYS then carries "<serial>-sha256" to ask for a SHA-256 reply).
`secret` is the passphrase of an encrypted private key PEM.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import quote_from_bytes, unquote_to_bytes

from .. import ipriv
from .base import KEYS_MISSING, Adapter, Exchange, Order, Outcome, Result, not_registered

OK, D, R, U, C = Outcome.OK, Outcome.DECLINED, Outcome.RETRY, Outcome.UNKNOWN, Outcome.CONFIG


@dataclass(frozen=True)
class Code:
    """One ERROR value: its meaning and what it means for each operation (docs/gateways/cyberplat.md)."""

    meaning: str
    check: Outcome
    pay: Outcome
    status: Outcome       # the status QUERY failed with this code (RESULT is not 7)
    reroutable: bool = False  # DECLINED: another gateway may take the payment


def _c(meaning: str, cls: Outcome, reroutable: bool = False) -> Code:
    """One class for the code. A check registers nothing, so "unknown" there is a retry
    (as `base.not_registered`). For a status query a decline code is not the payment's
    fate (that comes with RESULT=7), so a D or R code there leaves it UNKNOWN: poll again."""
    return Code(meaning, R if cls == U else cls, cls, U if cls in (D, R) else cls, reroutable)


def _ru(meaning: str) -> Code:
    """Transient on check (nothing registered); on pay the payment may exist: UNKNOWN."""
    return Code(meaning, R, U, U)


def _nr(meaning: str) -> Code:
    """On status: no such payment upstream, certainly not registered; elsewhere our bug."""
    return Code(meaning, C, C, R)


# Reroutable (our choice, docs/gateways/cyberplat.md): declines about THIS gateway, this
# dealer or this point (licence, limits, products, routing) may succeed elsewhere; declines
# about the account or the amount (7, 8, 9, 23, 85...) or the payer (87, 223, 270) are final.
CODES: dict[int, Code] = {
    0: Code("success", OK, OK, U),  # status: done only with RESULT=7 (see classify)
    1: _c("session number already exists", C),
    2: _c("bad dealer code", C),
    3: _c("bad acceptance point code", C),
    4: _c("bad operator code", C),
    5: _c("bad session format", C),
    6: _c("bad signature", C),
    7: _c("bad amount format or amount out of range", D),
    8: _c("bad phone number format", D),
    9: _c("bad account format", D),
    10: _c("bad request format", C),
    11: _nr("session does not exist"),
    12: _c("request from an unregistered IP address", C),
    13: _c("point not registered at the recipient", D, reroutable=True),
    15: _c("payments to this recipient not supported", D, reroutable=True),
    17: _c("phone number differs from the check", C),
    18: _c("amount differs from the check", C),
    19: _c("account differs from the check", C),
    20: _c("payment is being completed", U),
    21: _c("dealer balance too low", R),
    22: _c("not accepted: money transfer error", D, reroutable=True),
    23: _c("bad phone or account number (recipient says so)", D),
    24: _c("no connection to the recipient's server", R),
    25: _c("gateway suspended", R),
    26: _c("dealer's payments temporarily blocked", R),
    27: _c("account operations suspended", D, reroutable=True),
    30: _ru("general system error"),
    31: _c("too many concurrent requests", R),
    32: _c("same payment data already accepted within the last hour", U),
    33: _c("voucher or card nominal error", D),
    34: _nr("transaction not found"),
    35: _c("error changing the payment state", U),
    36: _c("transaction already finished or in processing", U),
    37: _c("different gateway from the previous step", C),
    38: _c("more than 1 h between check and pay", R),
    39: _c("bad accounting account", C),
    40: _c("voucher or card nominal error", D),
    41: _ru("internal database error"),
    42: _ru("internal save error"),
    43: _c("session invalid", C),
    44: _c("wrong trading server", C),
    45: _c("no licence to accept payments for this recipient", D, reroutable=True),
    46: _c("could not complete a failed payment", U),
    47: _c("outside the point's schedule", R),
    48: _ru("internal database error"),
    49: _ru("internal save error"),
    50: _c("payments temporarily impossible", R),
    51: _c("data not found", D),
    52: _c("dealer possibly blocked", C),
    53: _c("point possibly blocked", C),
    54: _c("operator possibly blocked", C),
    55: _c("wrong dealer type", C),
    56: _c("wrong point type", C),
    57: _c("wrong operator type", C),
    71: _c("voucher or card nominal error", D),
    72: _c("voucher or card nominal error", D),
    81: _c("dealer's per-payment limit exceeded", D, reroutable=True),
    82: _c("dealer's daily limit exceeded", D, reroutable=True),
    83: _c("point's per-payment limit exceeded", D, reroutable=True),
    84: _c("point's daily limit exceeded", D, reroutable=True),
    85: _c("bad full amount (AMOUNT_ALL)", D),
    86: _c("system error (bad rate value)", R),
    87: _c("recipient details blacklisted", D),
    134: _c("point public key not found", C),
    135: _c("too many payments with these details", D),
    136: _c("point and group limit exceeded", D, reroutable=True),
    137: _c("daily limit exceeded", D, reroutable=True),
    164: _c("gateway product not found", D, reroutable=True),
    165: _c("gateway product blocked", D, reroutable=True),
    223: _c("client contract forbids top-up", D),
    270: _c("rejected by financial monitoring", D),
}
# A code we do not know: nothing can be assumed, so the payment is treated like a lost reply.
UNLISTED = Code("unlisted code", R, U, U)

# Status RESULT: 1 only the check was done, 2-6 in progress (3: sent to the recipient), 7 finished.
RESULT_FINISHED = "7"
OPS = {"check": "pay_check", "pay": "pay", "status": "pay_status"}
_GW = re.compile(r"^(?P<gw>[a-z0-9_]{1,16})(?P<suffix>/[0-9]{1,10})?$")
_SESSION = re.compile(r"^[A-Za-z0-9]{1,20}$")
_NUMBER = re.compile(r"^[^\r\n\-=]{1,20}$")
_COMMENT_OUT = re.compile(r"[^0-9A-Za-zА-Яа-яЁё ]")


def classify(op: str, error: str, result: str = "") -> tuple[Outcome, bool]:
    """(outcome, reroutable) for one reply's ERROR and RESULT on one operation."""
    try:
        code_no = int(error)
    except (TypeError, ValueError):
        code_no = None
    code = CODES.get(code_no, UNLISTED) if code_no is not None else UNLISTED
    if op == "status":
        if code_no in (11, 34):
            return R, False
        if result == RESULT_FINISHED:
            if code_no == 0:
                return OK, False
            # Finished and failed: final here. A decline keeps its own reroutable flag; a
            # technical failure that is final (the payment is dead upstream) may go elsewhere.
            return D, (code.reroutable if code.check == D else True)
        if code_no == 0:
            return U, False  # RESULT 1-6 (or none): pending, poll again
        return code.status, False
    outcome = code.check if op == "check" else code.pay
    if code_no == 0 and result != "0":
        outcome = R if op == "check" else U  # "no error" but not a success either: do not trust it
    return outcome, (code.reroutable if outcome == D else False)


def money(value: Decimal) -> str:
    """NNNNN.NN with a dot, the protocol's amount format."""
    return f"{Decimal(value).quantize(Decimal('0.01')):f}"


class CyberPlatAdapter(Adapter):
    code = "cyberplat"

    # --- the interface -------------------------------------------------------------
    def check(self, order: Order) -> Result:
        """The account exists and the amounts are acceptable. Registers nothing upstream."""
        return self._call("check", order)

    def pay(self, order: Order) -> Result:
        """Pay with the SESSION and data of the preceding check. OK carries TRANSID."""
        return self._call("pay", order)

    def status(self, order: Order) -> Result:
        """The fate of SESSION: OK paid, DECLINED finished unpaid, RETRY never registered,
        UNKNOWN still in progress (or unreadable).

        RESULT=1 says only the check arrived: the pay never did (a worker died between the
        two, or the pay was lost before CyberPlat). The one safe move is
        to send that pay again under the SAME session, which CyberPlat deduplicates; a new
        session could pay twice if the first pay were still in flight. So the answer to this
        status is the answer of that pay.
        """
        result = self._call("status", order)
        if result.outcome == Outcome.UNKNOWN and result.code == "0" and result.extra.get("result") == "1":
            paid = self._call("pay", order)
            return replace(paid, exchanges=result.exchanges + paid.exchanges,
                           extra={**paid.extra, "resent_after_status": "1"})
        return result

    # --- the wire format -----------------------------------------------------------
    @property
    def params(self) -> dict:
        return self.config.params or {}

    def _serial(self, name: str) -> int:
        return int(str(self.params.get(name) or self.params.get("key_serial") or 0))

    def _hash(self) -> int:
        return ipriv.MODES.get(str(self.params.get("hash", "compatible")).lower(), ipriv.HASH_MD5)

    def url(self, op: str, remote_id: str) -> str:
        m = _GW.match(remote_id or "")
        if not m:
            raise ValueError(f"remote id {remote_id!r} is not a CyberPlat gateway code")
        gw = m.group("gw")
        return f"{self.config.base_url.rstrip('/')}/cgi-bin/{gw}/{gw}_{OPS[op]}.cgi{m.group('suffix') or ''}"

    def fields(self, op: str, order: Order) -> list[tuple[str, str]]:
        """The request body, in the order CyberPlat's guide lists them."""
        p = self.params
        # The vendor's terminal software asks for a SHA-256-signed reply with "<serial>-sha256".
        accept = str(self._serial("peer_key_serial")) + ("-sha256" if self._hash() == ipriv.HASH_SHA256 else "")
        if op == "status":
            out = [("SESSION", order.attempt_id)]
            if order.upstream_id:
                out.append(("TRANSID", order.upstream_id))
            return [*out, ("ACCEPT_KEYS", accept)]
        out = [("SD", str(p.get("SD", ""))), ("AP", str(p.get("AP", ""))), ("OP", str(p.get("OP", ""))),
               ("DATE", datetime.now(UTC).strftime("%d.%m.%Y %H:%M:%S")),
               ("SESSION", order.attempt_id), ("NUMBER", order.account)]
        if order.fields.get("ACCOUNT"):
            out.append(("ACCOUNT", str(order.fields["ACCOUNT"])))
        out += [("AMOUNT", money(order.credited)), ("AMOUNT_ALL", money(order.amount)), ("PAY_TOOL", "0")]
        if order.terminal:
            out.append(("COMMENT", _COMMENT_OUT.sub("", f"KIT terminal {order.terminal}")[:64]))
        return [*out, ("ACCEPT_KEYS", accept)]

    def _refuse(self, op: str, outcome: Outcome, code: str, message: str, url: str = "") -> Result:
        ex = Exchange(op, url, "", None, f"not sent: {message}", 0)
        return Result(outcome, code, message, exchanges=(ex,))

    def _call(self, op: str, order: Order) -> Result:
        # Anything wrong on our side is found before a byte leaves: CONFIG, nothing sent.
        try:
            url = self.url(op, order.remote_id)
        except ValueError as exc:
            return self._refuse(op, C, "local:remote_id", str(exc))
        if not _SESSION.match(order.attempt_id or ""):
            return self._refuse(op, C, "local:session", "attempt id is not a valid SESSION", url)
        # NUMBER may be empty when ACCOUNT carries the account (the real system accepts it).
        number_ok = _NUMBER.match(order.account or "") or (not order.account and order.fields.get("ACCOUNT"))
        if op != "status" and not number_ok:
            # A limit of this protocol, not a verdict on the account: another gateway may take it.
            return Result(D, "local:number", "account cannot be sent as a CyberPlat NUMBER", reroutable=True,
                          exchanges=(Exchange(op, url, "", None, "not sent: bad NUMBER", 0),))
        if not self.config.private_key_pem or not self.config.peer_public_key_pem:
            return self._refuse(op, C, KEYS_MISSING, "our private key or the gateway's public key is not set", url)
        try:
            body = ipriv.body_encode(self.fields(op, order))
            document = ipriv.sign(body, private_pem=self.config.private_key_pem, serial=self._serial("key_serial"),
                                  name=str(self.params.get("key_name") or self.params.get("SD") or "")[:20],
                                  hash_algo=self._hash(), password=self.config.secret)
        except (ipriv.IPrivError, ValueError) as exc:
            return self._refuse(op, C, "local:sign", f"cannot sign the request: {exc}", url)

        response, failure, ex = self.send(
            op, "POST", url, content=b"inputmessage=" + quote_from_bytes(document, safe="").encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=windows-1251"},
            log_request=document.decode(ipriv.ENCODING, "replace"))
        if failure is not None:
            return not_registered(failure) if op == "check" else failure
        return self._interpret(op, order, response.content, ex)

    def _interpret(self, op: str, order: Order, content: bytes, ex: Exchange) -> Result:
        untrusted = R if op == "check" else U  # a reply we cannot believe is a lost reply
        try:
            doc = ipriv.verify(content, public_pem=self.config.peer_public_key_pem,
                               serial=self._serial("peer_key_serial"), hash_algos=(self._hash(),))
        except ipriv.IPrivError as exc:
            return Result(untrusted, "bad_reply", f"reply not trusted: {exc}", exchanges=(ex,))
        fields = {k: unquote_to_bytes(v.encode(ipriv.ENCODING, "replace")).decode(ipriv.ENCODING, "replace")
                  for k, v in ipriv.body_decode(doc.body).items()}
        session = fields.get("SESSION", "")
        if session and session != order.attempt_id:
            return Result(untrusted, "bad_reply", f"reply is for session {session!r}", exchanges=(ex,))
        error, result = fields.get("ERROR", "").strip(), fields.get("RESULT", "").strip()
        if not error.isdigit():
            return Result(untrusted, "bad_reply", "reply without a numeric ERROR", exchanges=(ex,))
        outcome, reroutable = classify(op, error, result)
        known = CODES.get(int(error), UNLISTED)
        message = fields.get("ERRMSG") or known.meaning
        if op == "status" and int(error) == 0 and result != RESULT_FINISHED:
            message = {"1": "only the check was done"}.get(result, f"in progress (RESULT={result or '?'})")
        extra = {"result": result}
        for key in ("ADDINFO", "OPNAME", "AUTHCODE", "ACCOUNT", "REST", "PRICE", "BALANCE", "DATE"):
            if fields.get(key):
                extra[key.lower()] = fields[key]
        return Result(outcome, error, message, upstream_id=fields.get("TRANSID", "").strip(),
                      reroutable=reroutable, exchanges=(ex,), extra=extra)

"""OSMP / QIWI gateway: the agent ("dealer") XML protocol (docs/gateways/osmp.md).

Real: the legacy dealer request shape (`<request><auth/><client/><providers>` with
`checkPaymentRequisites` / `addOfflinePayment` / `getPaymentStatus` and `<payment id>`,
`<from amount>` = cash, `<to amount service account>` = credited, `<receipt id date>`),
the documented status ranges (-1 not registered, 0-59 pending, 60 success, >100 final
failure), per-payment `result` / `fatal`, and the result codes.

Authentication, per gateway (`params["auth"]`):
- `md5` (the default): inside the document, `<auth login sign signAlg="MD5"/>` with `sign`
  the hex MD5 of the password the gateway issued, as the public xmlgate clients send it.
  The sign is a replayable credential: it is masked in the stored exchanges like the password.
- `rsa`: QIWI's newer top-up protocol's RSA signature over the raw body in `X-Digital-Sign`
  / `X-Digital-Sign-Alg` (QIWI documents MD5withRSA and SHA1withRSA; `SHA256withRSA`, our
  default there, is ours).
Replies: in `rsa` mode they must carry the gateway's signature the same way (ours: the real
reply signature is not documented); in `md5` mode a reply is checked the same way when we
hold the gateway's public key, else trusted as the real xmlgate's is, by its TLS channel.

Our attempt id is `payment/@id` and `receipt/@id`: the gateway's idempotency key. The same
id with the same parameters returns the stored payment; with other parameters, 215.
"""

from __future__ import annotations

import hashlib
import re
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from defusedxml.ElementTree import fromstring as parse_xml

from .base import KEYS_MISSING, Adapter, Exchange, Order, Outcome, Result, SignedExchange, not_registered

MSK = ZoneInfo("Europe/Moscow")
PATH = "xmlutf.jsp"  # the UTF-8 variant of xmlgate (`term2/xmlutf.jsp` upstream)
ALGS = {"SHA256withRSA": "sha256", "SHA1withRSA": "sha1"}
SIGN_HEADER, ALG_HEADER = "X-Digital-Sign", "X-Digital-Sign-Alg"
AUTH_MD5, AUTH_RSA = "md5", "rsa"
XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")

# Request-level `response/@result` (QIWI's documented request-level codes): the request as a whole was not processed.
REQUEST_CODES: dict[int, tuple[Outcome, bool, str]] = {
    13: (Outcome.RETRY, False, "repeat of a request within a minute"),
    150: (Outcome.CONFIG, False, "authentication failed (login, key or signature)"),
    300: (Outcome.RETRY, False, "unknown error, not processed"),
    339: (Outcome.CONFIG, False, "IP address blocked"),
}

# Per-payment `payment/@result` (QIWI's documented result codes). (class, reroutable, meaning)
RESULT_CODES: dict[int, tuple[Outcome, bool, str]] = {
    155: (Outcome.CONFIG, False, "service (provider id) not known to the gateway"),
    204: (Outcome.DECLINED, False, "identification level of the account does not allow it"),
    215: (Outcome.CONFIG, False, "payment id already used with other parameters"),
    220: (Outcome.RETRY, False, "agent balance at the gateway too low"),
    241: (Outcome.DECLINED, False, "amount too small"),
    242: (Outcome.DECLINED, False, "amount too large"),
    298: (Outcome.DECLINED, False, "account not found"),
    300: (Outcome.UNKNOWN, False, "unknown error"),
    316: (Outcome.CONFIG, False, "agent blocked"),
    319: (Outcome.DECLINED, True, "payments to this service blocked for the agent"),
    700: (Outcome.DECLINED, False, "monthly limit of the account exceeded"),
    702: (Outcome.DECLINED, False, "balance limit of the account exceeded"),
}

# Payment `status` values that are final failures (>100); anything else above 60 is unknown.
FINAL_STATUSES = {150: "declined", 151: "authorisation error at the recipient", 160: "not processed / cancelled"}


def classify_status(status: int) -> Outcome:
    """QIWI's documented status ranges: -1 not registered, 0-59 in progress, 60 success, >100 final failure."""
    if status == -1:
        return Outcome.RETRY
    if 0 <= status <= 59:
        return Outcome.UNKNOWN
    if status == 60:
        return Outcome.OK
    if status > 100:
        return Outcome.DECLINED
    return Outcome.UNKNOWN


class OsmpAdapter(SignedExchange, Adapter):
    code = "osmp"

    def check(self, order: Order) -> Result:
        return not_registered(self._call("check", "checkPaymentRequisites", order))

    def pay(self, order: Order) -> Result:
        return self._call("pay", "addOfflinePayment", order)

    def status(self, order: Order) -> Result:
        return self._call("status", "getPaymentStatus", order)

    # --- wire format -----------------------------------------------------------------
    def build(self, operation: str, order: Order) -> bytes:
        p = self.config.params
        root = ET.Element("request")
        if self._auth() == AUTH_RSA:
            ET.SubElement(root, "auth", login=p.get("login", ""), signAlg=self._alg())
        else:
            ET.SubElement(root, "auth", login=p.get("login", ""), sign=self._password_sign(), signAlg="MD5")
        ET.SubElement(root, "client", terminal=str(p.get("terminal_id", "")), software="KIT",
                      serial=order.terminal or "", timezone="GMT+03")
        op = ET.SubElement(ET.SubElement(root, "providers"), operation)
        payment = ET.SubElement(op, "payment", id=order.attempt_id)
        if operation != "getPaymentStatus":
            ET.SubElement(payment, "from", currency="643", amount=f"{order.amount:.2f}")
            ET.SubElement(payment, "to", currency="643", service=order.remote_id,
                          amount=f"{order.credited:.2f}", account=order.account)
            ET.SubElement(payment, "receipt", id=order.attempt_id,
                          date=order.paid_at.astimezone(MSK).strftime("%Y-%m-%dT%H:%M:%S+03:00"))
            extras = {k: str(v) for k, v in order.fields.items() if XML_NAME.fullmatch(str(k))}
            if extras:  # provider fields become attributes: only names XML allows
                ET.SubElement(payment, "extras", extras)
        return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                          xml_declaration=False)

    def _alg(self) -> str:
        alg = self.config.params.get("sign_alg", "SHA256withRSA")
        return alg if alg in ALGS else "SHA256withRSA"

    def _auth(self) -> str:
        return self.config.params.get("auth") or AUTH_MD5

    def _password_sign(self) -> str:
        # The protocol's own credential format; TLS and the gateway's IP list carry the security.
        return hashlib.md5(self.config.secret.encode("utf-8"), usedforsecurity=False).hexdigest()

    def mask(self, text: str) -> str:
        text = super().mask(text)
        return text.replace(self._password_sign(), "***") if self.config.secret else text

    def _credentials_missing(self) -> Result | None:
        auth = self._auth()
        if auth == AUTH_RSA:
            return self.keys_missing()
        if auth != AUTH_MD5:
            return Result(Outcome.CONFIG, "config", f"auth must be {AUTH_MD5} or {AUTH_RSA}, not {auth!r}")
        if not self.config.secret or not self.config.params.get("login"):
            return Result(Outcome.CONFIG, KEYS_MISSING, "the dealer login or the password the gateway issued is not set")
        return None

    def _call(self, op: str, operation: str, order: Order) -> Result:
        missing = self._credentials_missing()
        if missing:
            return missing
        body = self.build(operation, order)
        headers = {"Content-Type": "text/xml; charset=utf-8"}
        if self._auth() == AUTH_RSA:
            alg = self._alg()
            headers.update({ALG_HEADER: alg, SIGN_HEADER: self.body_signature(body, ALGS[alg])})
        response, failure, ex = self.send(op, "POST", f"{self.config.base_url}/{PATH}", content=body,
                                          headers=headers)
        if failure:
            return failure
        if self._auth() == AUTH_RSA or self.config.peer_public_key_pem:
            untrusted = self.reply_trusted(response.headers.get(SIGN_HEADER, ""), response.content, ex,
                                           ALGS.get(response.headers.get(ALG_HEADER, ""), ""))
            if untrusted:
                return untrusted
        try:
            root = parse_xml(response.content)
        except (ET.ParseError, ValueError):  # defusedxml refusals are ValueErrors
            return self._unknown(ex, "bad_reply", "reply is not XML")
        return interpret(op, operation, root, (ex,))

    def _unknown(self, ex: Exchange, code: str, message: str) -> Result:
        return Result(Outcome.UNKNOWN, code, message, exchanges=(ex,))


def interpret(op: str, operation: str, root: ET.Element, exchanges: tuple = ()) -> Result:
    """One verified reply -> Result. Unknown shapes on pay/status are UNKNOWN (never a guess)."""
    request_result = _int(root.get("result"))
    if request_result is None:
        return Result(Outcome.UNKNOWN, "bad_reply", "no result in the reply", exchanges=exchanges)
    if request_result != 0:
        outcome, reroutable, text = REQUEST_CODES.get(request_result, (Outcome.UNKNOWN, False, "unknown code"))
        return Result(outcome, str(request_result), root.get("result-description") or text,
                      reroutable=reroutable, exchanges=exchanges)
    payment = root.find(f"providers/{operation}/payment")
    if payment is None:
        return Result(Outcome.UNKNOWN, "bad_reply", "no payment in the reply", exchanges=exchanges)
    uid = payment.get("uid", "")
    result = _int(payment.get("result"))
    if result is None:
        return Result(Outcome.UNKNOWN, "bad_reply", "no payment result", exchanges=exchanges)
    if result != 0:
        fatal = payment.get("fatal") == "true"
        default = (Outcome.DECLINED, False, "final error") if fatal else (Outcome.UNKNOWN, False, "error")
        outcome, reroutable, text = RESULT_CODES.get(result, default)
        return Result(outcome, str(result), payment.get("result-description") or text, uid,
                      reroutable=reroutable, exchanges=exchanges)
    if op == "check":
        extras = payment.find("extras")
        return Result(Outcome.OK, "0", "account accepted", uid, exchanges=exchanges,
                      extra=dict(extras.attrib) if extras is not None else {})
    status = _int(payment.get("status"))
    if status is None:
        return Result(Outcome.UNKNOWN, "bad_reply", "no payment status", uid, exchanges=exchanges)
    outcome = classify_status(status)
    if outcome == Outcome.OK:
        text = "paid"
    elif outcome == Outcome.DECLINED:
        text = FINAL_STATUSES.get(status, "final failure")
    elif outcome == Outcome.RETRY:
        text = "payment not registered"
    else:
        text = "in progress"
    return Result(outcome, f"status={status}", payment.get("result-description") or text, uid,
                  exchanges=exchanges)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None

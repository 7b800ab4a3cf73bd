"""Contact (CONTACT money transfer system) gateway (docs/gateways/contact.md).

Contact's (public, medium confidence): the XML envelope `<REQUEST OBJECT_CLASS ACTION
POINT_CODE INT_SOFT_ID USER_ID LANG ExpectSigned SignOut REQUEST_ID REQUEST_STEP>` answered
by `<RESPONSE RE ERR_TEXT VIEW_ERR_TEXT ID STATE REQUEST_ID>`, in windows-1251, POSTed to `/`.

INVENTED (Contact's service-payment actions and return codes are not public): the object
class `TPayObject` with actions `Check`, `Pay`, `GetState`; the child elements carrying the
payment (`trnService`, `trnAccount`, `trnAmount`, `trnAmountAll`, `trnCurrency`, `trnDate`,
modelled on Contact's money-order fields); the STATE values; the RE table below (0 OK,
1xx temporary and not registered, 2xx final decline, 3xx format/auth/config); and the
signature: a detached RSA-PKCS1v15-SHA256 over the exact request bytes in the header
`X-Contact-Sign`, with the key id in `X-Contact-Key-Id`. Replies are signed the same way
(`SignOut="Yes"`) and are not trusted unless the signature verifies.

Our attempt id is `REQUEST_ID`: the idempotency key. `ID` in the reply is Contact's doc id.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from defusedxml.ElementTree import fromstring as parse_xml

from .base import Adapter, Order, Outcome, Result, SignedExchange, not_registered

ENCODING = "windows-1251"
SIGN_HEADER, KEY_HEADER = "X-Contact-Sign", "X-Contact-Key-Id"

# RE codes: INVENTED for our simulator (the real table is unknown). (class, reroutable, meaning)
RE_CODES: dict[int, tuple[Outcome, bool, str]] = {
    0: (Outcome.OK, False, "OK"),
    101: (Outcome.RETRY, False, "service temporarily unavailable"),
    102: (Outcome.RETRY, False, "no payment with this REQUEST_ID (not registered)"),
    103: (Outcome.RETRY, False, "too many requests"),
    201: (Outcome.DECLINED, False, "account not found"),
    202: (Outcome.DECLINED, False, "amount out of the allowed range"),
    203: (Outcome.DECLINED, False, "payment rejected by the recipient"),
    204: (Outcome.DECLINED, True, "service not available at this point"),
    205: (Outcome.DECLINED, True, "point limit exceeded"),
    301: (Outcome.CONFIG, False, "bad request format"),
    302: (Outcome.CONFIG, False, "bad or missing signature"),
    303: (Outcome.CONFIG, False, "unknown point or software id"),
    304: (Outcome.CONFIG, False, "REQUEST_ID already used with other parameters"),
    305: (Outcome.CONFIG, False, "unknown service"),
}

# STATE of a payment (INVENTED). Only RE=0 replies carry one.
STATES: dict[str, Outcome] = {
    "PAID": Outcome.OK,
    "ACCEPTED": Outcome.UNKNOWN,
    "PROCESSING": Outcome.UNKNOWN,
    "REJECTED": Outcome.DECLINED,
}


def classify_re(re_code: int) -> tuple[Outcome, bool]:
    """The table, else the invented ranges: 1xx retry, 2xx decline, 3xx config, other unknown."""
    if re_code in RE_CODES:
        outcome, reroutable, _ = RE_CODES[re_code]
        return outcome, reroutable
    ranges = {1: Outcome.RETRY, 2: Outcome.DECLINED, 3: Outcome.CONFIG}
    return ranges.get(re_code // 100, Outcome.UNKNOWN) if re_code > 0 else Outcome.UNKNOWN, False


class ContactAdapter(SignedExchange, Adapter):
    code = "contact"

    def check(self, order: Order) -> Result:
        return not_registered(self._call("check", "Check", order))

    def pay(self, order: Order) -> Result:
        return self._call("pay", "Pay", order)

    def status(self, order: Order) -> Result:
        return self._call("status", "GetState", order)

    def build(self, action: str, order: Order) -> bytes:
        p = self.config.params
        root = ET.Element("REQUEST", {
            "OBJECT_CLASS": "TPayObject", "ACTION": action, "POINT_CODE": p.get("point_code", ""),
            "INT_SOFT_ID": p.get("int_soft_id", ""), "USER_ID": str(p.get("user_id", "0")), "LANG": "RU",
            "ExpectSigned": "Yes", "SignOut": "Yes", "REQUEST_ID": order.attempt_id,
            "REQUEST_STEP": {"Check": "1", "Pay": "2", "GetState": "3"}[action]})
        if action != "GetState":
            for tag, value in (("trnService", order.remote_id), ("trnAccount", order.account),
                               ("trnAmount", f"{order.credited:.2f}"), ("trnAmountAll", f"{order.amount:.2f}"),
                               ("trnCurrency", "RUR"), ("trnDate", order.paid_at.strftime("%Y%m%d"))):
                ET.SubElement(root, tag).text = value
        elif order.upstream_id:
            ET.SubElement(root, "ID").text = order.upstream_id
        return ET.tostring(root, encoding=ENCODING, xml_declaration=True)

    def key_id(self) -> str:
        return str(self.config.params.get("key_id") or self.config.params.get("point_code", ""))

    def _call(self, op: str, action: str, order: Order) -> Result:
        missing = self.keys_missing()
        if missing:
            return missing
        body = self.build(action, order)
        headers = {"Content-Type": f"application/xml; charset={ENCODING}", KEY_HEADER: self.key_id(),
                   SIGN_HEADER: self.body_signature(body)}
        response, failure, ex = self.send(op, "POST", f"{self.config.base_url}/", content=body, headers=headers,
                                          log_request=body.decode(ENCODING, "replace"))
        if failure:
            return failure
        untrusted = self.reply_trusted(response.headers.get(SIGN_HEADER, ""), response.content, ex)
        if untrusted:
            return untrusted
        try:
            root = parse_xml(response.content)
        except (ET.ParseError, ValueError):  # defusedxml refusals are ValueErrors
            root = None
        if root is None or root.tag != "RESPONSE":
            return Result(Outcome.UNKNOWN, "bad_reply", "reply is not a RESPONSE", exchanges=(ex,))
        return interpret(op, root, (ex,))


def interpret(op: str, root: ET.Element, exchanges: tuple = ()) -> Result:
    """One verified RESPONSE -> Result."""
    try:
        re_code = int(root.get("RE", ""))
    except ValueError:
        return Result(Outcome.UNKNOWN, "bad_reply", "no RE in the reply", exchanges=exchanges)
    doc_id = root.get("ID", "")
    message = root.get("ERR_TEXT") or root.get("VIEW_ERR_TEXT") or ""
    if re_code != 0:
        outcome, reroutable = classify_re(re_code)
        return Result(outcome, str(re_code), message or RE_CODES.get(re_code, (None, None, ""))[2], doc_id,
                      reroutable=reroutable, exchanges=exchanges)
    if op == "check":
        return Result(Outcome.OK, "0", message or "account accepted", doc_id, exchanges=exchanges,
                      extra={"text": root.get("VIEW_ERR_TEXT", "")} if root.get("VIEW_ERR_TEXT") else {})
    state = root.get("STATE", "")
    outcome = STATES.get(state, Outcome.UNKNOWN)
    return Result(outcome, f"STATE={state}" if state else "0", message or state.lower(), doc_id,
                  exchanges=exchanges)

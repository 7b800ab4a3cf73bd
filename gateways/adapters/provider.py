"""Direct provider connector: the OSMP/QIWI *provider* protocol (docs/gateways/provider.md).

For a provider we pay directly (an ISP's or a utility's billing): we play "QIWI" toward it.
Real (vendor-documented): `command=check|pay`, `txn_id`, `account`, `sum` (2 decimals, a
dot), `txn_date` (YYYYMMDDHHMMSS) by GET (or POST form), answered by
`<response><osmp_txn_id/><prv_txn/><sum/><result/><comment/></response>` in UTF-8, with
fatal and non-fatal result codes. The protocol has no message signature: HTTPS, the
caller's IP allow-list and HTTP Basic auth (widely used by OSMP-compatible callers) are
the controls. Ours: the params `login` (Basic auth user; the gateway secret is the
password) and `http_method` (GET by default); `sum` is the credited amount (the cash
amount does not exist in this protocol); `txn_date` is the payment time in Moscow time.

`txn_id` = our attempt id. The protocol's idempotency rule (a repeated pay with a paid
`txn_id` answers result 0 with the same `prv_txn` and credits nothing) makes `status`
simply the same pay again. Hence on status a non-fatal code stays UNKNOWN: only a pay
that was never registered may be read as RETRY, and a status query cannot know that.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

import httpx
from defusedxml.ElementTree import fromstring as parse_xml

from .base import Adapter, Order, Outcome, Result, not_registered

MSK = ZoneInfo("Europe/Moscow")

# The protocol's result codes with our class for each (docs/gateways/provider.md). (class, fatal, meaning)
RESULT_CODES: dict[int, tuple[Outcome, bool, str]] = {
    0: (Outcome.OK, False, "OK"),
    1: (Outcome.RETRY, False, "temporary error, repeat later"),
    4: (Outcome.DECLINED, True, "wrong account format"),
    5: (Outcome.DECLINED, True, "account not found"),
    7: (Outcome.DECLINED, True, "payment forbidden by the provider"),
    8: (Outcome.RETRY, False, "payment forbidden for technical reasons"),
    31: (Outcome.DECLINED, True, "bad value in extra parameters"),
    32: (Outcome.DECLINED, True, "exchange rate changed"),
    79: (Outcome.DECLINED, True, "account not active"),
    90: (Outcome.UNKNOWN, False, "payment not yet completed"),
    241: (Outcome.DECLINED, True, "amount too small"),
    242: (Outcome.DECLINED, True, "amount too large"),
    243: (Outcome.RETRY, False, "cannot check the account state"),
    300: (Outcome.DECLINED, True, "other provider error"),
}


class ProviderAdapter(Adapter):
    code = "provider"

    def check(self, order: Order) -> Result:
        return not_registered(self._call("check", order))

    def pay(self, order: Order) -> Result:
        return self._call("pay", order)

    def status(self, order: Order) -> Result:
        """The protocol has no status: the same pay again, which the provider answers idempotently."""
        result = self._call("status", order)
        if result.outcome == Outcome.RETRY:
            return Result(Outcome.UNKNOWN, result.code, result.message, result.upstream_id,
                          exchanges=result.exchanges)
        return result

    def query(self, op: str, order: Order) -> dict:
        params = {k: str(v) for k, v in order.fields.items()
                  if k not in {"command", "txn_id", "account", "sum", "txn_date"}}
        params.update(command="check" if op == "check" else "pay", txn_id=order.attempt_id,
                      account=order.account, sum=f"{order.credited:.2f}")
        if op != "check":
            params["txn_date"] = order.paid_at.astimezone(MSK).strftime("%Y%m%d%H%M%S")
        return params

    def _call(self, op: str, order: Order) -> Result:
        params = self.query(op, order)
        login = self.config.params.get("login", "")
        auth = httpx.BasicAuth(login, self.config.secret) if login else None
        url = f"{self.config.base_url}/"
        if str(self.config.params.get("http_method", "GET")).upper() == "POST":
            response, failure, ex = self.send(op, "POST", url, content=urlencode(params).encode(), auth=auth,
                                              headers={"Content-Type": "application/x-www-form-urlencoded"})
        else:
            response, failure, ex = self.send(op, "GET", url, params=params, auth=auth,
                                              log_request=urlencode(params))
        if failure:
            return failure
        try:
            root = parse_xml(response.content)
            result = int((root.findtext("result") or "").strip())
        except (ET.ParseError, ValueError):
            return Result(Outcome.UNKNOWN, "bad_reply", "reply is not the protocol's XML", exchanges=(ex,))
        echo = (root.findtext("osmp_txn_id") or "").strip()
        # Real billings answer a definitive decline with an empty <osmp_txn_id>: a decline
        # registers nothing, so an empty echo is believed there. A success must name our
        # txn_id, and an echo of another txn_id is never about this payment.
        if root.tag != "response" or (echo != order.attempt_id and (echo or result == 0)):
            return Result(Outcome.UNKNOWN, "bad_reply", "reply is not about this txn_id", exchanges=(ex,))
        return interpret(op, result, root, order, (ex,), require_prv_txn=_flag(self.config.params, "require_prv_txn"))


def interpret(op: str, result: int, root: ET.Element, order: Order, exchanges: tuple = (), *,
              require_prv_txn: bool = False) -> Result:
    """One reply -> Result. Unknown codes: UNKNOWN (check: RETRY).

    A success without `prv_txn` (billings that never send one) is paid under our txn_id,
    flagged "no provider reference"; `require_prv_txn` makes it UNKNOWN instead.
    """
    comment = (root.findtext("comment") or "").strip()
    prv_txn = (root.findtext("prv_txn") or "").strip()
    outcome, _fatal, text = RESULT_CODES.get(result, (Outcome.UNKNOWN, False, "unknown code"))
    extra = {}
    if outcome == Outcome.OK and op != "check":
        echoed_sum = root.findtext("sum")
        if echoed_sum is not None and echoed_sum.strip() and not _same_sum(echoed_sum, order.credited):
            return Result(Outcome.UNKNOWN, "0", "the provider echoed another sum", prv_txn, exchanges=exchanges)
        if not prv_txn:
            if require_prv_txn:
                return Result(Outcome.UNKNOWN, "0", "result 0 without prv_txn", exchanges=exchanges)
            return Result(Outcome.OK, "0", f"{comment or text} (no provider reference: upstream id is our txn_id)",
                          order.attempt_id, exchanges=exchanges, extra={"no_provider_reference": "1"})
    if op == "check" and outcome == Outcome.OK:
        extra = {el.get("name", el.tag): (el.text or "") for el in root.findall("fields/*")}
        if comment:
            extra["text"] = comment
    return Result(outcome, str(result), comment or text, prv_txn, exchanges=exchanges, extra=extra)


def _flag(params: dict, name: str) -> bool:
    value = params.get(name, False)
    return value if isinstance(value, bool) else str(value).strip().lower() in {"1", "true", "yes", "on"}


def _same_sum(echoed: str | None, credited: Decimal) -> bool:
    try:
        return Decimal((echoed or "").strip()) == credited
    except InvalidOperation:
        return False

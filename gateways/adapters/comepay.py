"""ComePay gateway (docs/gateways/comepay.md). THE WHOLE AGENT SHAPE IS OUR ASSUMPTION.

ComePay publishes no agent/dealer protocol. What is public is its merchant "shop" REST API
(JSON `{"response": {"result_code": N}}`, HTTP Basic auth) whose result codes are QIWI's
pull-REST codes (0, 5, 13, 150, 210, 215, 241, 242, 298, 300), and a note that its
terminals talk check -> pay to providers. From that we ASSUME an OSMP-family agent API:

- `POST {base}/api/agent/v1/check|pay|status`, JSON body, HTTP Basic auth with
  `params["login"]` and the gateway secret;
- `txn_id` = our attempt id, the idempotency key (same id + same data: the stored payment;
  other data: 215); `amount` = credited, `amount_all` = cash;
- reply `{"response": {"result_code", "description", "txn_id", "payment_id", "status"}}`
  with status `paid` / `pending` / `rejected`;
- our hardening: RSA-PKCS1v15-SHA256 over the raw body in `X-ComePay-Sign`, both ways.
"""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import httpx

from .base import Adapter, Order, Outcome, Result, SignedExchange, not_registered

MSK = ZoneInfo("Europe/Moscow")
SIGN_HEADER = "X-ComePay-Sign"

# QIWI-style result codes (those of its public shop API), with our classes. (class on pay/status, reroutable, meaning)
RESULT_CODES: dict[int, tuple[Outcome, bool, str]] = {
    0: (Outcome.OK, False, "OK"),
    5: (Outcome.DECLINED, False, "invalid parameters (account or amount)"),
    13: (Outcome.RETRY, False, "server busy, repeat later"),
    150: (Outcome.CONFIG, False, "authentication failed (login, password or signature)"),
    210: (Outcome.RETRY, False, "payment not found (not registered)"),
    215: (Outcome.CONFIG, False, "txn_id already used with other parameters"),
    241: (Outcome.DECLINED, False, "amount too small"),
    242: (Outcome.DECLINED, False, "amount too large"),
    298: (Outcome.DECLINED, False, "account not found"),
    300: (Outcome.UNKNOWN, False, "server error"),  # on check: RETRY (nothing registered)
}

STATUSES: dict[str, Outcome] = {"paid": Outcome.OK, "pending": Outcome.UNKNOWN, "rejected": Outcome.DECLINED}


class ComePayAdapter(SignedExchange, Adapter):
    code = "comepay"

    def check(self, order: Order) -> Result:
        return not_registered(self._call("check", order))

    def pay(self, order: Order) -> Result:
        return self._call("pay", order)

    def status(self, order: Order) -> Result:
        return self._call("status", order)

    def build(self, op: str, order: Order) -> bytes:
        data: dict = {"txn_id": order.attempt_id}
        if op != "status":
            data.update(service=order.remote_id, account=order.account, amount=f"{order.credited:.2f}",
                        amount_all=f"{order.amount:.2f}", currency="RUB",
                        txn_date=order.paid_at.astimezone(MSK).isoformat(timespec="seconds"),
                        terminal=order.terminal, fields=order.fields)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()

    def _call(self, op: str, order: Order) -> Result:
        missing = self.keys_missing()
        if missing:
            return missing
        body = self.build(op, order)
        headers = {"Content-Type": "application/json", SIGN_HEADER: self.body_signature(body)}
        auth = httpx.BasicAuth(self.config.params.get("login", ""), self.config.secret)
        response, failure, ex = self.send(op, "POST", f"{self.config.base_url}/api/agent/v1/{op}", content=body,
                                          headers=headers, auth=auth)
        if failure:
            return failure
        untrusted = self.reply_trusted(response.headers.get(SIGN_HEADER, ""), response.content, ex)
        if untrusted:
            return untrusted
        try:
            reply = json.loads(response.content)["response"]
            code = int(reply["result_code"])
        except (ValueError, KeyError, TypeError):
            return Result(Outcome.UNKNOWN, "bad_reply", "reply is not the expected JSON", exchanges=(ex,))
        return interpret(op, code, reply, (ex,))


def interpret(op: str, code: int, reply: dict, exchanges: tuple = ()) -> Result:
    """One verified reply -> Result. Codes outside the table are UNKNOWN (check: RETRY)."""
    upstream = str(reply.get("payment_id") or "")
    description = str(reply.get("description") or "")
    if code != 0:
        outcome, reroutable, text = RESULT_CODES.get(code, (Outcome.UNKNOWN, False, "unknown code"))
        return Result(outcome, str(code), description or text, upstream, reroutable=reroutable,
                      exchanges=exchanges)
    if op == "check":
        return Result(Outcome.OK, "0", description or "account accepted", upstream, exchanges=exchanges,
                      extra={"text": description} if description else {})
    status = str(reply.get("status") or "")
    return Result(STATUSES.get(status, Outcome.UNKNOWN), status or "0", description or status, upstream,
                  exchanges=exchanges)

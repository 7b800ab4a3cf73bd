"""A scriptable gateway for engine tests: replies are queued per gateway and operation.

It keeps its own book (like a simulator's SimRecord) of what it really accepted, so a test
can count upstream payments. Unscripted calls answer like a healthy gateway: check ok,
pay ok (booked), status from the book (booked -> ok, else "not registered" -> retry).

Scripted reply kinds: "ok", "decline", "reroute" (a re-routable decline), "retry",
"timeout" (booked, then no reply: unknown), "lost" (unknown, NOT booked), "pending"
(status only: unknown), "config", "garbage" (the adapter raises, as on an unparseable reply),
"not_registered" (status: retry).
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque

from gateways.adapters.base import Adapter, Exchange, Order, Outcome, Result

PROTOCOL = "double"


class Book:
    def __init__(self):
        self.lock = threading.Lock()
        self.paid: dict[tuple[str, str], Order] = {}     # (gateway, attempt id) -> order
        self.calls: list[tuple[str, str, str]] = []      # (gateway, op, attempt id)
        self.script: dict[tuple[str, str], deque] = defaultdict(deque)

    def reset(self):
        with self.lock:
            self.paid.clear()
            self.calls.clear()
            self.script.clear()

    def queue(self, gateway: str, op: str, *kinds: str):
        with self.lock:
            self.script[(gateway, op)].extend(kinds)

    def next(self, gateway: str, op: str) -> str | None:
        with self.lock:
            q = self.script.get((gateway, op))
            return q.popleft() if q else None

    def payments_for(self, account: str) -> list[tuple[str, str]]:
        """Upstream payments (gateway, attempt id) booked for this account."""
        with self.lock:
            return [k for k, o in self.paid.items() if o.account == account]

    def ops(self, op: str) -> list[tuple[str, str, str]]:
        return [c for c in self.calls if c[1] == op]


BOOK = Book()


def _ex(op: str, order: Order, reply: str) -> tuple[Exchange, ...]:
    return (Exchange(op, f"double://{op}", f"id={order.attempt_id}", 200, reply, 3),)


class DoubleAdapter(Adapter):
    code = PROTOCOL

    def _reply(self, op: str, order: Order) -> str:
        BOOK.calls.append((self.config.code, op, order.attempt_id))
        return BOOK.next(self.config.code, op) or "default"

    def _result(self, op: str, kind: str, order: Order) -> Result:
        ex = _ex(op, order, kind)
        if kind == "ok":
            return Result(Outcome.OK, "0", "ok", upstream_id=f"U{order.attempt_id}", exchanges=ex)
        if kind == "decline":
            return Result(Outcome.DECLINED, "23", "no such account", exchanges=ex)
        if kind == "reroute":
            return Result(Outcome.DECLINED, "45", "no licence for this recipient", reroutable=True, exchanges=ex)
        if kind in ("retry", "not_registered"):
            return Result(Outcome.RETRY, "24", "no connection to the recipient", exchanges=ex)
        if kind in ("timeout", "lost", "pending"):
            return Result(Outcome.UNKNOWN, "transport" if kind != "pending" else "pending", kind, exchanges=ex)
        if kind == "config":
            return Result(Outcome.CONFIG, "6", "bad signature", exchanges=ex)
        if kind == "garbage":
            raise ValueError("unparseable reply")
        raise AssertionError(kind)

    def check(self, order: Order) -> Result:
        kind = self._reply("check", order)
        return self._result("check", "ok" if kind == "default" else kind, order)

    def pay(self, order: Order) -> Result:
        kind = self._reply("pay", order)
        kind = "ok" if kind == "default" else kind
        if kind in ("ok", "timeout", "garbage"):
            # The gateway took it; with "timeout"/"garbage" we just never learn that in time.
            with BOOK.lock:
                BOOK.paid.setdefault((self.config.code, order.attempt_id), order)
        return self._result("pay", kind, order)

    def status(self, order: Order) -> Result:
        kind = self._reply("status", order)
        if kind == "default":
            with BOOK.lock:
                kind = "ok" if (self.config.code, order.attempt_id) in BOOK.paid else "not_registered"
        return self._result("status", kind, order)

"""Store-and-forward: post finished payments until the server has them, however long that takes.

A payment is marked sent only on 201 or 200 (200: the server already had it, e.g. after a crash
between its answer and our mark). 400 and 409 are kept with the server's answer, shown on the service
screen and reported in the heartbeat: never dropped, never resent as they are. Anything else (no
network, 5xx, 503 after the client's own retries, 401) waits with exponential backoff and jitter.
"""

from __future__ import annotations

import logging
import random
import threading

import httpx

from .crash import crash_point
from .money import iso, local_now
from .store import Payment, Store

log = logging.getLogger(__name__)

BATCH_LIMIT = 50
KEEP = (400, 409)


def _code(body: dict) -> str:
    err = body.get("error") if isinstance(body, dict) else None
    return err.get("code", "") if isinstance(err, dict) else ""


class Sender:
    def __init__(self, *, store: Store, client, link, base: float = 2.0, cap: float = 300.0,
                 interval: float = 2.0, rng: random.Random | None = None):
        self.store = store
        self.client = client
        self.link = link
        self.base = base
        self.cap = cap
        self.interval = interval
        self.rng = rng or random.Random()
        self.failures = 0
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def backoff(self) -> float:
        """The wait after `failures` failures in a row: base * 2^(n-1), at most cap, times 0.5-1.5 (jitter)."""
        if self.failures == 0:
            return self.interval
        delay = min(self.cap, self.base * (2 ** (self.failures - 1)))
        return delay * self.rng.uniform(0.5, 1.5)

    def send_once(self) -> int:
        """Post what waits (one alone, or a batch); returns how many the server now has. Raises nothing."""
        waiting = self.store.outbox(BATCH_LIMIT)
        if not waiting:
            return 0
        self.store.attempted([p.txn for p in waiting])
        crash_point("sending")
        try:
            if len(waiting) == 1:
                response = self.client.post_payment(waiting[0].doc)
                results = [(waiting[0], response.status_code, _json(response))]
            else:
                response = self.client.post_batch([p.doc for p in waiting])
                if response.status_code != 200:
                    return self._failed(f"batch answered {response.status_code}")
                by_txn = {p.txn: p for p in waiting}
                results = [(by_txn[r["txn"]], r["http_status"], r["body"]) for r in _json(response)["results"]
                           if r.get("txn") in by_txn]
        except (httpx.HTTPError, OSError, ValueError, KeyError) as exc:
            return self._failed(f"{type(exc).__name__}: {exc}")
        if len(waiting) == 1 and results[0][1] not in (200, 201) + KEEP:
            return self._failed(f"answered {results[0][1]} {_code(results[0][2])}")
        crash_point("sent_before_mark")
        self.link.ok()
        self.failures = 0
        done = 0
        for payment, status, body in results:
            done += self._record(payment, status, body)
        return done

    def _record(self, payment: Payment, status: int, body: dict) -> int:
        now = iso(local_now())
        if status in (200, 201):
            self.store.mark_sent(txn=payment.txn, http_status=status, body=body, now=now)
            log.info("sender: txn %s recorded by the server (%d, %s)", payment.txn, status, body.get("status"))
            return 1
        if status in KEEP:
            self.store.mark_rejected(txn=payment.txn, http_status=status, code=_code(body), body=body, now=now)
            log.error("sender: txn %s refused with %d %s: kept for support", payment.txn, status, _code(body))
            return 0
        log.warning("sender: txn %s answered %d in a batch: will retry", payment.txn, status)
        return 0

    def _failed(self, why: str) -> int:
        self.failures += 1
        self.link.fail()
        log.warning("sender: server not reached (%s); failure %d in a row", why, self.failures)
        return 0

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.send_once()
            except Exception:  # the sender must outlive any surprise; the payments stay in the store
                log.exception("sender")
                self.failures += 1
            delay = self.backoff() if self.failures else self.interval
            self.wake.wait(delay)
            self.wake.clear()


def _json(response: httpx.Response) -> dict:
    try:
        return response.json()
    except ValueError:
        return {}

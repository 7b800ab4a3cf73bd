"""Attempts and the endings they lead to: create, fill and read attempts; succeed; fail with refund.

Shared by submission, polling, status checks and the operator actions. The waits between
tries are in payments/services/waits.py, the choice of the next gateway in routing.py.

Every function here runs inside the caller's transaction with the payment row locked
(payment before dealer, so two workers never deadlock); none of them calls a gateway.
"""

from __future__ import annotations

import logging
import secrets
import time
from decimal import Decimal

from django.utils import timezone

from dealers.models import LedgerEntry
from dealers.services import ledger_post, reward_accrue_for_payment
from gateways.adapters.base import Order, Outcome, Result
from gateways.models import Route
from kit import rows

from ..models import Attempt, Payment, Status
from .transition import payment_transition, transition_add

log = logging.getLogger("kit.payments.engine")

OPEN = Attempt.State.OPEN
CLOSED = Attempt.State.CLOSED


# --- attempts ---------------------------------------------------------------------------
def new_attempt_id() -> str:
    """18 digits: milliseconds since the epoch (13) + 5 random digits. Uniqueness is the DB's job."""
    return f"{int(time.time() * 1000) % 10**13:013d}{secrets.randbelow(10**5):05d}"


def attempt_add(chain: rows.Chain, *, payment: Payment, route: Route) -> rows.Step:
    """A fresh attempt row with a new attempt id, as a step of `chain`. Uniqueness is the database's:
    on a clash the step writes nothing (ON CONFLICT DO NOTHING, the transaction still usable) and
    the caller draws again."""
    return chain.insert(Attempt, {"payment": payment, "gateway": route.gateway, "attempt_id": new_attempt_id(),
                                  "remote_id": route.remote_id, "round": payment.round}, on_conflict="attempt_id")


def order_for(payment: Payment, attempt: Attempt) -> Order:
    return Order(attempt_id=attempt.attempt_id, remote_id=attempt.remote_id, account=payment.account,
                 amount=payment.amount, credited=payment.credited, paid_at=payment.paid_at,
                 terminal=payment.terminal.number, fields=dict(payment.fields or {}),
                 upstream_id=attempt.upstream_id)


def attempt_fill(attempt: Attempt, result: Result, *, close: bool, extra_ms: int = 0,
                 chain: rows.Chain | None = None, after: rows.Step | None = None,
                 where: dict | None = None) -> rows.Step:
    """Write a gateway answer onto the attempt (exchanges appended, secrets already masked); with
    `chain`, as one of the caller's writes (it runs them). A missing row is an error, unless the
    write is conditional: `after` a step, or compare-and-set on `where` (then the returned step says
    whether it wrote)."""
    attempt.outcome = str(result.outcome)
    attempt.result_code = (result.code or "")[:32]
    attempt.message = (result.message or "")[:255]
    if result.upstream_id:
        attempt.upstream_id = result.upstream_id[:64]
    attempt.exchange = list(attempt.exchange or []) + [e.as_dict() for e in result.exchanges]
    if not attempt.polls:
        # The submission's own latency (check + pay); status polls do not add to it.
        attempt.duration_ms = sum(e.ms for e in result.exchanges) + extra_ms
    if close:
        attempt.state = CLOSED
        attempt.finished_at = timezone.now()
    writes = chain or rows.Chain()
    conditional = after is not None or where is not None
    filled = writes.update(Attempt, attempt.pk, {name: getattr(attempt, name) for name in _FILLED}, where=where,
                           after=after, expect="" if conditional else f"attempt {attempt.pk} is gone")
    if chain is None:
        writes.run()
    return filled


_FILLED = ("outcome", "result_code", "message", "upstream_id", "exchange", "duration_ms", "state", "finished_at", "polls")


def attempt_history(payment: Payment) -> list[tuple[int, str, str]]:
    """(gateway_id, state, outcome) of each attempt of the payment's current round, in one query.

    Earlier rounds ended before support resent the payment: their declines and retries are
    history, not a reason to skip a gateway now. An open attempt is always closed before a
    round ends (a payment is resent only from `failed`).
    """
    return list(payment.attempts.filter(round=payment.round).values_list("gateway_id", "state", "outcome"))


# --- endings ----------------------------------------------------------------------------
def succeed(payment: Payment, *, actor: str, detail: dict, chain: rows.Chain | None = None) -> rows.Step:
    """Succeed, and write the reward shares of the dealer chain in the same transaction (no dealer row
    locked), in one round trip with the transition and with the caller's `chain` when given (the
    caller runs it). Returns the transition's step: `written` once it ran and the payment moved."""
    writes = chain or rows.Chain()
    moved = transition_add(writes, payment=payment, to=Status.SUCCEEDED, actor=actor, reason="", detail=detail,
                           next_try_at=None, leased_until=None)
    reward_accrue_for_payment(payment=payment, chain=writes, after=moved)
    if chain is None:
        writes.run()
    return moved


def fail(payment: Payment, *, reason: str, actor: str, detail: dict) -> bool:
    """Fail to the correction queue and give the dealer the credited sum back, exactly once."""
    if not payment_transition(payment=payment, to=Status.FAILED, actor=actor, reason=reason, detail=detail,
                              next_try_at=None, leased_until=None):
        return False
    refund(payment, actor=actor)
    log.info("payment %s failed: %s %s", payment.pk, reason, detail)
    return True


def refund(payment: Payment, *, actor: str) -> LedgerEntry | None:
    """Credit back what this payment still holds debited (nothing when it nets zero already)."""
    kinds = [LedgerEntry.Kind.PAYMENT_DEBIT, LedgerEntry.Kind.PAYMENT_CREDIT]
    # Summed here, not with Sum(): SQLite adds decimals as floats.
    net = sum(LedgerEntry.objects.filter(payment=payment, kind__in=kinds).values_list("amount", flat=True),
              Decimal("0"))
    if net >= 0:
        return None
    return ledger_post(dealer_id=payment.dealer_id, kind=LedgerEntry.Kind.PAYMENT_CREDIT, amount=-net,
                       payment=payment, comment=f"{payment.cheque_number} {payment.reason}")


def result_detail(attempt: Attempt, result: Result, step: str) -> dict:
    return {"gateway": attempt.gateway.code, "attempt": attempt.attempt_id, "step": step,
            "outcome": str(result.outcome), "code": result.code, "message": result.message[:255],
            "upstream_id": result.upstream_id}


def call_safely(fn, order: Order, *, on_error: Outcome) -> Result:
    """Run one adapter call; an adapter that raises (a bug, a reply it cannot parse) becomes a result.

    `on_error` is RETRY for a check (it registers nothing) and UNKNOWN for pay and status
    (the request may have been taken upstream).
    """
    try:
        return fn(order)
    except Exception as exc:  # noqa: BLE001 - the engine must record something, never die half-way
        log.exception("adapter %s raised on attempt %s", getattr(fn, "__qualname__", fn), order.attempt_id)
        return Result(on_error, "adapter_error", f"{type(exc).__name__}: {exc}"[:255])

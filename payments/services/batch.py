"""Acceptance of a batch: the same rules as one payment, a few statements for the whole batch.

A kiosk back from an outage uploads its backlog in batches of up to 500. Each item is judged
exactly as `payment_accept` judges it, and each still answers for itself (201 new, 200 the
first answer to a repeat, 409 a txn used for other content). The writes go per table:

1. one SELECT of the batch's txns already recorded for this terminal (repeats answer from it);
2. one conditional UPDATE debiting the dealer the sum of the accepted ones, when balance and
   credit limit cover it all (else each is debited in order as a single payment would be,
   and those that do not fit wait `held`), run before the INSERT so the dealer's row is
   locked before the payments' unique slots, as in the single acceptance;
3. one INSERT of the new payments;
4. one INSERT of their ledger entries, one of their first events;
5. after commit, one message for all the accepted ones (payments.tasks.submit_many fans it
   out to the gateway queue), not one publish per payment.

A concurrent request inserting one of the txns rolls the whole of it back and the batch is
accepted item by item through `payment_accept`, where each item is its own transaction; the
view does the same on any other failure but a database outage (terminals/api/views.py), so a
bad item never spoils the others.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from dealers.models import Dealer, LedgerEntry
from kit.money import rub
from providers import selectors as catalogue

from ..errors import Reason, TxnConflict
from ..messages import submit_many_on_commit
from ..models import Event, Payment, Status
from . import accept as single
from .accept import PaymentRequest, _accepted_lease, _debit, payment_accept

log = logging.getLogger(__name__)


@dataclass
class Item:
    request: PaymentRequest
    digest: str
    payment: Payment | None = None
    created: bool = False
    error: Exception | None = None


def payments_accept(*, terminal, requests: list[PaymentRequest]) -> list[tuple[Payment, bool] | Exception]:
    """Accept each request; per request (payment, created), or the TxnConflict it raised."""
    items = [Item(r, r.content_hash()) for r in requests]
    if not items:
        return []
    try:
        with transaction.atomic():
            _accept_together(terminal, items)
    except IntegrityError as exc:
        log.info("batch of %d for terminal %s: accepted item by item (%s)", len(items), terminal.number, exc)
        return _one_by_one(terminal, items)
    return [i.error if i.error is not None else (i.payment, i.created) for i in items]


def _one_by_one(terminal, items: list[Item]) -> list:
    out = []
    for item in items:
        try:
            out.append(payment_accept(terminal=terminal, request=item.request))
        except TxnConflict as exc:
            out.append(exc)
    return out


def _accept_together(terminal, items: list[Item]) -> None:
    now = timezone.now()
    snap = catalogue.snapshot()
    txns = [i.request.txn for i in items]
    known = {p.txn: p for p in Payment.objects.select_related("provider").filter(terminal=terminal, txn__in=txns)}
    fresh: list[tuple[Item, str, dict]] = []
    seen: dict[str, Item] = {}
    rows = []
    for item in items:
        req = item.request
        first = known.get(req.txn) or (seen[req.txn].payment if req.txn in seen else None)
        if first is not None:
            if first.content_hash != item.digest:
                item.error = TxnConflict(f"txn {req.txn} was already used for another payment")
            else:
                item.payment = first
            continue
        provider = catalogue.provider_by_code(req.provider_code, snap)
        detail: dict = {}
        amount, fee, credited, reward, flags, status, reason = single._judge(terminal, req, provider, now, snap, detail)
        item.payment = Payment(
            terminal=terminal, dealer_id=terminal.dealer_id, txn=req.txn, provider=provider,
            provider_code=req.provider_code, account=req.account, fields=req.fields,
            amount=amount, fee=fee, credited=credited, reward=reward, status=status, reason=reason,
            flags=[str(f) for f in flags], content_hash=item.digest,
            cheque_number=f"{terminal.number}-{req.txn}", paid_at=req.paid_at,
            finished_at=now if status == Status.FAILED else None,
            leased_until=now + _accepted_lease() if status == Status.ACCEPTED else None,
        )
        item.created = True
        seen[req.txn] = item
        rows.append(item.payment)
        fresh.append((item, status, detail))
    if not rows:
        return
    # The dealer's row first, then the payments' unique slots: the order the single acceptance's
    # statement takes them in (accept_sql.py), so a batch and a single post of the same txn
    # never wait on each other in a circle.
    debited = [i.payment for i, status, _ in fresh if status == Status.ACCEPTED and i.payment.credited > 0]
    balance = _debit_total(terminal, debited)
    Payment.objects.bulk_create(rows)
    if balance is not None:
        _ledger_all(terminal, debited, balance)
    else:
        _debit_each(debited)
    actor = f"terminal:{terminal.number}"
    Event.objects.bulk_create([
        Event(payment=i.payment, from_status="", to_status=i.payment.status, reason=i.payment.reason, actor=actor,
              detail={"flags": i.payment.flags, **detail})
        for i, _, detail in fresh])
    accepted = [i.payment.pk for i, _, _ in fresh if i.payment.status == Status.ACCEPTED]
    if accepted:
        submit_many_on_commit(accepted)


def _debit_total(terminal, debited: list[Payment]) -> Decimal | None:
    """Debit the sum of `debited` in one conditional UPDATE when balance + credit limit cover it all;
    the balance after it, or None (nothing debited) when it does not fit or there is nothing to debit."""
    if not debited:
        return None
    total = rub(sum((p.credited for p in debited), rub(0)))
    table = Dealer._meta.db_table
    with transaction.get_connection().cursor() as cur:
        cur.execute(
            # As ledger_debit_covered: one conditional UPDATE checks, moves and reads the balance
            # under the row lock it takes.
            f"UPDATE {table} SET balance = balance - CAST(%s AS NUMERIC) "  # noqa: S608 - our table name
            f"WHERE id = %s AND balance + credit_limit >= CAST(%s AS NUMERIC) RETURNING balance",
            [total, terminal.dealer_id, total])
        row = cur.fetchone()
    if row is None:
        return None
    return rub(row[0] if not isinstance(row[0], float | int) else str(row[0]))


def _ledger_all(terminal, debited: list[Payment], balance: Decimal) -> None:
    """The entries of a sum debited at once, read as if posted one after another (balance_after in order)."""
    after = balance + sum((p.credited for p in debited), rub(0))
    entries = []
    for p in debited:
        after -= p.credited
        entries.append(LedgerEntry(dealer_id=terminal.dealer_id, kind=LedgerEntry.Kind.PAYMENT_DEBIT,
                                   amount=-p.credited, balance_after=after, payment=p,
                                   comment=p.cheque_number[:255]))
    LedgerEntry.objects.bulk_create(entries)


def _debit_each(debited: list[Payment]) -> None:
    """Not all of it fits: each in order, as single payments would be; what does not fit waits held."""
    for p in debited:
        if not _debit(p):
            p.status, p.reason, p.leased_until = Status.HELD, Reason.INSUFFICIENT_BALANCE, None
            p.save(update_fields=["status", "reason", "leased_until"])

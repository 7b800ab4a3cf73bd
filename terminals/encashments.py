"""Encashments (cash collections): record what the kiosk posts, link its txns, compare the cash.

Recording never touches a payment or a dealer balance: no ledger entry, no payment state.
Txns the server does not know yet (an offline kiosk posts the collection before its queue)
stay pending on the encashment and are linked later by `encashment_links_sweep` (a beat
task) or when someone opens the encashment, never inside payment acceptance.
"""

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from kit.money import ZERO, fmt, rub
from payments.models import Payment

from .models import Encashment, EncashmentTxn, Terminal, TerminalAudit

log = logging.getLogger(__name__)

# Bounds of one posted encashment: txns in it, notes of one face value.
MAX_TXNS = 5000
MAX_NOTES = 100_000


class EncashmentConflict(Exception):
    """The kiosk's id was used for an encashment with other content."""


@dataclass(frozen=True)
class EncashmentRequest:
    """A posted encashment, parsed and checked (total == sum of notes, ruble notes only)."""

    kiosk_id: uuid.UUID
    opened_at: datetime
    closed_at: datetime
    notes: dict[str, int]
    total: Decimal
    txns: tuple[str, ...]

    def content_hash(self) -> str:
        doc = {"id": str(self.kiosk_id), "opened_at": self.opened_at.timestamp(),
               "closed_at": self.closed_at.timestamp(),
               "notes": {k: v for k, v in sorted(self.notes.items(), key=lambda kv: int(kv[0])) if v},
               "total": fmt(self.total), "txns": sorted(set(self.txns))}
        return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def encashment_record(*, terminal: Terminal, request: EncashmentRequest) -> tuple[Encashment, bool]:
    """Record the encashment once per kiosk id; returns (row, created).

    The same content again returns the first row (created False); other content under the
    same id raises EncashmentConflict. Known txns are linked at once, the rest stay pending.
    """
    digest = request.content_hash()
    notes = {k: v for k, v in sorted(request.notes.items(), key=lambda kv: int(kv[0])) if v}
    txns = sorted(set(request.txns), key=lambda t: (len(t.lstrip("0")), t.lstrip("0"), t))
    try:
        with transaction.atomic():
            row = Encashment.objects.create(
                terminal=terminal, kiosk_id=request.kiosk_id, opened_at=request.opened_at,
                closed_at=request.closed_at, notes=notes, notes_count=sum(notes.values()),
                total=rub(request.total), content_hash=digest)
            known = dict(Payment.objects.filter(terminal=terminal, txn__in=txns).values_list("txn", "pk"))
            now = timezone.now()
            EncashmentTxn.objects.bulk_create([
                EncashmentTxn(encashment=row, terminal=terminal, txn=t, payment_id=known.get(t),
                              linked_at=now if t in known else None) for t in txns], batch_size=1000)
    except IntegrityError:
        row = Encashment.objects.filter(terminal=terminal, kiosk_id=request.kiosk_id).first()
        if row is None:  # pragma: no cover - an integrity error of another kind
            raise
        if row.content_hash != digest:
            raise EncashmentConflict(str(request.kiosk_id)) from None
        return row, False
    log.info("terminal %s: encashment %s, %s notes, %s, %s txns (%s pending)", terminal.number, row.kiosk_id,
             row.notes_count, row.total, len(txns), len(txns) - len(known))
    return row, True


def encashment_links_sweep(*, terminal_id: int | None = None, encashment_id: int | None = None,
                           limit: int = 5000) -> int:
    """Link pending txns whose payments have arrived since; returns how many were linked.

    Safe to run twice and alongside itself: a row is linked only while it is still pending.
    """
    pending = EncashmentTxn.objects.filter(payment__isnull=True)
    if terminal_id is not None:
        pending = pending.filter(terminal_id=terminal_id)
    if encashment_id is not None:
        pending = pending.filter(encashment_id=encashment_id)
    rows = list(pending.order_by("id").values_list("id", "terminal_id", "txn")[:limit])
    by_terminal: dict[int, list[tuple[int, str]]] = {}
    for pk, tid, txn in rows:
        by_terminal.setdefault(tid, []).append((pk, txn))
    linked = 0
    now = timezone.now()
    for tid, items in by_terminal.items():
        found = dict(Payment.objects.filter(terminal_id=tid, txn__in=[t for _, t in items])
                     .values_list("txn", "pk"))
        for pk, txn in items:
            if txn in found:
                linked += EncashmentTxn.objects.filter(pk=pk, payment__isnull=True).update(
                    payment_id=found[txn], linked_at=now)
    if linked:
        log.info("encashments: %s pending txns linked to their payments", linked)
    return linked


def encashment_counted_set(*, encashment: Encashment, amount: Decimal, by) -> Encashment:
    """Record the cash the bank counted for this encashment (a dealer user's entry); audited."""
    amount = rub(amount)
    if amount < 0:
        raise ValueError("a counted amount is not negative")
    now = timezone.now()
    with transaction.atomic():
        Encashment.objects.filter(pk=encashment.pk).update(counted_amount=amount, counted_by=by, counted_at=now)
        TerminalAudit.objects.create(terminal_id=encashment.terminal_id, action="encashment_counted", user=by,
                                     detail={"encashment": encashment.pk, "counted": fmt(amount),
                                             "previous": fmt(encashment.counted_amount)
                                             if encashment.counted_amount is not None else None})
    encashment.counted_amount, encashment.counted_by, encashment.counted_at = amount, by, now
    return encashment


# --- reads -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reconciliation:
    """The encashment's figures: notes vs the cash recorded on its linked payments, and the bank's count."""

    notes_total: Decimal
    recorded: Decimal
    linked: int
    pending: int
    counted: Decimal | None

    @property
    def difference(self) -> Decimal:
        """Notes minus recorded cash: above zero, more cash than payments; below, cash missing."""
        return self.notes_total - self.recorded

    @property
    def counted_difference(self) -> Decimal | None:
        """Counted at the bank minus the notes, once entered."""
        return None if self.counted is None else self.counted - self.notes_total


def encashments_annotated(qs):
    """Each encashment with the recorded cash (every status: a failed payment's cash is in the cassette
    too), the number of linked and of pending txns."""
    return qs.annotate(
        recorded=Sum("txns__payment__amount", default=ZERO),
        linked=Count("txns", filter=Q(txns__payment__isnull=False)),
        pending=Count("txns", filter=Q(txns__payment__isnull=True)),
    )


def reconciliation(encashment: Encashment) -> Reconciliation:
    agg = EncashmentTxn.objects.filter(encashment=encashment).aggregate(
        recorded=Sum("payment__amount", default=ZERO),
        linked=Count("id", filter=Q(payment__isnull=False)),
        pending=Count("id", filter=Q(payment__isnull=True)))
    return Reconciliation(notes_total=encashment.total, recorded=rub(agg["recorded"]), linked=agg["linked"],
                          pending=agg["pending"], counted=encashment.counted_amount)


def notes_lines(encashment: Encashment) -> list[tuple[int, int, Decimal]]:
    """(face value, notes, sum) per face value, smallest first, as the slip prints them."""
    return [(int(k), v, rub(int(k) * v)) for k, v in sorted(encashment.notes.items(), key=lambda kv: int(kv[0]))]


def previous_encashment(encashment: Encashment) -> Encashment | None:
    """The terminal's collection before this one: the slip's period starts where it ended."""
    return (Encashment.objects.filter(terminal_id=encashment.terminal_id, closed_at__lt=encashment.closed_at)
            .order_by("-closed_at", "-id").first())

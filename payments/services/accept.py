"""Acceptance: a signed, well-formed payment is always recorded, exactly once."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dealers.models import LedgerEntry
from dealers.services import ledger_debit_covered
from kit.money import ZERO, rub
from providers import selectors as catalogue

from ..errors import Flag, Reason, TxnConflict
from ..locks import lock_payment
from ..messages import submit_on_commit
from ..models import Event, Payment, Status
from . import accept_sql
from .transition import payment_note, payment_transition

CLOCK_SKEW_TOLERANCE = timedelta(minutes=5)


def _accepted_lease() -> timedelta:
    """How long the sweeper leaves a newly accepted payment to its on-commit message."""
    return timedelta(seconds=settings.KIT_STUCK_ACCEPTED_SECONDS)


@dataclass(frozen=True)
class PaymentRequest:
    """A payment as the terminal sent it, already parsed and well-formed."""

    txn: str
    provider_code: str
    account: str
    amount: Decimal
    paid_at: datetime
    fields: dict = field(default_factory=dict)
    fee: Decimal | None = None
    credited: Decimal | None = None

    def content_hash(self) -> str:
        """Same content -> same hash; compared when a txn comes again."""
        doc = {
            "provider": self.provider_code,
            "account": self.account,
            "amount": f"{rub(self.amount):.2f}",
            "paid_at": self.paid_at.astimezone(UTC).isoformat(),
            "fields": self.fields,
            "fee": None if self.fee is None else f"{rub(self.fee):.2f}",
            "credited": None if self.credited is None else f"{rub(self.credited):.2f}",
        }
        raw = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(raw.encode()).hexdigest()


def _existing(terminal, req: PaymentRequest, digest: str) -> Payment | None:
    payment = Payment.objects.select_related("provider").filter(terminal=terminal, txn=req.txn).first()
    if payment is not None and payment.content_hash != digest:
        raise TxnConflict(f"txn {req.txn} was already used for another payment")
    return payment


def _judge(terminal, req: PaymentRequest, provider, now, snap, detail: dict):
    """Amounts, flags, and the status and reason the payment starts with (before the balance).

    Adds to `detail` what the first event should say beyond the reason (the failing field).
    """
    dealer = terminal.dealer
    flags = []
    if req.paid_at - now > CLOCK_SKEW_TOLERANCE:
        flags.append(Flag.CLOCK_SKEW)
    amount = rub(req.amount)
    if provider is None:
        fee = rub(req.fee) if req.fee is not None else ZERO
        credited = rub(req.credited) if req.credited is not None else amount - fee
        return amount, fee, credited, ZERO, flags, Status.FAILED, Reason.UNKNOWN_PROVIDER

    q = catalogue.quote(provider=provider, dealer=dealer, amount=amount, at=req.paid_at, snap=snap)
    fee, credited = q.fee, q.credited
    if req.fee is not None and req.credited is not None:
        # What the cheque promised the customer wins; a difference is flagged for the dealer.
        fee, credited = rub(req.fee), rub(req.credited)
        if (fee, credited) != (q.fee, q.credited):
            flags.append(Flag.FEE_MISMATCH)
    # The quote already holds the reward on its own credited sum; ask again only for printed values.
    reward = q.reward if credited == q.credited else catalogue.reward_for(
        provider=provider, dealer=dealer, credited=credited, at=req.paid_at, snap=snap)

    bad_field = catalogue.fields_invalid(provider, req.account, req.fields, snap)
    if bad_field is not None:
        detail["field"] = bad_field  # the event names the field support must correct
        return amount, fee, credited, reward, flags, Status.FAILED, Reason.ACCOUNT_FORMAT
    if catalogue.account_blacklisted(provider, req.account, snap):
        return amount, fee, credited, reward, flags, Status.FAILED, Reason.BLACKLISTED_ACCOUNT
    if not (provider.min_amount <= amount <= provider.max_amount):
        return amount, fee, credited, reward, flags, Status.FAILED, Reason.AMOUNT_OUT_OF_LIMITS
    if credited < provider.min_amount:
        return amount, fee, credited, reward, flags, Status.FAILED, Reason.AMOUNT_BELOW_MINIMUM
    if terminal.status == terminal.Status.BLOCKED:
        return amount, fee, credited, reward, flags, Status.HELD, Reason.TERMINAL_BLOCKED
    if not provider.is_active:
        return amount, fee, credited, reward, flags, Status.HELD, Reason.PROVIDER_DISABLED
    return amount, fee, credited, reward, flags, Status.ACCEPTED, ""


def _debit(payment: Payment) -> bool:
    """Debit the credited sum if balance + credit limit allow it (dealer row locked)."""
    if payment.credited <= 0:  # the whole cash went to the fee: nothing to debit
        return True
    entry = ledger_debit_covered(dealer_id=payment.dealer_id, amount=payment.credited,
                                 kind=LedgerEntry.Kind.PAYMENT_DEBIT, payment=payment,
                                 comment=payment.cheque_number)
    return entry is not None


def payment_accept(*, terminal, request: PaymentRequest) -> tuple[Payment, bool]:
    """Record the payment (or return the one already recorded for this txn).

    Returns (payment, created). Raises TxnConflict when the txn was used for other
    content. One transaction: payment row, event row, ledger debit; submission is queued
    on commit.
    """
    digest = request.content_hash()
    # No look-up first: the insert is the check. The usual post is new, so this saves a
    # query on the hot path; a repeat pays for the judging and answers from the row.
    now = timezone.now()
    snap = catalogue.snapshot()
    provider = catalogue.provider_by_code(request.provider_code, snap)
    detail: dict = {}
    amount, fee, credited, reward, flags, status, reason = _judge(terminal, request, provider, now, snap, detail)
    payment = Payment(
        terminal=terminal, dealer_id=terminal.dealer_id, txn=request.txn, provider=provider,
        provider_code=request.provider_code, account=request.account, fields=request.fields,
        amount=amount, fee=fee, credited=credited, reward=reward, status=status, reason=reason,
        flags=[str(f) for f in flags], content_hash=digest,
        cheque_number=f"{terminal.number}-{request.txn}", paid_at=request.paid_at,
        finished_at=now if status == Status.FAILED else None,
        # The on-commit message is on its way: the sweeper leaves it alone until then.
        leased_until=now + _accepted_lease() if status == Status.ACCEPTED else None,
    )
    event = Event(from_status="", to_status=status, reason=reason, actor=f"terminal:{terminal.number}",
                  detail={"flags": payment.flags, **detail})
    try:
        if accept_sql.supported():
            debit = payment.credited if status == Status.ACCEPTED and payment.credited > 0 else None
            accept_sql.payment_insert(payment=payment, event=event, debit=debit, now=now)
        else:
            _insert_orm(payment, event)
    except IntegrityError:
        # Another request with the same txn won the insert; answer as it did.
        existing = _existing(terminal, request, digest)
        if existing is None:
            raise
        return existing, False
    if payment.status == Status.ACCEPTED:
        submit_on_commit(payment.pk)  # at once in autocommit; after the caller's commit inside one
    return payment, True


def _insert_orm(payment: Payment, event: Event) -> None:
    """The acceptance writes through the ORM (SQLite; accept_sql.py does them in one statement on
    PostgreSQL): payment, debit and ledger entry when accepted, first event, one transaction."""
    with transaction.atomic():
        payment.save(force_insert=True)
        if payment.status == Status.ACCEPTED and not _debit(payment):
            payment.status, payment.reason, payment.leased_until = Status.HELD, Reason.INSUFFICIENT_BALANCE, None
            payment.save(update_fields=["status", "reason", "leased_until"])
        event.payment, event.to_status, event.reason = payment, payment.status, payment.reason
        event.save(force_insert=True)


def payment_held_resume(*, dealer_id: int, actor: str = "worker") -> list[int]:
    """Resume this dealer's held payments whose cause has passed, oldest first, while money lasts.

    Causes that pass: a top-up (insufficient balance), the provider enabled again, the
    terminal unblocked. A payment resumes only when its terminal is active and its provider
    enabled, and it is debited then (a held payment never was). Returns the ids resumed.
    Each resumes in its own transaction (payment locked, then the dealer); the first that
    does not fit the balance stops the run, so order is kept (it waits as
    `insufficient_balance`).
    """
    resumable = [Reason.INSUFFICIENT_BALANCE, Reason.PROVIDER_DISABLED, Reason.TERMINAL_BLOCKED]
    resumed = []
    ids = list(Payment.objects.filter(dealer_id=dealer_id, status=Status.HELD, reason__in=resumable)
               .order_by("received_at", "pk").values_list("pk", flat=True))
    for pk in ids:
        with transaction.atomic():
            payment = lock_payment(pk)
            if payment.status != Status.HELD or payment.reason not in resumable:
                continue
            if (payment.terminal.status != payment.terminal.Status.ACTIVE or payment.provider is None
                    or not payment.provider.is_active):
                continue
            if not _debit(payment):
                if payment.reason != Reason.INSUFFICIENT_BALANCE:
                    Payment.objects.filter(pk=pk).update(reason=Reason.INSUFFICIENT_BALANCE)
                    payment_note(payment=payment, actor=actor, reason=Reason.INSUFFICIENT_BALANCE)
                break
            why = {Reason.INSUFFICIENT_BALANCE: "balance_topped_up", Reason.PROVIDER_DISABLED: "provider_enabled",
                   Reason.TERMINAL_BLOCKED: "terminal_unblocked"}[payment.reason]
            payment_transition(payment=payment, to=Status.ACCEPTED, actor=actor, reason=why,
                               leased_until=timezone.now() + _accepted_lease())
            submit_on_commit(payment.pk)
        resumed.append(pk)
    return resumed

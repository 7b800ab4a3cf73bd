"""Claim operations: register, link, step through the workflow, escalate, mark overdue.

Each service owns its transaction and writes the claim's history row in it; an action on a
claim that touches a payment also leaves the operator audit row on that payment.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kit.roles import SENIOR
from payments.locks import lock_payment
from payments.models import Payment
from payments.models import Status as PaymentStatus
from support.services import audit_record

from . import deadline, selectors
from .errors import ClaimError, Code
from .locks import lock_claim, lock_counter
from .models import Claim, ClaimCounter, Outcome, OverdueNotice, Status, Step

log = logging.getLogger(__name__)

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.REGISTERED: frozenset({Status.INVESTIGATING, Status.REJECTED}),
    Status.INVESTIGATING: frozenset({Status.RESOLVED, Status.REJECTED}),
    Status.RESOLVED: frozenset(),
    Status.REJECTED: frozenset(),
}
# The payment state each outcome needs; `explained` stands whatever the payment did.
OUTCOME_NEEDS = {Outcome.CREDITED: PaymentStatus.SUCCEEDED, Outcome.REFUNDED: PaymentStatus.CANCELLED}
# A clock a few seconds ahead of the server's is not "the future".
CLOCK_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class Cheque:
    """What the customer's cheque says, as the operator typed it."""

    terminal: str = ""
    txn: str = ""
    paid_at: datetime | None = None
    amount: Decimal | None = None
    account: str = ""
    provider: str = ""


def _lock_year(year: int) -> ClaimCounter:
    """The year's counter row, locked until the caller's transaction ends: registrations of a year
    queue behind each other, and a rollback gives the number back."""
    counter = lock_counter(year)
    if counter is None:
        try:
            with transaction.atomic():
                ClaimCounter.objects.create(year=year, last=0)
        except IntegrityError:
            pass  # another registration created it first; its commit released it to us
        counter = lock_counter(year)
    return counter


def _take_number(counter: ClaimCounter) -> str:
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"CL-{counter.year}-{counter.last:06d}"


def claim_register(*, user, customer_name: str, customer_phone: str, ask: str, text: str,
                   received_at: datetime, cheque: Cheque, payment: Payment | None = None,
                   customer_email: str = "", scan=None, scan_type: str = "", comment: str = "",
                   request_key: str | None = None, now: datetime | None = None) -> Claim:
    """Register a claim with its number and deadline; link the payment given or the one the cheque names.

    `request_key` (the form's one-time key): the same key again returns the claim it registered.
    """
    now = now or timezone.now()
    if received_at > now + CLOCK_SLACK:
        raise ClaimError(Code.RECEIVED_IN_FUTURE)
    if payment is None and cheque.terminal and cheque.txn:
        payment = selectors.payment_by_cheque(terminal=cheque.terminal, txn=cheque.txn)
    year = received_at.astimezone(deadline.company_tz()).year
    saved_scan = None
    try:
        with transaction.atomic():
            counter = _lock_year(year)
            # Checked under the year's lock, so a double submit waits for the first and finds it.
            if request_key and (first := Claim.objects.filter(request_key=request_key).first()):
                return first
            claim = Claim(
                number=_take_number(counter), request_key=request_key or None, payment=payment, dealer_id=payment.dealer_id if payment else None,
                cheque_terminal=cheque.terminal, cheque_txn=cheque.txn, cheque_paid_at=cheque.paid_at,
                cheque_amount=cheque.amount, cheque_account=cheque.account, cheque_provider=cheque.provider,
                customer_name=customer_name.strip(), customer_phone=customer_phone,
                customer_email=customer_email, ask=ask, text=text,
                privacy_notice=settings.KIT_PRIVACY_NOTICE_VERSION, received_at=received_at,
                due_at=deadline.due_at(received_at), registered_by=user, scan_type=scan_type if scan else "")
            if scan is not None:
                claim.scan.save(f"{claim.number}.{scan_type.split('/')[-1]}", scan, save=False)
                saved_scan = claim.scan.name
            claim.save()
            with translation.override(settings.LANGUAGE_CODE):  # history is written in the site's language
                note = comment.strip() or _("Claim registered.")
            Step.objects.create(claim=claim, kind=Step.Kind.REGISTERED, to_status=Status.REGISTERED, user=user,
                                comment=note)
            if payment is not None:
                audit_record(user=user, action="claim_register", payment=payment,
                             after={"claim": claim.number}, comment=comment)
    except BaseException:
        if saved_scan:
            claim.scan.storage.delete(saved_scan)
        raise
    return claim


def claim_link_payment(*, claim: Claim, payment: Payment, user, comment: str) -> Claim:
    """Link the claim to the payment its cheque describes (once; a claim names one payment)."""
    if not comment.strip():
        raise ClaimError(Code.COMMENT_REQUIRED)
    with transaction.atomic():
        locked = lock_claim(claim.pk)
        if locked.payment_id == payment.pk:
            return locked
        if not locked.is_open:
            raise ClaimError(Code.CLAIM_CLOSED)
        if locked.payment_id is not None:
            raise ClaimError(Code.ALREADY_LINKED)
        locked.payment, locked.dealer_id = payment, payment.dealer_id
        locked.save(update_fields=["payment", "dealer"])
        Step.objects.create(claim=locked, kind=Step.Kind.LINKED, user=user, comment=comment.strip(),
                            from_status=locked.status, to_status=locked.status)
        audit_record(user=user, action="claim_link", payment=payment, after={"claim": locked.number},
                     comment=comment.strip())
    return locked


def claim_transition(*, claim: Claim, to: str, user, comment: str, outcome: str = "", answer: str = "",
                     now: datetime | None = None) -> Claim:
    """Move the claim one step of the workflow; resolving checks the outcome against the payment.

    The same step again (a double click) changes nothing and returns the claim as it is.
    """
    if not comment.strip():
        raise ClaimError(Code.COMMENT_REQUIRED)
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_claim(claim.pk)
        if locked.status == to:
            return locked
        if to not in TRANSITIONS.get(locked.status, ()):
            raise ClaimError(Code.ILLEGAL_TRANSITION)
        fields = ["status"]
        if to in (Status.RESOLVED, Status.REJECTED):
            if not answer.strip():
                raise ClaimError(Code.ANSWER_REQUIRED)
            locked.answer, locked.answered_at, locked.answered_by = answer.strip(), now, user
            fields += ["answer", "answered_at", "answered_by"]
        if to == Status.RESOLVED:
            if outcome not in Outcome.values:
                raise ClaimError(Code.OUTCOME_REQUIRED)
            needed = OUTCOME_NEEDS.get(outcome)
            if needed is not None:
                if locked.payment_id is None:
                    raise ClaimError(Code.PAYMENT_REQUIRED)
                # Locked (claim, then payment) so a correction cannot change it under the check.
                if lock_payment(locked.payment_id, joined=False).status != needed:
                    raise ClaimError(Code.OUTCOME_CONTRADICTS_PAYMENT)
            locked.outcome = outcome
            fields.append("outcome")
        old, locked.status = locked.status, to
        locked.save(update_fields=fields)
        Step.objects.create(claim=locked, kind=to, from_status=old, to_status=to, user=user,
                            comment=comment.strip())
    return locked


def claim_escalate(*, claim: Claim, user, gateway, reference: str, happened_at: datetime, comment: str) -> Step:
    """Record that the payment was taken up with a gateway: which, when, and their reference."""
    if not comment.strip():
        raise ClaimError(Code.COMMENT_REQUIRED)
    with transaction.atomic():
        locked = lock_claim(claim.pk)
        if not locked.is_open:
            raise ClaimError(Code.CLAIM_CLOSED)
        step = Step.objects.create(claim=locked, kind=Step.Kind.ESCALATED, user=user, comment=comment.strip(),
                                   gateway=gateway, reference=reference.strip(), happened_at=happened_at,
                                   from_status=locked.status, to_status=locked.status)
    return step


def _senior_addresses() -> list[str]:
    users = get_user_model().objects.filter(groups__name=SENIOR, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _send_overdue_mail(claim_id: int, day, recipients: list[str]) -> None:
    claim = Claim.objects.get(pk=claim_id)
    with translation.override(settings.LANGUAGE_CODE):
        tz = deadline.company_tz()
        subject = _("Claim %(number)s is overdue") % {"number": claim.number}
        body = _("Claim %(number)s (%(name)s) was due by %(due)s and has not been answered. "
                 "Status: %(status)s.") % {
            "number": claim.number, "name": claim.customer_name, "status": claim.get_status_display(),
            "due": claim.due_at.astimezone(tz).strftime("%d.%m.%Y %H:%M")}
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except Exception:
        # Forget today's notice so the next hourly run tries again.
        log.exception("overdue mail for claim %s failed", claim.number)
        OverdueNotice.objects.filter(claim_id=claim_id, day=day).delete()


def claims_overdue_mark(*, now: datetime | None = None) -> list[Claim]:
    """Mark open claims past their deadline overdue and e-mail senior support once per claim per day.

    Safe to run any number of times: the (claim, day) notice row is unique, and the mail is sent
    after that row commits. Returns the claims notified by this run.
    """
    now = now or timezone.now()
    today = now.astimezone(deadline.company_tz()).date()
    recipients = _senior_addresses()
    notified = []
    due = Claim.objects.filter(status__in=[Status.REGISTERED, Status.INVESTIGATING], due_at__lt=now)
    for claim_id in due.order_by("due_at").values_list("pk", flat=True):
        with transaction.atomic():
            claim = lock_claim(claim_id)
            if not claim.is_open:
                continue
            if claim.overdue_since is None:
                claim.overdue_since = now
                claim.save(update_fields=["overdue_since"])
                with translation.override(settings.LANGUAGE_CODE):
                    note = _("The answer deadline passed without an answer.")
                Step.objects.create(claim=claim, kind=Step.Kind.OVERDUE, comment=note,
                                    from_status=claim.status, to_status=claim.status)
            try:
                with transaction.atomic():
                    OverdueNotice.objects.create(claim=claim, day=today, sent_to=recipients)
            except IntegrityError:
                continue
            if recipients:
                transaction.on_commit(partial(_send_overdue_mail, claim.pk, today, recipients))
        notified.append(claim)
    return notified

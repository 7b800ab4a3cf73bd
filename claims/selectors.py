"""Claim reads: lists, the dashboard, payment matching, and the dealer's scope."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.shortcuts import get_object_or_404

from dealers.access import scope_dealers
from dealers.models import Dealer
from kit.money import rub
from payments.models import Payment

from . import deadline
from .models import Claim, Status

OPEN = (Status.REGISTERED, Status.INVESTIGATING)
CLOSED = (Status.RESOLVED, Status.REJECTED)


def payment_by_cheque(*, terminal: str, txn: str) -> Payment | None:
    """The payment a cheque names: the terminal's number and its transaction number."""
    return (Payment.objects.select_related("terminal", "dealer", "provider")
            .filter(terminal__number=terminal.strip(), txn=txn.strip()).first())


def payment_candidates(*, account: str, amount, paid_on: date | None, limit: int = 10) -> list[Payment]:
    """Payments that could be the cheque's when terminal + txn match nothing: same account and amount,
    paid within a day of the cheque's date."""
    if not account or amount is None:
        return []
    qs = Payment.objects.select_related("terminal", "provider").filter(account=account.strip(), amount=rub(amount))
    if paid_on is not None:
        tz = deadline.company_tz()
        start = datetime.combine(paid_on - timedelta(days=1), datetime.min.time(), tzinfo=tz)
        qs = qs.filter(paid_at__gte=start, paid_at__lt=start + timedelta(days=3))
    return list(qs.order_by("-paid_at")[:limit])


def claim_list(*, status: str = "", operator_id: int | None = None, dealer_id: int | None = None) -> QuerySet[Claim]:
    qs = Claim.objects.select_related("dealer", "registered_by", "payment")
    if status == "open":
        qs = qs.filter(status__in=OPEN)
    elif status:
        qs = qs.filter(status=status)
    if operator_id:
        qs = qs.filter(registered_by_id=operator_id)
    if dealer_id:
        qs = qs.filter(dealer_id=dealer_id)
    return qs.order_by("due_at", "id")


def claim_get(number: str) -> Claim:
    return get_object_or_404(Claim.objects.select_related("payment__terminal", "payment__provider",
                                                          "payment__dealer", "dealer", "registered_by",
                                                          "answered_by"), number=number)


def claims_overdue_count(now: datetime) -> int:
    return Claim.objects.filter(status__in=OPEN, due_at__lt=now).count()


def scope_claims(dealer: Dealer) -> QuerySet[Claim]:
    """Claims about payments in the dealer's subtree (a claim not linked to a payment is nobody's yet)."""
    return Claim.objects.filter(dealer__in=scope_dealers(dealer))


def access_claim(dealer: Dealer, pk: int) -> Claim:
    return get_object_or_404(scope_claims(dealer).select_related("payment__terminal", "payment__provider"), pk=pk)


@dataclass(frozen=True)
class MonthShare:
    label: str
    answered: int
    in_time: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.in_time / self.answered) if self.answered else None


@dataclass(frozen=True)
class Dashboard:
    counts: dict[str, int]
    overdue: int
    this_month: MonthShare
    last_month: MonthShare
    median_hours: float | None


def _month_share(label: str, start: datetime, end: datetime) -> MonthShare:
    qs = Claim.objects.filter(status__in=CLOSED, answered_at__gte=start, answered_at__lt=end)
    row = qs.aggregate(answered=Count("id"), in_time=Count("id", filter=Q(answered_at__lte=F("due_at"))))
    return MonthShare(label=label, answered=row["answered"], in_time=row["in_time"])


def claims_dashboard(now: datetime) -> Dashboard:
    """Counts per status, the share answered in time this month and last, the median time to answer
    (claims answered in the last 90 days), in the company's time zone."""
    tz = deadline.company_tz()
    local = now.astimezone(tz)
    this_start = datetime(local.year, local.month, 1, tzinfo=tz)
    last_start = datetime(local.year - (local.month == 1), 12 if local.month == 1 else local.month - 1, 1, tzinfo=tz)
    next_start = datetime(local.year + (local.month == 12), 1 if local.month == 12 else local.month + 1, 1, tzinfo=tz)
    counts = {s: 0 for s in Status.values}
    counts.update(dict(Claim.objects.values_list("status").annotate(n=Count("id")).order_by()))
    durations = [
        (answered - received).total_seconds() / 3600
        for received, answered in Claim.objects.filter(
            status__in=CLOSED, answered_at__gte=now - timedelta(days=90)).values_list("received_at", "answered_at")
    ]
    return Dashboard(
        counts=counts, overdue=claims_overdue_count(now),
        this_month=_month_share(f"{this_start:%m.%Y}", this_start, next_start),
        last_month=_month_share(f"{last_start:%m.%Y}", last_start, this_start),
        median_hours=round(statistics.median(durations), 1) if durations else None,
    )

"""Reads for the correction actions: what a payment offers, the approvals list, the bulk selection."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from payments.errors import Reason
from payments.models import Attempt, Payment, Status
from support.models import ActionRequest

A = ActionRequest.Action
BULK_LIMIT = 500  # one confirm page resends at most this many (oldest first)


def actions_available(payment: Payment) -> list[str]:
    """The actions the payment's state allows now, in the order the page offers them (one query)."""
    open_attempt = payment.attempts.filter(state=Attempt.State.OPEN).exists()
    if payment.status == Status.FAILED and not open_attempt:
        if payment.reason == Reason.BLACKLISTED_ACCOUNT:
            return [A.CANCEL]
        return [A.RESEND, A.CORRECT, A.CANCEL]
    if payment.status == Status.HELD and not open_attempt:
        return [A.CANCEL]
    if payment.status == Status.PROCESSING and open_attempt:
        return [A.POLL, A.RESOLVE]
    if payment.status == Status.SUCCEEDED:
        return [A.REVERSE]
    return []


def requests_pending(*, payment: Payment | None = None):
    qs = (ActionRequest.objects.filter(state=ActionRequest.State.PENDING)
          .select_related("payment", "requested_by", "payment__provider", "payment__dealer").order_by("id"))
    return qs.filter(payment=payment) if payment is not None else qs


def requests_decided(limit: int = 20):
    now = timezone.now()
    return list(ActionRequest.objects.exclude(state=ActionRequest.State.PENDING, expires_at__gt=now)
                .select_related("payment", "requested_by", "decided_by").order_by("-id")[:limit])


def bulk_selection(*, reason: str = "", gateway: str = "", provider: str = "", dealer: int | None = None,
                   age=None) -> tuple[list[int], Decimal, int]:
    """Failed payments of the queue matching its filter, oldest first: (ids, sum of cash, total matching).

    Only `failed` payments can be resent; the ids are capped at BULK_LIMIT.
    """
    qs = Payment.objects.filter(status=Status.FAILED)
    if reason:
        qs = qs.filter(reason=reason)
    if gateway:
        qs = qs.filter(gateway__code=gateway)
    if provider:
        qs = qs.filter(provider__code=provider)
    if dealer:
        qs = qs.filter(dealer_id=dealer)
    if age is not None:
        qs = qs.filter(received_at__lte=timezone.now() - age)
    total = qs.count()
    rows = list(qs.order_by("received_at", "pk").values_list("pk", "amount")[:BULK_LIMIT])
    return [pk for pk, _ in rows], sum((amount for _, amount in rows), Decimal("0")), total

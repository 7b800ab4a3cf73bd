"""Status polling of a payment's open attempt: reserve -> status call -> record, like submission.

The open attempt is one whose outcome is not known: a timeout or an ambiguous answer on
pay, a configuration error, or a worker that died between reserve and record. Only that
gateway's status decides it (docs/architecture.md): success, a definitive decline, "never
arrived" (then the payment may be sent again, same gateway first), or still unknown (poll
again later, seconds at first, then minutes, for a day before support is asked to look).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gateways.adapters.base import Outcome
from gateways.breaker import breaker_record
from gateways.services import adapter_for
from kit.db import db_release

from ..locks import lock_payment
from ..models import Attempt, Payment, Status
from . import outcomes
from .record import apply_result


def payment_poll(*, payment_id: int, actor: str = "worker") -> Payment | None:
    """Ask the gateway about the payment's open attempt, if a poll is due; record what it says."""
    now = timezone.now()
    with transaction.atomic():
        try:
            payment = lock_payment(payment_id)
        except Payment.DoesNotExist:
            return None
        if payment.status != Status.PROCESSING:
            return None
        if payment.next_try_at is not None and payment.next_try_at > now:
            return None
        attempt = payment.attempts.filter(state=Attempt.State.OPEN).order_by("-pk").first()
        if attempt is None:
            return None
        attempt.polls += 1
        attempt.save(update_fields=["polls"])
        # The poll's own lease: a poller that dies is polled again when it ends.
        Payment.objects.filter(pk=payment.pk).update(
            next_try_at=now + timedelta(seconds=settings.KIT_ATTEMPT_LEASE_SECONDS), leased_until=None)
        order = outcomes.order_for(payment, attempt)
        gateway = attempt.gateway
        attempt_pk = attempt.pk
    db_release()  # no connection held while the gateway answers
    result = outcomes.call_safely(adapter_for(gateway).status, order, on_error=Outcome.UNKNOWN)
    with transaction.atomic():
        payment = lock_payment(payment_id)
        attempt = Attempt.objects.select_for_update().get(pk=attempt_pk)
        if attempt.state != Attempt.State.OPEN or payment.status != Status.PROCESSING:
            return payment
        breaker_record(gateway, result)
        apply_result(payment, attempt, result, step="status", actor=actor)
    return payment

"""Row locks on payments. Order: payment before dealer; bulk locks by pk."""

from .models import Payment


def lock_payment(payment_id: int) -> Payment:
    """Select the payment FOR UPDATE; the caller must be inside a transaction."""
    return Payment.objects.select_for_update().get(pk=payment_id)

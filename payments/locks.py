"""Row locks on payments. Order: payment before dealer; bulk locks by pk."""

from .models import Payment

JOINED = ("provider", "dealer", "terminal")


def lock_payment(payment_id: int, *, joined: bool = True) -> Payment:
    """Select the payment FOR UPDATE; the caller must be inside a transaction.

    `joined`: its provider, dealer and terminal come in the same statement (routing and the
    gateway order read all three); a caller that only records an answer passes False and
    loads one lazily in the rare path that needs it. Only the payment row is locked
    (`of=self`): the dealer row is locked, when a balance changes, by the ledger's own
    conditional UPDATE (the payment-before-dealer order holds).
    """
    qs = Payment.objects.select_for_update(of=("self",))
    return (qs.select_related(*JOINED) if joined else qs).get(pk=payment_id)

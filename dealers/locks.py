"""Row locks on dealers. Order: payment before dealer (one fixed order, so two workers never deadlock)."""

from .models import Dealer


def lock_dealer(dealer_id: int) -> Dealer:
    """Select the dealer FOR UPDATE; the caller must be inside a transaction."""
    return Dealer.objects.select_for_update().get(pk=dealer_id)


def lock_dealers(dealer_ids) -> dict[int, Dealer]:
    """Select several dealers FOR UPDATE in primary-key order (two transfers never deadlock)."""
    return {d.pk: d for d in Dealer.objects.select_for_update().filter(pk__in=list(dealer_ids)).order_by("pk")}

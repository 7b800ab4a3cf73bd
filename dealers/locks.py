"""Row locks on dealers. Order: payment before dealer (STYLE.md rule 7)."""

from .models import Dealer


def lock_dealer(dealer_id: int) -> Dealer:
    """Select the dealer FOR UPDATE; the caller must be inside a transaction."""
    return Dealer.objects.select_for_update().get(pk=dealer_id)

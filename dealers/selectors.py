"""Reads scoped to a dealer's subtree."""

from django.db.models import QuerySet

from .models import Dealer, DealerUser


def dealer_subtree(dealer: Dealer) -> QuerySet[Dealer]:
    """The dealer itself and every sub-agent below it, at any depth."""
    return Dealer.objects.filter(path__startswith=dealer.path)


def dealer_for_user(user) -> Dealer | None:
    """The dealer a cabinet user belongs to, or None for staff without one."""
    if not user.is_authenticated:
        return None
    link = DealerUser.objects.select_related("dealer").filter(user=user).first()
    return link.dealer if link else None

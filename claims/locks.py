"""Row locks for claims. Order: the claim before its payment; the year's counter on its own."""

from .models import Claim, ClaimCounter


def lock_claim(claim_id: int) -> Claim:
    """Select the claim FOR UPDATE; the caller must be inside a transaction."""
    return Claim.objects.select_for_update().get(pk=claim_id)


def lock_counter(year: int) -> ClaimCounter | None:
    return ClaimCounter.objects.select_for_update().filter(year=year).first()

"""Context processor: the console's banner while any claim is past its deadline unanswered."""

from django.core.cache import cache
from django.utils import timezone

from kit.nav import user_roles

from .access import STAFF
from .selectors import claims_overdue_count

CACHE_SECONDS = 60


def overdue_banner(request):
    """`claims_overdue`: how many open claims are overdue, for staff on the console's pages only."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not request.path.startswith("/support/"):
        return {}
    if not user_roles(user) & STAFF:
        return {}
    count = cache.get("kit:claims:overdue")
    if count is None:
        count = claims_overdue_count(timezone.now())
        # One count a minute for every operator's page views; the banner may lag by that much.
        cache.set("kit:claims:overdue", count, CACHE_SECONDS)
    return {"claims_overdue": count}

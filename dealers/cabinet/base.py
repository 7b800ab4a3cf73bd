"""What every cabinet view shares: the viewer's dealer, time zone and language."""

import functools
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone, translation

from ..models import DealerUser
from ..services import balance_is_low


def viewer_tz(link: DealerUser) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(link.time_zone or link.dealer.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Moscow")


def cabinet_view(view=None, *, viewer_may_post: bool = False):
    """Log-in required; a user without a dealer link gets a clear page (403), not an error.

    Sets request.dealer, request.dealer_link and request.tz, and activates the viewer's time
    zone and language for the response. A `dealer viewer` is read-only: every POST is refused
    (403, before any lookup) unless the view is marked `viewer_may_post` (the own account page).
    """
    if view is None:
        return functools.partial(cabinet_view, viewer_may_post=viewer_may_post)

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        link = DealerUser.objects.select_related("dealer").filter(user=request.user).first()
        if link is None:
            return render(request, "cabinet/no_dealer.html", status=403)
        request.dealer_link = link
        request.dealer = link.dealer
        request.tz = viewer_tz(link)
        request.can_change = link.role == DealerUser.Role.ADMIN
        timezone.activate(request.tz)
        if link.language:
            translation.activate(link.language)
            request.LANGUAGE_CODE = link.language
        if request.method == "POST" and not request.can_change and not viewer_may_post:
            timezone.deactivate()
            return render(request, "cabinet/read_only.html", status=403)
        request.balance_low = balance_is_low(link.dealer)
        try:
            return view(request, *args, **kwargs)
        finally:
            timezone.deactivate()

    return wrapper


def query_without(request, *names) -> str:
    """The current GET query without `names` (for pagination and export links)."""
    q = request.GET.copy()
    for name in names:
        q.pop(name, None)
    return q.urlencode()

"""What every cabinet view shares: the viewer's dealer, time zone and language."""

import functools
import zoneinfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone, translation

from ..models import DealerUser


def viewer_tz(link: DealerUser) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(link.time_zone or link.dealer.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Moscow")


def cabinet_view(view):
    """Log-in required; a user without a dealer link gets a clear page (403), not an error.

    Sets request.dealer, request.dealer_link and request.tz, and activates the viewer's time
    zone and language for the response.
    """

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        link = DealerUser.objects.select_related("dealer").filter(user=request.user).first()
        if link is None:
            return render(request, "cabinet/no_dealer.html", status=403)
        request.dealer_link = link
        request.dealer = link.dealer
        request.tz = viewer_tz(link)
        timezone.activate(request.tz)
        if link.language:
            translation.activate(link.language)
            request.LANGUAGE_CODE = link.language
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

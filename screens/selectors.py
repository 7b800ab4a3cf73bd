"""Reads: themes and ads a dealer may use, and what a terminal's /config carries of them."""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.urls import reverse

from .models import Ad, ScreenImage, Theme, ThemeAssignment

AHEAD = timedelta(hours=24)


def _chain(dealer) -> list[int]:
    """The dealer and its ancestors (from the materialised path)."""
    return [int(x) for x in dealer.path.strip("/").split("/") if x]


def scope_themes(dealer) -> QuerySet[Theme]:
    """Themes the dealer manages: its own subtree's (global ones are the admins')."""
    return Theme.objects.filter(dealer__path__startswith=dealer.path)


def themes_usable(dealer) -> QuerySet[Theme]:
    """Themes the dealer may assign: its own and its ancestors', and the global ones."""
    return Theme.objects.filter(Q(dealer__isnull=True) | Q(dealer_id__in=_chain(dealer))
                                | Q(dealer__path__startswith=dealer.path)).select_related("dealer", "logo")


def scope_ads(dealer) -> QuerySet[Ad]:
    return Ad.objects.filter(dealer__path__startswith=dealer.path)


def image_doc(image: ScreenImage | None) -> dict | None:
    if image is None:
        return None
    return {"url": reverse("screens:image", args=[image.sha256]), "sha256": image.sha256,
            "content_type": image.content_type, "width": image.width, "height": image.height}


def theme_doc(theme: Theme) -> dict:
    return {"id": theme.pk, "name": theme.name, "layout": theme.layout,
            "colors": {"background": theme.background, "text": theme.text, "accent": theme.accent,
                       "button_text": theme.button_text},
            "logo": image_doc(theme.logo)}


def terminal_theme(terminal) -> dict | None:
    row = (ThemeAssignment.objects.select_related("theme", "theme__logo").filter(terminal_id=terminal.pk).first())
    return theme_doc(row.theme) if row else None


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Moscow")


def ad_windows(ad: Ad, *, start: datetime, end: datetime, tz) -> list[tuple[datetime, datetime]]:
    """The ad's daily windows that overlap [start, end), as aware datetimes in `tz`."""
    out = []
    day: date = start.astimezone(tz).date() - timedelta(days=1)
    last: date = end.astimezone(tz).date()
    while day <= last:
        if ad.date_from <= day <= ad.date_to and str(day.isoweekday()) in ad.weekdays:
            lo = datetime.combine(day, ad.time_from, tzinfo=tz)
            hi = datetime.combine(day, ad.time_to, tzinfo=tz) if ad.time_to != time(0) else \
                datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
            if lo < end and hi > start:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def ad_doc(ad: Ad, time_zone: str) -> dict:
    return {"id": ad.pk, "name": ad.name, "kind": ad.kind, "text": ad.text if ad.kind == Ad.Kind.TEXT else "",
            "image": image_doc(ad.image) if ad.kind == Ad.Kind.IMAGE else None, "position": ad.position,
            "schedule": {"date_from": ad.date_from.isoformat(), "date_to": ad.date_to.isoformat(),
                         "weekdays": [int(d) for d in sorted(ad.weekdays)],
                         "time_from": ad.time_from.strftime("%H:%M"), "time_to": ad.time_to.strftime("%H:%M"),
                         "time_zone": time_zone}}


def terminal_ads(terminal, *, now: datetime) -> list[dict]:
    """The ads shown on `terminal` at some moment of the next 24 hours, with their whole schedules.

    The kiosk shows each ad only inside its windows (also offline); an ad enters this list a
    day ahead of its first window and leaves it when its last window ends, which changes the
    config's ETag at those boundaries.
    """
    dealer = terminal.dealer
    tz = _zone(dealer.time_zone)
    end = now + AHEAD
    qs = (Ad.objects.filter(is_active=True, date_to__gte=now.astimezone(tz).date() - timedelta(days=1),
                            date_from__lte=end.astimezone(tz).date())
          .filter(Q(terminals=terminal) | Q(all_terminals=True, dealer__isnull=True)
                  | Q(all_terminals=True, dealer_id__in=_chain(dealer)))
          .select_related("image").distinct().order_by("id"))
    return [ad_doc(ad, dealer.time_zone) for ad in qs if ad_windows(ad, start=now, end=end, tz=tz)]

"""The answer deadline as the Civil Code counts periods (arts. 191 and 193).

The period starts on the day after receipt, runs KIT_CLAIM_DAYS calendar days and ends at the
end of its last day in the company's time zone; a last day that is not a working day moves to
the next working day. Working days: Monday to Friday, except the production calendar's rows.
"""

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.conf import settings

from .models import CalendarDay


def company_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.KIT_CLAIM_TIME_ZONE)


def calendar_exceptions(first: date, last: date) -> dict[date, str]:
    return dict(CalendarDay.objects.filter(day__gte=first, day__lte=last).values_list("day", "kind"))


def is_working(day: date, exceptions: dict[date, str]) -> bool:
    kind = exceptions.get(day)
    if kind is not None:
        return kind == CalendarDay.Kind.WORKDAY
    return day.weekday() < 5


def due_date(received: date, days: int | None = None) -> date:
    """The last day to answer a claim received on `received` (a local date)."""
    days = settings.KIT_CLAIM_DAYS if days is None else days
    last = received + timedelta(days=days)
    # New Year holidays plus weekends never reach a month; 60 days is a generous horizon.
    exceptions = calendar_exceptions(last, last + timedelta(days=60))
    while not is_working(last, exceptions):
        last += timedelta(days=1)
    return last


def due_at(received_at: datetime, days: int | None = None) -> datetime:
    """The end of the deadline's last day (23:59:59.999999 in the company's time zone), aware."""
    tz = company_tz()
    last = due_date(received_at.astimezone(tz).date(), days)
    return datetime.combine(last, time.max, tzinfo=tz)


def days_left(due: datetime, now: datetime) -> int:
    """Whole days from today to the deadline's day, in the company's time zone (negative: overdue)."""
    tz = company_tz()
    return (due.astimezone(tz).date() - now.astimezone(tz).date()).days

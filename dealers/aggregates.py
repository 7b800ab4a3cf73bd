"""Daily aggregates for reports, and the report reads that combine them with today's live rows.

A day is the dealer's local date of the payment's `received_at` (when the platform recorded it
and debited the balance). Finished days are rebuilt whole by a task (never by acceptance,
which stays one lean transaction); a day is rebuilt again when a later payment event touches
one of its payments (a late success, a refund). Days without a build — today, or a day the
task has not reached yet — are read live from the payments table, so a report is always
complete.
"""

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from kit.money import ZERO
from payments.models import Event, Payment, Status

from .models import AggregateCursor, AggregateDay, DailyAggregate, Dealer

SUMS = ("amount", "fee", "credited", "reward")
# Turnover counts what reached the provider.
TURNOVER_STATUSES = (Status.SUCCEEDED,)
GROUPS = {"day": "day", "provider": "provider_id", "terminal": "terminal_id", "agent": "dealer_id"}


def day_bounds(day: date, tz: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a local day as aware datetimes (DST-safe: each midnight computed alone)."""
    return (datetime.combine(day, time.min, tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz))


def aggregates_rebuild_day(*, time_zone: str, day: date) -> int:
    """Recount one day of every dealer in `time_zone` from the payments; returns rows written."""
    tz = zoneinfo.ZoneInfo(time_zone)
    start, end = day_bounds(day, tz)
    rows = (Payment.objects.filter(dealer__time_zone=time_zone, received_at__gte=start, received_at__lt=end)
            .order_by().values("dealer_id", "terminal_id", "provider_id", "status")
            .annotate(n=Count("id"), **{f"s_{k}": Sum(k) for k in SUMS}))
    objs = [DailyAggregate(day=day, dealer_id=r["dealer_id"], terminal_id=r["terminal_id"],
                           provider_id=r["provider_id"], status=r["status"], count=r["n"],
                           **{k: r[f"s_{k}"] or ZERO for k in SUMS}) for r in rows]
    with transaction.atomic():
        dealer_ids = Dealer.objects.filter(time_zone=time_zone).values("pk")
        DailyAggregate.objects.filter(day=day, dealer_id__in=dealer_ids).delete()
        DailyAggregate.objects.bulk_create(objs, batch_size=1000)
        AggregateDay.objects.update_or_create(time_zone=time_zone, day=day,
                                              defaults={"built_at": timezone.now()})
    return len(objs)


def _stale_days(last_event_id: int, upto_event_id: int) -> set[tuple[str, date]]:
    """(time zone, day) of built days whose payments had an event in (last, upto]."""
    if upto_event_id <= last_event_id:
        return set()
    now = timezone.now()
    zones = set(Dealer.objects.values_list("time_zone", flat=True).distinct())
    # Only payments received before today's local midnight can belong to a finished day; the
    # latest midnight over the zones bounds them all (the rest is dropped below).
    bound = max(day_bounds(now.astimezone(zoneinfo.ZoneInfo(z)).date(), zoneinfo.ZoneInfo(z))[0] for z in zones)
    touched = (Event.objects.filter(id__gt=last_event_id, id__lte=upto_event_id, payment__received_at__lt=bound)
               .values_list("payment__received_at", "payment__dealer__time_zone").distinct())
    days = set()
    for received_at, zone in touched:
        tz = zoneinfo.ZoneInfo(zone)
        day = received_at.astimezone(tz).date()
        if day < now.astimezone(tz).date():
            days.add((zone, day))
    built = set(AggregateDay.objects.filter(day__in={d for _, d in days}).values_list("time_zone", "day"))
    return days & built


def aggregates_refresh() -> dict:
    """Build every finished day not built yet and rebuild the days later events touched.

    Safe to run twice: a rebuild replaces the day's rows. Returns {"built": n, "rebuilt": n}.
    """
    now = timezone.now()
    cursor, _ = AggregateCursor.objects.get_or_create(name="aggregates")
    upto = Event.objects.aggregate(m=Max("id"))["m"] or 0
    stale = _stale_days(cursor.last_event_id, upto)
    for zone, day in sorted(stale):
        aggregates_rebuild_day(time_zone=zone, day=day)
    built = 0
    first = Payment.objects.aggregate(m=Min("received_at"))["m"]
    if first is not None:
        for zone in set(Dealer.objects.values_list("time_zone", flat=True).distinct()):
            tz = zoneinfo.ZoneInfo(zone)
            today = now.astimezone(tz).date()
            day = first.astimezone(tz).date()
            done = set(AggregateDay.objects.filter(time_zone=zone, day__gte=day).values_list("day", flat=True))
            while day < today:
                if day not in done:
                    aggregates_rebuild_day(time_zone=zone, day=day)
                    built += 1
                day += timedelta(days=1)
    AggregateCursor.objects.filter(pk=cursor.pk).update(last_event_id=upto)
    return {"built": built, "rebuilt": len(stale)}


@dataclass
class Totals:
    count: int = 0
    amount: Decimal = ZERO
    fee: Decimal = ZERO
    credited: Decimal = ZERO
    reward: Decimal = ZERO

    def add(self, row: dict) -> None:
        self.count += row["n"] or 0
        for k in SUMS:
            setattr(self, k, getattr(self, k) + (row[f"s_{k}"] or ZERO))


@dataclass
class Report:
    group: str
    rows: list[tuple[object, Totals]] = field(default_factory=list)  # (key, totals), in key order
    total: Totals = field(default_factory=Totals)


def _annotate(qs, key: str | None):
    fields = [key] if key else []
    return qs.order_by().values(*fields).annotate(n=Count("id") if qs.model is Payment else Sum("count"),
                                                   **{f"s_{k}": Sum(k) for k in SUMS})


def report_build(*, dealer: Dealer, date_from: date, date_to: date, group: str | None,
                 statuses=TURNOVER_STATUSES, terminal_id: int | None = None) -> Report:
    """Turnover of `dealer`'s subtree for local days [date_from, date_to], grouped by `group`.

    Built days come from the daily aggregates, the others live from the payments, per time
    zone of the dealers (each dealer's days are its own local days).
    """
    key = GROUPS.get(group) if group else None
    merged: dict[object, Totals] = defaultdict(Totals)
    by_zone: dict[str, list[int]] = defaultdict(list)
    for pk, zone in Dealer.objects.filter(path__startswith=dealer.path).values_list("pk", "time_zone"):
        by_zone[zone].append(pk)
    for zone, ids in by_zone.items():
        tz = zoneinfo.ZoneInfo(zone)
        built = set(AggregateDay.objects.filter(time_zone=zone, day__gte=date_from, day__lte=date_to)
                    .values_list("day", flat=True))
        agg = DailyAggregate.objects.filter(dealer_id__in=ids, day__in=built, status__in=statuses)
        if terminal_id:
            agg = agg.filter(terminal_id=terminal_id)
        for row in _annotate(agg, key):
            merged[row[key] if key else None].add(row)
        # Live: the unbuilt days, as contiguous ranges (usually just today).
        day = date_from
        while day <= date_to:
            if day in built:
                day += timedelta(days=1)
                continue
            start_day = day
            while day <= date_to and day not in built:
                day += timedelta(days=1)
            start, _ = day_bounds(start_day, tz)
            end, _ = day_bounds(day, tz)
            live = Payment.objects.filter(dealer_id__in=ids, received_at__gte=start, received_at__lt=end,
                                          status__in=statuses)
            if terminal_id:
                live = live.filter(terminal_id=terminal_id)
            if key == "day":
                live = live.annotate(day=TruncDate("received_at", tzinfo=tz))
            for row in _annotate(live, key):
                merged[row[key] if key else None].add(row)
    report = Report(group=group or "")
    for k in sorted(merged, key=lambda x: (x is None, x)):
        report.rows.append((k, merged[k]))
        for attr in ("count", *SUMS):
            setattr(report.total, attr, getattr(report.total, attr) + getattr(merged[k], attr))
    return report

"""Reads for the reconciliation pages, and who may see or act on them.

Reconciliation is staff work: admins and senior support resolve, run and upload; support
views; everyone else (dealers included) gets a 404, so the pages do not reveal themselves.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from gateways.models import Gateway
from kit.roles import ADMIN, SENIOR, SUPPORT

from .models import Discrepancy, Reconciliation, ReconciliationEvent, RegistryUpload

RESOLVE_PERMISSION = "reconcile.resolve_discrepancy"


def _groups(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def can_view(user) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or bool(_groups(user) & {ADMIN, SENIOR, SUPPORT}) or user.has_perm(RESOLVE_PERMISSION)


def can_resolve(user) -> bool:
    """Resolve discrepancies, run a day, upload a registry: admins and senior support."""
    if not can_view(user):
        return False
    return user.is_superuser or bool(_groups(user) & {ADMIN, SENIOR}) or user.has_perm(RESOLVE_PERMISSION)


def reconciliation_list(*, gateway: str = "", status: str = "") -> QuerySet[Reconciliation]:
    qs = Reconciliation.objects.select_related("gateway")
    if gateway:
        qs = qs.filter(gateway__code=gateway)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-day", "gateway__code")


def gateway_get(code: str) -> Gateway:
    return get_object_or_404(Gateway, code=code)


def reconciliation_find(*, gateway: Gateway, day: dt.date) -> Reconciliation | None:
    return Reconciliation.objects.select_related("gateway", "upload").filter(gateway=gateway, day=day).first()


def discrepancies_for(rec: Reconciliation) -> QuerySet[Discrepancy]:
    """Open ones first, then by kind and key."""
    first = Case(When(state=Discrepancy.State.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (rec.discrepancies.select_related("payment", "payment__terminal", "resolved_by")
            .annotate(open_first=first).order_by("open_first", "kind", "key"))


def discrepancy_get(*, rec: Reconciliation, pk: int) -> Discrepancy:
    return get_object_or_404(Discrepancy, pk=pk, reconciliation=rec)


def events_for(rec: Reconciliation) -> QuerySet[ReconciliationEvent]:
    return rec.events.select_related("user", "discrepancy").order_by("-id")


def uploads_for(*, gateway: Gateway, day: dt.date) -> QuerySet[RegistryUpload]:
    return RegistryUpload.objects.filter(gateway=gateway, day=day).select_related("uploaded_by").defer("content")


def days_to_run(*, day: dt.date, recheck_days: int) -> list[tuple[int, dt.date]]:
    """(gateway id, day) pairs for the daily run: `day` for every active gateway, and the
    days of the last `recheck_days` before it that are still open or awaiting a registry."""
    pairs = {(gid, day) for gid in Gateway.objects.filter(is_active=True).values_list("pk", flat=True)}
    since = day - dt.timedelta(days=recheck_days)
    pairs |= set(Reconciliation.objects.filter(day__gte=since, day__lt=day, gateway__is_active=True)
                 .exclude(status=Reconciliation.Status.RECONCILED).values_list("gateway_id", "day"))
    return sorted(pairs, key=lambda p: (p[1], p[0]))

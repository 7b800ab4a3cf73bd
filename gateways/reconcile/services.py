"""Reconciliation operations: run a gateway's day, take an uploaded registry, resolve a discrepancy.

A run gets the registry first, with no transaction open (a simulator is fetched over
HTTP), then compares and writes in one short transaction under the day's row lock, so two
runs of the same day never interleave and re-running is idempotent: a discrepancy is one
row per (day, kind, key), new ones are added, ones no longer seen are closed with a note,
resolved ones stay resolved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging

import httpx
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gateways.models import Gateway
from gateways.services import gateway_client
from payments.models import Attempt

from . import registry
from .compare import Finding, compare
from .errors import Code, ReconcileError
from .models import Discrepancy, Reconciliation, ReconciliationEvent, RegistryUpload

log = logging.getLogger(__name__)

Status = Reconciliation.Status
State = Discrepancy.State
EventKind = ReconciliationEvent.Kind
_CHUNK = 500  # keys per IN (...) query: under SQLite's parameter limit
# How late in the day an attempt may start and still be booked by the gateway the next day.
MIDNIGHT_MARGIN = dt.timedelta(minutes=10)
_REC_FIELDS = ["runs", "run_at", "last_error", "status", "source", "upload", "their_count", "their_paid_total",
               "our_count", "our_paid_total", "matched_count", "open_count", "discrepancy_count"]
_FIELDS = ("account", "our_amount", "our_status", "their_amount", "their_status", "upstream_id")


def _actor(by) -> str:
    return f"user:{by.get_username()}" if by is not None else "system"


def is_simulated(gateway: Gateway) -> bool:
    """The gateway is one of our simulators: its registry is fetched, not uploaded."""
    return bool(settings.KIT_SIMULATORS) and "/sim/" in gateway.base_url


def previous_day(now: dt.datetime | None = None) -> dt.date:
    """Yesterday in Moscow time: the day the daily run reconciles."""
    now = now or timezone.now()
    return now.astimezone(registry.MOSCOW).date() - dt.timedelta(days=1)


def registry_fetch(*, gateway: Gateway, day: dt.date) -> str:
    """GET the simulator's registry of `day`; ReconcileError(REGISTRY_UNAVAILABLE) if it fails."""
    url = gateway.base_url.rstrip("/") + "/registry"
    # A day's registry is bigger than a payment reply: allow it more than the pay read timeout.
    timeout = httpx.Timeout(max(gateway.read_timeout, 30.0), connect=gateway.connect_timeout)
    try:
        response = gateway_client().get(url, params={"date": day.isoformat()}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise ReconcileError(Code.REGISTRY_UNAVAILABLE, f"{type(exc).__name__}: {exc}"[:255]) from exc
    if response.status_code != 200:
        raise ReconcileError(Code.REGISTRY_UNAVAILABLE, f"HTTP {response.status_code} from {url}")
    return registry.decode(response.content)


def _latest_upload(gateway: Gateway, day: dt.date) -> RegistryUpload | None:
    return RegistryUpload.objects.filter(gateway=gateway, day=day).order_by("-uploaded_at", "-id").first()


def _registry_for(gateway: Gateway, day: dt.date):
    """(rows or None, source, upload, error): the latest upload wins, else the simulator."""
    upload = _latest_upload(gateway, day)
    if upload is not None:
        # Validated on upload; parsed again so the stored text is the one source of truth.
        return registry.parse(upload.content, day=day), Reconciliation.Source.UPLOAD, upload, ""
    if is_simulated(gateway):
        try:
            rows = registry.parse(registry_fetch(gateway=gateway, day=day), day=day)
        except ReconcileError as exc:
            return None, "", None, f"{exc.code}: {exc.message}"[:255]
        except registry.RegistryInvalid as exc:
            return None, "", None, f"{exc.code}: {exc}"[:255]
        return rows, Reconciliation.Source.SIMULATOR, None, ""
    return None, "", None, ""


def _booked_next_day(gateway: Gateway, day: dt.date) -> frozenset[str]:
    """Keys the gateway booked as paid early the next day, for our successful attempts started
    in the last minutes of `day`: a payment sent at 23:59:59 is in the next day's registry.

    Only fetched when there are such attempts; no registry for the next day yet -> nothing
    (they are reported missing, and the re-run of the following nights clears them).
    """
    _, end = registry.day_bounds(day)
    late = Attempt.objects.filter(gateway=gateway, state=Attempt.State.CLOSED, outcome="ok",
                                  started_at__gte=end - MIDNIGHT_MARGIN, started_at__lt=end)
    if not late.exists():
        return frozenset()
    rows, *_ = _registry_for(gateway, day + dt.timedelta(days=1))
    return frozenset(r.key for r in rows or () if r.status == registry.PAID and r.created_at < end + MIDNIGHT_MARGIN)


def _reconciliation_lock(gateway: Gateway, day: dt.date) -> Reconciliation:
    """The day's row, created if needed, locked for this transaction."""
    try:
        with transaction.atomic():
            rec = Reconciliation.objects.create(gateway=gateway, day=day)
    except IntegrityError:
        rec = Reconciliation.objects.get(gateway=gateway, day=day)
    return Reconciliation.objects.select_for_update().select_related("gateway").get(pk=rec.pk)


def _ours(gateway: Gateway, day: dt.date, keys: list[str]):
    by_key: dict[str, Attempt] = {}
    for i in range(0, len(keys), _CHUNK):
        for a in (Attempt.objects.filter(gateway=gateway, attempt_id__in=keys[i:i + _CHUNK])
                  .select_related("payment")):
            by_key[a.attempt_id] = a
    start, end = registry.day_bounds(day)
    our_day = list(Attempt.objects.filter(gateway=gateway, state=Attempt.State.CLOSED, outcome="ok",
                                          started_at__gte=start, started_at__lt=end)
                   .select_related("payment").order_by("id"))
    return by_key, our_day


def _event(rec, kind, *, by=None, actor=None, discrepancy=None, note="", **detail) -> None:
    ReconciliationEvent.objects.create(reconciliation=rec, discrepancy=discrepancy, kind=kind,
                                       actor=actor or _actor(by), user=by, note=note, detail=detail)


def _values(f: Finding) -> dict:
    return {"account": f.account, "our_amount": f.our_amount, "our_status": f.our_status,
            "their_amount": f.their_amount, "their_status": f.their_status, "upstream_id": f.upstream_id,
            "payment_id": f.payment_id, "detail": f.detail}


def _apply(rec: Reconciliation, findings: dict[tuple[str, str], Finding], *, now, by, actor) -> dict:
    counts = {"opened": 0, "closed": 0, "reopened": 0}
    existing = {(d.kind, d.key): d for d in rec.discrepancies.all()}
    for ident, f in findings.items():
        d = existing.get(ident)
        if d is None:
            d = Discrepancy.objects.create(reconciliation=rec, kind=f.kind, key=f.key, last_seen_at=now,
                                           **_values(f))
            _event(rec, EventKind.OPENED, by=by, actor=actor, discrepancy=d, kind_code=f.kind, key=f.key)
            counts["opened"] += 1
            continue
        before = {name: getattr(d, name) for name in _FIELDS}
        for name, value in _values(f).items():
            setattr(d, name, value)
        d.last_seen_at = now
        changed = {name: [str(before[name]), str(getattr(d, name))]
                   for name in _FIELDS if before[name] != getattr(d, name)}
        if d.state == State.GONE:
            d.state, d.resolved_at, d.resolution = State.OPEN, None, ""
            _event(rec, EventKind.REOPENED, by=by, actor=actor, discrepancy=d, changed=changed)
            counts["reopened"] += 1
        elif changed and d.state == State.OPEN:
            _event(rec, EventKind.UPDATED, by=by, actor=actor, discrepancy=d, changed=changed)
        d.save(update_fields=[*_FIELDS, "payment", "detail", "last_seen_at", "state", "resolved_at", "resolution"])
    for ident, d in existing.items():
        if ident in findings or d.state != State.OPEN:
            continue
        d.state, d.resolved_at, d.resolved_by = State.GONE, now, None
        d.resolution = f"No longer found by the run of {now.astimezone(registry.MOSCOW):%Y-%m-%d %H:%M} (Moscow)."
        d.save(update_fields=["state", "resolved_at", "resolved_by", "resolution"])
        _event(rec, EventKind.CLOSED, by=by, actor=actor, discrepancy=d, note=d.resolution)
        counts["closed"] += 1
    return counts


def _recount(rec: Reconciliation) -> None:
    rec.open_count = rec.discrepancies.filter(state=State.OPEN).count()
    rec.discrepancy_count = rec.discrepancies.count()
    if rec.source:
        rec.status = Status.OPEN if rec.open_count else Status.RECONCILED


def reconciliation_run(*, gateway: Gateway, day: dt.date, by=None, actor: str | None = None) -> Reconciliation:
    """Reconcile `gateway` for the Moscow `day`: get its registry, compare, record. Idempotent.

    Without a registry (none uploaded, simulator unreachable) a day that never had one stays
    "awaiting registry"; a day that had one keeps its last result and notes the error.
    """
    # Both may call the simulator: before any transaction is opened.
    rows, source, upload, error = _registry_for(gateway, day)
    next_day = _booked_next_day(gateway, day) if rows is not None else frozenset()
    now = timezone.now()
    with transaction.atomic():
        rec = _reconciliation_lock(gateway, day)
        rec.runs += 1
        rec.run_at = now
        rec.last_error = error
        if rows is None:
            if not rec.source:
                rec.status = Status.AWAITING_REGISTRY
            rec.save(update_fields=["runs", "run_at", "last_error", "status"])
            _event(rec, EventKind.RUN, by=by, actor=actor, note=error or "no registry for the day",
                   registry=False)
            return rec
        keys = sorted({r.key for r in rows})
        by_key, our_day = _ours(gateway, day, keys)
        result = compare(rows, by_key, our_day, booked_next_day=next_day)
        counts = _apply(rec, result.findings, now=now, by=by, actor=actor)
        rec.source, rec.upload = source, upload
        rec.their_count, rec.their_paid_total = result.their_count, result.their_paid_total
        rec.our_count, rec.our_paid_total = result.our_count, result.our_paid_total
        rec.matched_count = result.matched_count
        _recount(rec)
        rec.save(update_fields=_REC_FIELDS)
        _event(rec, EventKind.RUN, by=by, actor=actor, registry=True, source=source,
               their=result.their_count, ours=result.our_count, matched=result.matched_count,
               found=len(result.findings), status=rec.status, **counts)
    log.info("reconciled %s %s: %s, %d open", gateway.code, day, rec.status, rec.open_count)
    return rec


def registry_upload(*, gateway: Gateway, day: dt.date, data: bytes, filename: str = "", by) -> RegistryUpload:
    """Store a registry file for `gateway` and `day` after validating it (RegistryInvalid if bad).

    The upload is used by the next run of that day (the caller usually runs it right away).
    """
    text = registry.decode(data)
    rows = registry.parse(text, day=day)
    with transaction.atomic():
        upload = RegistryUpload.objects.create(gateway=gateway, day=day, filename=filename[:255], content=text,
                                               sha256=hashlib.sha256(data).hexdigest(), rows=len(rows),
                                               uploaded_by=by)
        rec = _reconciliation_lock(gateway, day)
        _event(rec, EventKind.UPLOADED, by=by, note=filename[:255], upload_id=upload.pk, rows=len(rows),
               sha256=upload.sha256)
    return upload


def discrepancy_resolve(*, discrepancy: Discrepancy, by, reason: str) -> Discrepancy:
    """Close an open discrepancy with a reason, audited; the day is reconciled when none stay open.

    The caller checks the user may resolve (selectors.can_resolve).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReconcileError(Code.REASON_REQUIRED, "a reason is required")
    now = timezone.now()
    with transaction.atomic():
        rec = Reconciliation.objects.select_for_update().get(pk=discrepancy.reconciliation_id)
        updated = (Discrepancy.objects.filter(pk=discrepancy.pk, state=State.OPEN)
                   .update(state=State.RESOLVED, resolved_by=by, resolved_at=now, resolution=reason))
        if not updated:
            raise ReconcileError(Code.NOT_OPEN, "this discrepancy is not open")
        discrepancy.refresh_from_db()
        before = rec.status
        _recount(rec)
        rec.save(update_fields=["open_count", "discrepancy_count", "status"])
        _event(rec, EventKind.RESOLVED, by=by, discrepancy=discrepancy, note=reason,
               kind_code=discrepancy.kind, key=discrepancy.key, day_status=[before, rec.status])
    return discrepancy

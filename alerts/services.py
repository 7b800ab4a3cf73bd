"""Alert operations: open and close by condition, the silence and balance sweeps, notification runs."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from dealers.services import balance_threshold
from kit.queue import enqueue_on_commit

from . import detect
from .catalogue import Code
from .models import Alert, AlertChoice

log = logging.getLogger(__name__)


def _subject(*, dealer_id: int, terminal_id: int | None) -> str:
    return f"t{terminal_id}" if terminal_id is not None else f"d{dealer_id}"


def alert_open(*, dealer_id: int, terminal_id: int | None, code: str, detail: dict | None = None,
               now: datetime | None = None) -> Alert | None:
    """Open the alert for this condition; returns the new alert, or None when it is already open.

    A condition that closed less than KIT_ALERT_FLAP_SECONDS ago revives its alert (no new
    opening, no new notification). The unique constraint on open alerts decides between two
    heartbeats or sweeps racing to open the same one.
    """
    now = now or timezone.now()
    subject = _subject(dealer_id=dealer_id, terminal_id=terminal_id)
    with transaction.atomic():
        if Alert.objects.filter(subject=subject, code=code, closed_at__isnull=True).exists():
            return None
        recent = (Alert.objects.filter(subject=subject, code=code,
                                       closed_at__gte=now - timedelta(seconds=settings.KIT_ALERT_FLAP_SECONDS))
                  .order_by("-closed_at").first())
        try:
            with transaction.atomic():
                if recent is not None:
                    Alert.objects.filter(pk=recent.pk, closed_at=recent.closed_at).update(closed_at=None)
                    return None
                alert = Alert.objects.create(dealer_id=dealer_id, terminal_id=terminal_id, subject=subject,
                                             code=code, detail=detail or {}, opened_at=now)
        except IntegrityError:
            return None  # another process opened it first
        from .tasks import notify

        enqueue_on_commit(notify)
    log.info("alert %s opened for %s", code, subject)
    return alert


def alert_close(*, dealer_id: int, terminal_id: int | None, code: str, now: datetime | None = None) -> bool:
    """Close the open alert for this condition; False when none was open."""
    subject = _subject(dealer_id=dealer_id, terminal_id=terminal_id)
    closed = Alert.objects.filter(subject=subject, code=code, closed_at__isnull=True).update(
        closed_at=now or timezone.now())
    return bool(closed)


def alerts_apply(*, dealer_id: int, terminal_id: int | None, evaluation: detect.Evaluation,
                 now: datetime | None = None) -> list[Alert]:
    """Open what `evaluation` finds active, close what it checked and found clear; returns the new alerts."""
    now = now or timezone.now()
    # One read per heartbeat: a healthy kiosk (the usual case) then costs no writes at all.
    already = set(Alert.objects.filter(subject=_subject(dealer_id=dealer_id, terminal_id=terminal_id),
                                       closed_at__isnull=True).values_list("code", flat=True))
    opened = []
    for code in sorted(evaluation.checked):
        if code in evaluation.active and code not in already:
            alert = alert_open(dealer_id=dealer_id, terminal_id=terminal_id, code=code,
                               detail=evaluation.active[code], now=now)
            if alert is not None:
                opened.append(alert)
        elif code not in evaluation.active and code in already:
            alert_close(dealer_id=dealer_id, terminal_id=terminal_id, code=code, now=now)
    return opened


def _encashment_open(terminal, content: dict) -> bool:
    """Whether an encashment of this terminal is open (a removed cassette is then expected).

    The kiosk program knows (the collector opens it on its service screen) and says so in the
    heartbeat as devices.cassette.encashment_open.
    """
    devices = content.get("devices") if isinstance(content.get("devices"), dict) else {}
    cassette = devices.get("cassette") if isinstance(devices.get("cassette"), dict) else {}
    return cassette.get("encashment_open") is True


def alerts_from_heartbeat(*, terminal, content: dict, now: datetime | None = None) -> list[Alert]:
    """Run the heartbeat rules on a stored heartbeat's content. Never raises: the heartbeat is already stored."""
    now = now or timezone.now()
    try:
        evaluation = detect.evaluate(content, received_at=now, encashment_open=_encashment_open(terminal, content))
        return alerts_apply(dealer_id=terminal.dealer_id, terminal_id=terminal.pk, evaluation=evaluation, now=now)
    except Exception:  # noqa: BLE001 - alerting must not fail the kiosk's heartbeat; the sweep runs again
        log.exception("terminal %s: alert detection failed", terminal.number)
        return []


def alerts_offline_sweep(*, now: datetime | None = None) -> int:
    """Open `offline` for every enrolled terminal silent for KIT_OFFLINE_MINUTES; close it for those heard since.

    Silence alone decides: no heartbeat has to arrive. Returns how many alerts opened.
    """
    from terminals.models import Terminal

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.KIT_OFFLINE_MINUTES)
    already = Alert.objects.filter(terminal=OuterRef("pk"), code=Code.OFFLINE, closed_at__isnull=True)
    silent = (Terminal.objects.filter(last_seen__isnull=False, last_seen__lt=cutoff)
              .exclude(Exists(already)).values_list("pk", "dealer_id"))
    opened = 0
    for terminal_id, dealer_id in silent.iterator():
        if alert_open(dealer_id=dealer_id, terminal_id=terminal_id, code=Code.OFFLINE,
                      detail={"minutes": settings.KIT_OFFLINE_MINUTES}, now=now):
            opened += 1
    heard = Terminal.objects.filter(last_seen__gte=cutoff).values("pk")
    Alert.objects.filter(code=Code.OFFLINE, closed_at__isnull=True, terminal__in=heard).update(closed_at=now)
    return opened


def _balance_low(dealer, threshold: Decimal | None) -> dict | None:
    """The alert's detail when the dealer's available balance is below `threshold`, else None."""
    available = dealer.balance + dealer.credit_limit
    if threshold is None or available >= threshold:
        return None
    return {"available": str(available), "threshold": str(threshold)}


def balance_alert_check(*, dealer, now: datetime | None = None) -> Alert | None:
    """Open `balance_low` when the dealer's available balance is below its threshold, close it when not.

    The threshold is the dealer's own (`dealers.BalanceAlert`, set in the cabinet; 0 is off), else
    KIT_ALERT_BALANCE_THRESHOLD (dealers.services.balance_threshold). One opening per crossing.
    """
    detail = _balance_low(dealer, balance_threshold(dealer))
    if detail is None:
        alert_close(dealer_id=dealer.pk, terminal_id=None, code=Code.BALANCE_LOW, now=now)
        return None
    return alert_open(dealer_id=dealer.pk, terminal_id=None, code=Code.BALANCE_LOW, detail=detail, now=now)


def balance_alerts_recheck(dealer_ids) -> None:
    """balance_alert_check for these dealers, read afresh: run after a person's top-up, transfer or
    threshold change commits (alerts/apps.py). Never raises: the money is already recorded, and the
    sweep checks again within KIT_BALANCE_ALERT_SECONDS.
    """
    from dealers.models import Dealer

    try:
        for dealer in Dealer.objects.filter(pk__in=list(dealer_ids), is_active=True).order_by("pk"):
            balance_alert_check(dealer=dealer)
    except Exception:  # noqa: BLE001 - see above
        log.exception("low-balance check of dealers %s failed; the sweep checks again", list(dealer_ids))


def alerts_balance_sweep(*, now: datetime | None = None) -> int:
    """balance_alert_check for every active dealer, writing only where the state changes.

    Catches what no person's action re-checks: payment debits (acceptance stays as lean as it
    is), refunds, rewards and their reversals, a changed KIT_ALERT_BALANCE_THRESHOLD.
    """
    from dealers.models import Dealer
    from dealers.services import balance_thresholds_own, threshold_effective

    already = set(Alert.objects.filter(code=Code.BALANCE_LOW, closed_at__isnull=True)
                  .values_list("dealer_id", flat=True))
    own = balance_thresholds_own()
    opened = 0
    for dealer in Dealer.objects.filter(is_active=True).only("pk", "balance", "credit_limit").iterator():
        detail = _balance_low(dealer, threshold_effective(own.get(dealer.pk)))
        if detail is not None and dealer.pk not in already:
            if alert_open(dealer_id=dealer.pk, terminal_id=None, code=Code.BALANCE_LOW, detail=detail, now=now):
                opened += 1
        elif detail is None and dealer.pk in already:
            alert_close(dealer_id=dealer.pk, terminal_id=None, code=Code.BALANCE_LOW, now=now)
    return opened


def alert_choice_set(*, user, codes: list[str]) -> AlertChoice:
    """The codes `user` is notified of (every code of the catalogue when all are chosen)."""
    unknown = set(codes) - set(Code.values)
    if unknown:
        raise ValueError(f"unknown alert codes: {sorted(unknown)}")
    choice, _ = AlertChoice.objects.update_or_create(user=user, defaults={"codes": sorted(set(codes))})
    return choice


def alerts_notify_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send the notifications of alerts opened and not yet notified; returns messages sent.

    Reserve (mark notified in a short transaction), send outside it, and put back on failure,
    so a run that dies leaves nothing half-sent and two runs never send the same alert twice.
    """
    from .notifiers import deliver

    now = now or timezone.now()
    with transaction.atomic():
        ids = list(Alert.objects.select_for_update(skip_locked=True).filter(notified_at__isnull=True)
                   .order_by("pk").values_list("pk", flat=True)[:limit])
        Alert.objects.filter(pk__in=ids, notified_at__isnull=True).update(notified_at=now)
    if not ids:
        return 0
    alerts = list(Alert.objects.select_related("dealer", "terminal").filter(pk__in=ids).order_by("opened_at", "pk"))
    try:
        return deliver(alerts)
    except Exception:
        Alert.objects.filter(pk__in=ids, notified_at=now).update(notified_at=None)
        raise

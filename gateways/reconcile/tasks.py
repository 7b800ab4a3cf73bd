"""Celery tasks: the daily run (beat) and one gateway-day run. Safe to run twice."""

import datetime as dt

from celery import shared_task

RECHECK_DAYS = 7  # unreconciled days this recent are run again each night (late uploads, fixes)


@shared_task(name="gateways.reconcile.tasks.reconcile_daily")
def reconcile_daily() -> None:
    """Queue yesterday (Moscow) for every active gateway, plus recent days not reconciled yet."""
    from kit.queue import enqueue

    from .selectors import days_to_run
    from .services import previous_day

    for gateway_id, day in days_to_run(day=previous_day(), recheck_days=RECHECK_DAYS):
        enqueue(reconcile_gateway_day, gateway_id, day.isoformat())


@shared_task(name="gateways.reconcile.tasks.reconcile_gateway_day")
def reconcile_gateway_day(gateway_id: int, day: str) -> None:
    from gateways.models import Gateway

    from .services import reconciliation_run

    gateway = Gateway.objects.filter(pk=gateway_id).first()
    if gateway is not None:
        reconciliation_run(gateway=gateway, day=dt.date.fromisoformat(day), actor="beat")

"""Alert background work: thin tasks, safe to run twice."""

from celery import shared_task


@shared_task(name="alerts.tasks.sweep")
def sweep() -> int:
    """Silence and balance rules, then any notifications waiting."""
    from .services import alerts_balance_sweep, alerts_notify_pending, alerts_offline_sweep

    alerts_offline_sweep()
    alerts_balance_sweep()
    return alerts_notify_pending()


@shared_task(name="alerts.tasks.notify")
def notify() -> int:
    from .services import alerts_notify_pending

    return alerts_notify_pending()

"""Claims' background work: thin tasks that call one service."""

from celery import shared_task

from .services import claims_overdue_mark


@shared_task
def mark_overdue():
    """Hourly (beat): overdue claims marked, senior support e-mailed once per claim per day."""
    return len(claims_overdue_mark())

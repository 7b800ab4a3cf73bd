"""Terminal background work: load, call one service."""

from celery import shared_task


@shared_task(name="terminals.tasks.prune_heartbeats")
def prune_heartbeats() -> int:
    from .services import heartbeats_prune

    return heartbeats_prune()

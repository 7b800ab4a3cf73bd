"""Terminal background work: load, call one service."""

from celery import shared_task


@shared_task(name="terminals.tasks.prune_heartbeats")
def prune_heartbeats() -> int:
    from .services import heartbeats_prune

    return heartbeats_prune()


@shared_task(name="terminals.tasks.expire_commands")
def expire_commands() -> int:
    from .commands import commands_expire

    return commands_expire()


@shared_task(name="terminals.tasks.link_encashments")
def link_encashments() -> int:
    from .encashments import encashment_links_sweep

    return encashment_links_sweep()

"""Cabinet background work: load by id, call one service. Safe to run twice."""

from celery import shared_task


@shared_task(name="dealers.tasks.rebuild_aggregates")
def rebuild_aggregates() -> dict:
    from .aggregates import aggregates_refresh

    return aggregates_refresh()


@shared_task(name="dealers.tasks.build_export")
def build_export(job_id: int) -> None:
    from .exports import export_job_build

    export_job_build(job_id=job_id)


@shared_task(name="dealers.tasks.settle_rewards")
def settle_rewards() -> dict:
    from .services import rewards_settle

    return rewards_settle()


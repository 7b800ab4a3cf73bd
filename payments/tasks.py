"""Celery tasks: load by id, call one service. Safe to run twice."""

from celery import shared_task


@shared_task(name="payments.tasks.resume_held")
def resume_held(dealer_id: int) -> None:
    from .services import payment_held_resume

    payment_held_resume(dealer_id=dealer_id)


@shared_task(name="payments.tasks.submit_payment")
def submit_payment(payment_id: int) -> None:
    from .services.submit import payment_submit

    payment_submit(payment_id=payment_id)

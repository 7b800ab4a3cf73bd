"""Celery tasks: load by id, call one service. Safe to run twice.

Every service re-checks the payment under its row lock and returns quietly when the work
is done or not due, so a redelivered message (acks_late, a lost worker, the sweeper and an
on-commit message both firing) does no harm. No task retries through the broker: the
payment's `next_try_at` and the sweeper carry every wait.
"""

from celery import shared_task


@shared_task(name="payments.tasks.resume_held")
def resume_held(dealer_id: int) -> None:
    from .services import payment_held_resume

    payment_held_resume(dealer_id=dealer_id)


@shared_task(name="payments.tasks.submit_payment")
def submit_payment(payment_id: int) -> None:
    from .services.submit import payment_submit

    payment_submit(payment_id=payment_id)


@shared_task(name="payments.tasks.poll_payment")
def poll_payment(payment_id: int) -> None:
    from .services.poll import payment_poll

    payment_poll(payment_id=payment_id)


@shared_task(name="payments.tasks.sweep")
def sweep() -> None:
    from .services.sweep import payment_sweep

    payment_sweep()

"""Celery tasks: load by id, call one service. Safe to run twice.

Every service re-checks the payment under its row lock and returns quietly when the work
is done or not due, so a redelivered message (acks_late, a lost worker, the sweeper and an
on-commit message both firing) does no harm. No task retries through the broker: the
payment's `next_try_at` and the sweeper carry every wait. The services never import this
module: they send these tasks by name (payments/messages.py).
"""

from celery import shared_task

from .messages import SUBMIT, send
from .services.accept import payment_held_resume
from .services.poll import payment_poll
from .services.submit import payment_submit
from .services.sweep import payment_sweep


@shared_task(name="payments.tasks.resume_held")
def resume_held(dealer_id: int) -> None:
    payment_held_resume(dealer_id=dealer_id)


@shared_task(name="payments.tasks.submit_payment")
def submit_payment(payment_id: int) -> None:
    payment_submit(payment_id=payment_id)


@shared_task(name="payments.tasks.submit_many")
def submit_many(payment_ids: list[int]) -> None:
    """A batch's accepted payments: each gets its own message on the gateway queue.

    The publishes happen here, off the request that recorded the batch; should this message be
    lost, the sweeper sends the payments once their acceptance lease ends.
    """
    for pk in payment_ids:
        send(SUBMIT, pk)


@shared_task(name="payments.tasks.poll_payment")
def poll_payment(payment_id: int) -> None:
    payment_poll(payment_id=payment_id)


@shared_task(name="payments.tasks.sweep")
def sweep() -> None:
    payment_sweep()

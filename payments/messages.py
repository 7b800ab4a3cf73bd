"""The payment tasks' messages, sent by task name.

`payments/tasks.py` imports the services (a task loads by id and calls one service); the
services send their follow-up work through here, so they never import the tasks module and
there is no import loop. The tasks are registered with Celery when the app is ready
(payments/apps.py), so a web process can send them without having run a worker.
"""

from kit.queue import enqueue, enqueue_on_commit

SUBMIT = "payments.tasks.submit_payment"
POLL = "payments.tasks.poll_payment"
RESUME_HELD = "payments.tasks.resume_held"
SUBMIT_MANY = "payments.tasks.submit_many"


def task(name: str):
    from kit.celery import app

    return app.tasks[name]


def submit_on_commit(payment_id: int) -> None:
    enqueue_on_commit(task(SUBMIT), payment_id)


def submit_many_on_commit(payment_ids: list[int]) -> None:
    """One message for a batch's payments (a worker sends each its own): one publish per request."""
    enqueue_on_commit(task(SUBMIT_MANY), list(payment_ids))


def resume_held_on_commit(dealer_id: int) -> None:
    enqueue_on_commit(task(RESUME_HELD), dealer_id)


def send(name: str, *args) -> None:
    enqueue(task(name), *args)

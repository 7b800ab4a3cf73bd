"""The Celery app.

Worker settings that make payment submission safe:

- `task_acks_late` + `task_reject_on_worker_lost`: a task is acknowledged only after it
  ran, so a worker killed mid-task gets its message redelivered. This is safe only because
  every task is idempotent: it locks the payment, re-checks its state and returns quietly
  when the work is done (a task may run twice: broker redelivery, a sweeper re-enqueue).
- `worker_prefetch_multiplier = 1`: a worker holds only the message it runs; a slow gateway
  never strands a queue of prefetched payments behind it.
- `visibility_timeout` (Redis broker) above the longest task (a gateway call is bounded by
  its timeouts, well under a minute): otherwise Redis would redeliver a message that is
  still running. For the same reason no task is scheduled with a long countdown through the
  broker: long waits are "next try at" columns in the database, picked up by the sweeper.
  Short waits (a first retry or poll within seconds) may use a countdown of at most
  KIT_COUNTDOWN_MAX_SECONDS (60 s), far below the visibility timeout.
- Queues: `gateway` (submit_payment, poll_payment: they hold a gateway call, bounded by the
  gateway's timeouts) and `default` (the sweeper, resume runs, reports), so a slow gateway
  never delays the sweeper. The sweep message expires after one period: a backlog of
  sweeps is never worth running.
"""

import logging.config
import os
import threading
import warnings

from celery import Celery, signals
from celery.exceptions import SecurityWarning
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kit.settings")

# Our image runs as the unprivileged user `kit`; root is what a development container gives
# (`make run` there) and is expected. Celery's superuser warning would say otherwise on every start.
if hasattr(os, "geteuid") and os.geteuid() == 0:
    warnings.filterwarnings("ignore", category=SecurityWarning)

app = Celery("kit")
app.config_from_object("django.conf:settings", namespace="CELERY")

VISIBILITY_TIMEOUT = 600  # seconds; the longest task is far below this

app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue="default",
    task_routes={"payments.tasks.submit_payment": {"queue": "gateway"},
                 "payments.tasks.poll_payment": {"queue": "gateway"}},
    broker_connection_retry_on_startup=True,
    timezone="Europe/Moscow",
    enable_utc=True,
)
app.conf.broker_transport_options = {
    "visibility_timeout": VISIBILITY_TIMEOUT,
    **(app.conf.broker_transport_options or {}),
}



# Celery logs through Django's LOGGING (kit/logs.py): the same format and time zone as gunicorn.
@signals.setup_logging.connect
def _logging_from_django(**kwargs):
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


# A database connection is checked with a round trip before each use (CONN_HEALTH_CHECKS): with a
# pool, every time a thread borrows one. The engine borrows twice a submission (it gives the
# connection back while a gateway answers), and in a worker a dead connection costs nothing worth
# that round trip: the task that meets it fails before or after its gateway call, the pool drops
# the connection, and the sweeper sends the payment again (or polls its open attempt) when the
# lease ends. So workers skip the check unless DB_WORKER_CONN_HEALTH_CHECKS is on; web processes
# keep it (a kiosk would see one 503 and retry). The price elsewhere: a periodic task that meets a
# dead connection (after a PostgreSQL restart) fails that once: the daily reconciliation is then
# run again from /reconcile/. A worker serving only the default queue may turn the check back on.
# Measured in docs/performance.md.
@signals.worker_init.connect
def _worker_connection_checks(**kwargs):
    worker_connection_checks()


def worker_connection_checks() -> None:
    from django.conf import settings
    from django.db import connections

    if settings.DB_WORKER_CONN_HEALTH_CHECKS:
        return
    # The connections' settings are these same dicts (read when a connection or the pool is made).
    for alias in connections:
        connections.settings[alias]["CONN_HEALTH_CHECKS"] = False


# Periodic work (Celery beat). Each entry: a thin task in its app's tasks.py.
app.conf.beat_schedule = {}
# Daily reconciliation with every gateway: yesterday (Moscow), at 03:00 Moscow time.
app.conf.beat_schedule["reconcile-daily"] = {
    "task": "gateways.reconcile.tasks.reconcile_daily", "schedule": crontab(hour=3, minute=0)}

# Cabinet: heartbeat history pruned nightly; daily aggregates of finished (and re-touched) days.
app.conf.beat_schedule["terminals-prune-heartbeats"] = {
    "task": "terminals.tasks.prune_heartbeats", "schedule": crontab(hour=4, minute=10)}
# Remote commands past their expiry stop being delivered; encashment txns whose payments arrived
# after the encashment are linked to them (outside payment acceptance).
app.conf.beat_schedule["terminals-expire-commands"] = {
    "task": "terminals.tasks.expire_commands", "schedule": 60.0, "options": {"expires": 60}}
app.conf.beat_schedule["terminals-link-encashments"] = {
    "task": "terminals.tasks.link_encashments", "schedule": 60.0, "options": {"expires": 60}}
app.conf.beat_schedule["dealers-rebuild-aggregates"] = {
    "task": "dealers.tasks.rebuild_aggregates", "schedule": crontab(minute="*/15"),
    "options": {"expires": 900}}

# Claims: overdue ones marked and senior support e-mailed (once per claim per day), hourly.
app.conf.beat_schedule["claims-mark-overdue"] = {
    "task": "claims.tasks.mark_overdue", "schedule": crontab(minute=7), "options": {"expires": 3600}}


# The payment sweeper (payments/services/sweep.py): every KIT_SWEEP_SECONDS it puts due
# payments back on the broker (backoffs, status polls, lost messages, dead workers' open
# attempts, held payments whose cause passed). Read once Django's settings are loaded.
@app.on_after_finalize.connect
def _payment_sweeper(sender, **kwargs):
    from django.conf import settings

    sender.conf.beat_schedule["payments-sweep"] = {
        "task": "payments.tasks.sweep", "schedule": settings.KIT_SWEEP_SECONDS,
        "options": {"expires": settings.KIT_SWEEP_SECONDS}}


# Dealer money: accrued rewards credited every KIT_REWARD_SETTLE_SECONDS (hourly).
# Alerts: every KIT_BALANCE_ALERT_SECONDS (60) one sweep opens/closes `offline` (silence alone) and
# `balance_low` (the only low-balance check: its e-mail is the alerts notifier's) and sends the
# notifications still waiting.
@app.on_after_finalize.connect
def _dealer_money_and_alerts(sender, **kwargs):
    from django.conf import settings

    sender.conf.beat_schedule["dealers-settle-rewards"] = {
        "task": "dealers.tasks.settle_rewards", "schedule": settings.KIT_REWARD_SETTLE_SECONDS,
        "options": {"expires": settings.KIT_REWARD_SETTLE_SECONDS}}
    sender.conf.beat_schedule["alerts-sweep"] = {
        "task": "alerts.tasks.sweep", "schedule": settings.KIT_BALANCE_ALERT_SECONDS,
        "options": {"expires": settings.KIT_BALANCE_ALERT_SECONDS}}


# Thread-pool workers (`--pool threads`, as `make run` and the bench start them): a task's late
# acknowledgement frees its prefetch slot from the worker thread by handing the ack to the
# consumer's event loop (hub.call_soon), but that loop only runs it, and asks Redis for the next
# message, when it next wakes up: with every slot taken, up to a second later (celery/celery#6941).
# Threads then sat idle while the gateway queue was long (the bench: ~half of 40 threads busy).
# So a call_soon from a pool thread also writes a byte to a pipe the loop reads: it wakes at once,
# exactly when there is something to do. (This replaced a no-op timer every 20 ms, which cost each
# worker process ~8 ms of CPU a second, idle or not, ~0.5 ms a submission in the bench.)
def _wake_on_call_soon(hub) -> None:
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    loop_thread = threading.get_ident()
    call_soon = hub.call_soon

    def drain():
        try:
            while os.read(read_fd, 4096):
                pass
        except BlockingIOError:
            pass

    def call_soon_and_wake(callback, *args):
        promise = call_soon(callback, *args)
        if threading.get_ident() != loop_thread:
            try:
                os.write(write_fd, b"!")
            except BlockingIOError:  # the pipe is full of wake-ups already: the loop is awake
                pass
        return promise

    hub.add_reader(read_fd, drain)
    hub.call_soon = call_soon_and_wake


@signals.worker_ready.connect
def _wake_thread_pool_consumer(sender=None, **kwargs):
    from celery.concurrency.thread import TaskPool as ThreadTaskPool

    hub = getattr(sender, "hub", None)
    if hub is not None and isinstance(getattr(sender, "pool", None), ThreadTaskPool):
        _wake_on_call_soon(hub)


app.autodiscover_tasks()

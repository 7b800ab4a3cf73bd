"""Hand work to Celery after the transaction commits, without ever failing the caller.

The database is the queue of record: if the broker is down, the sweeper finds the row
later, so a failed enqueue is logged, never raised into the request that recorded money.
"""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """Send `task(*args)` now; log and swallow a broker failure.

    One try (`retry=False`): kombu's default retries would hold the request that recorded
    the money for up to ~0.6 s per message while the broker is down, for nothing the
    sweeper does not do anyway.
    """
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # noqa: BLE001 - any broker error; the sweeper is the safety net
        log.warning("enqueue of %s%r failed; the sweeper will pick it up", task.name, args, exc_info=True)


def enqueue_on_commit(task, *args) -> None:
    """Send `task(*args)` once the current transaction commits."""
    transaction.on_commit(lambda: enqueue(task, *args))

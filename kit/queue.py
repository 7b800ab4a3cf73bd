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


def queue_depth(queue: str) -> int | None:
    """Messages waiting in the broker's `queue` (not yet taken by a worker); None when unknown.

    One round trip (Redis: LLEN over the priority lists). The sweeper asks once per sweep, to
    tell a message still waiting behind a backlog from a lost one.
    """
    from kombu.exceptions import ChannelError

    from kit.celery import app

    try:
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=0)
            try:
                return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:
                return 0  # no such queue yet: nothing was ever left waiting in it
    except Exception:  # noqa: BLE001 - any broker error: unknown, the sweeper sends as before
        log.warning("could not read the depth of queue %s", queue, exc_info=True)
        return None

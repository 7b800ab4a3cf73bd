"""Replay protection: a nonce is accepted once per terminal within NONCE_TTL seconds.

The choice of store is made here and nowhere else:

- Redis (SET NX EX) when REDIS_URL is set: one round trip, nothing written to PostgreSQL;
- the database table (a unique row) without Redis, and as the fallback while Redis cannot be
  reached: a terminal request never fails because Redis is away (the database is the store
  of record; Redis only saves it work).

While Redis is failing, the process does not try it again for REDIS_RETRY_SECONDS (so an
outage costs one refused connection per process, not one per request). When Redis answers
again, the nonces the database took meanwhile (from every process) are copied into Redis
first, so one used during the outage is still refused afterwards. The gaps that remain: a
nonce first seen by Redis just before the outage is unknown to the database during it, and
a process that never saw the outage does not copy; the 300-second timestamp window bounds
how long such a replay could be tried, and a replayed payment only gets its txn's first
answer again.
"""

import logging
import random
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import TerminalNonce

log = logging.getLogger(__name__)

NONCE_TTL = 600
# The database table is swept of expired rows on about one insert in CLEANUP_EVERY.
CLEANUP_EVERY = 200
# After a Redis failure, nonces go to the database for this long before Redis is tried again.
REDIS_RETRY_SECONDS = 5.0
# A Redis that accepts connections but does not answer must not hold a payment for long.
REDIS_TIMEOUT_SECONDS = 0.5

_redis = None  # (url, client): one client per process (thread-safe, pooled)
_lock = threading.Lock()
_redis_down_until = 0.0  # time.monotonic() before which Redis is not tried
_db_fallback_used = False  # this process wrote nonces to the database while Redis was down


def _redis_client():
    global _redis
    url = settings.REDIS_URL
    if _redis is None or _redis[0] != url:
        import atexit

        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                      socket_timeout=REDIS_TIMEOUT_SECONDS)
        if _redis is None:
            atexit.register(_redis_drop)
        else:
            _redis[1].close()
        _redis = (url, client)
    return _redis[1]


def _redis_drop() -> None:
    """At exit, close and drop the client while the interpreter is whole (its __del__ at
    interpreter teardown would print an ignored exception)."""
    global _redis
    if _redis is not None:
        _redis[1].close()
        _redis = None


def nonce_key(terminal_id: int, nonce: str) -> str:
    return f"kit:nonce:{terminal_id}:{nonce}"


def nonce_store() -> str:
    """Where the next nonce goes: "redis" or "database" (also during a Redis outage)."""
    if not settings.REDIS_URL or time.monotonic() < _redis_down_until:
        return "database"
    return "redis"


def nonce_remember(*, terminal_id: int, nonce: str) -> bool:
    """Record the nonce; False when this terminal used it in the last NONCE_TTL seconds."""
    global _redis_down_until, _db_fallback_used
    if nonce_store() == "redis":
        import redis

        try:
            client = _redis_client()
            if _db_fallback_used:
                _copy_database_nonces_to_redis(client)
            # SET key 1 NX EX ttl: atomic, one round trip.
            return bool(client.set(nonce_key(terminal_id, nonce), 1, nx=True, ex=NONCE_TTL))
        except redis.RedisError:
            log.warning("Redis unreachable: nonces go to the database for %.0f s", REDIS_RETRY_SECONDS,
                        exc_info=True)
            _redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
    if settings.REDIS_URL:
        _db_fallback_used = True
    return _remember_in_db(terminal_id, nonce)


def _copy_database_nonces_to_redis(client) -> None:
    """Put the database's live nonces into Redis (SET NX with their remaining TTL), once."""
    global _db_fallback_used
    with _lock:
        if not _db_fallback_used:
            return
        now = timezone.now()
        rows = TerminalNonce.objects.filter(seen_at__gte=now - timedelta(seconds=NONCE_TTL)).values_list(
            "terminal_id", "nonce", "seen_at")
        pipe = client.pipeline(transaction=False)
        for terminal_id, nonce, seen_at in rows.iterator():
            left = NONCE_TTL - int((now - seen_at).total_seconds())
            if left > 0:
                pipe.set(nonce_key(terminal_id, nonce), 1, nx=True, ex=left)
        pipe.execute()
        _db_fallback_used = False


def _remember_in_db(terminal_id: int, nonce: str) -> bool:
    now = timezone.now()
    try:
        with transaction.atomic():
            TerminalNonce.objects.create(terminal_id=terminal_id, nonce=nonce, seen_at=now)
    except IntegrityError:
        # Seen before; an entry older than the TTL that the sweep has not removed yet does not count.
        with transaction.atomic():
            renewed = TerminalNonce.objects.filter(terminal_id=terminal_id, nonce=nonce,
                                                   seen_at__lt=now - timedelta(seconds=NONCE_TTL)
                                                   ).update(seen_at=now)
        return renewed == 1
    if random.randrange(CLEANUP_EVERY) == 0:
        nonce_sweep()
    return True


def nonce_sweep() -> int:
    """Delete nonces older than the TTL from the database table; returns how many."""
    cutoff = timezone.now() - timedelta(seconds=NONCE_TTL)
    deleted, _ = TerminalNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted


def nonce_reset() -> None:
    """Forget this process's view of Redis's health (tests, and after a configuration change)."""
    global _redis_down_until, _db_fallback_used
    _redis_down_until = 0.0
    _db_fallback_used = False

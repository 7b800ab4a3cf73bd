"""Replay protection: a nonce is accepted once per terminal within NONCE_TTL seconds.

Redis (SET NX EX through the cache) when REDIS_URL is set, so 300+ payments/s cost one
round trip each and nothing in PostgreSQL; a unique row in the database otherwise.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import TerminalNonce

NONCE_TTL = 600
# The database table is swept of expired rows on about one insert in CLEANUP_EVERY.
CLEANUP_EVERY = 200


_redis = None  # one client per process (thread-safe, pooled): Django's cache builds one per call


def _redis_client():
    global _redis
    if _redis is None:
        import atexit

        import redis

        _redis = redis.Redis.from_url(settings.REDIS_URL)
        atexit.register(_redis_drop)
    return _redis


def _redis_drop() -> None:
    """At exit, close and drop the client while the interpreter is whole (its __del__ at
    interpreter teardown would print an ignored exception)."""
    global _redis
    if _redis is not None:
        _redis.close()
        _redis = None


def nonce_key(terminal_id: int, nonce: str) -> str:
    return f"kit:nonce:{terminal_id}:{nonce}"


def nonce_remember(*, terminal_id: int, nonce: str) -> bool:
    """Record the nonce; False when this terminal used it in the last NONCE_TTL seconds."""
    if settings.REDIS_URL:
        # SET key 1 NX EX ttl: atomic, one round trip.
        return bool(_redis_client().set(nonce_key(terminal_id, nonce), 1, nx=True, ex=NONCE_TTL))
    return _remember_in_db(terminal_id, nonce)


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

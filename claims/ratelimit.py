"""Fixed-window counters in the cache (Redis in production) for the public look-up pages."""

import hashlib
from time import time as clock

from django.conf import settings
from django.core.cache import cache

from kit.net import client_ip


def _bucket(scope: str, window: int, ident: str) -> str:
    digest = hashlib.sha256(ident.encode()).hexdigest()[:32]
    return f"kit:rl:{scope}:{window}:{int(clock()) // window}:{digest}"


def allow(request, scope: str, key: str) -> bool:
    """Count one look-up against the client's address and against the key asked about.

    False once either has made more than KIT_PUBLIC_RATE_MINUTE look-ups this minute or
    KIT_PUBLIC_RATE_DAY today: guessing a key from many addresses is limited as much as
    guessing many keys from one.
    """
    allowed = True
    for ident in (f"ip:{client_ip(request)}", f"key:{key.strip().upper()}"):
        for window, limit in ((60, settings.KIT_PUBLIC_RATE_MINUTE), (86400, settings.KIT_PUBLIC_RATE_DAY)):
            bucket = _bucket(scope, window, ident)
            cache.add(bucket, 0, window + 5)
            try:
                count = cache.incr(bucket)
            except ValueError:  # expired between add and incr
                cache.add(bucket, 1, window + 5)
                count = 1
            if count > limit:
                allowed = False
    return allowed

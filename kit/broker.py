"""kombu's Redis transport, with one Redis client per channel instead of one per message.

kombu 5's Redis channel builds a new `redis.Redis` object for every message it publishes
(`Channel.conn_or_acquire`); the object itself is cheap to use but not to build (it fills a
table of some 160 response callbacks), and it was about a fifth of a publish's CPU, so of
every accepted payment's (docs/performance.md). A redis-py client is safe to share between
threads (each command borrows a connection from the pool), so the channel keeps one for its
pool and builds a new one only when the pool is replaced (after a connection error).

Selected by CELERY_BROKER_TRANSPORT (kit/settings.py) when REDIS_URL is set; the URL still
says where Redis is.
"""

from contextlib import contextmanager

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _kit_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        cached = self._kit_client
        if cached is None or cached.connection_pool is not self.pool:
            cached = self._kit_client = self._create_client()
        yield cached


class Transport(kombu_redis.Transport):
    Channel = Channel

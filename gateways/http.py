"""The HTTP client every adapter shares, and the transports that serve the simulators.

Live (`make run`, production): a pooled `httpx.Client`. With simulators on, a simulator
switched "down" refuses the connection before anything is sent, exactly as a dead host
would, so the router's `retry` path is what a demo shows.

Tests: the same adapters talk to the simulators in-process through Django's WSGI handler
(no sockets, no network). A simulator's added delay is not slept there: past the read
timeout it becomes `httpx.ReadTimeout` after the simulator has done its work, which is
the ambiguous "sent, no reply" case.
"""

from __future__ import annotations

import re
import threading

import httpx
from django.conf import settings

SIM_PATH = re.compile(r"^/sim/(?P<code>[a-z0-9_-]+)/")
DELAY_HEADER = "X-Sim-Delay"  # seconds the simulator would have slept before replying

_local = threading.local()
_override: httpx.BaseTransport | None = None


_down_seen: dict[str, tuple[float, bool]] = {}  # simulator code -> (monotonic time read, down)


def _simulator_down(url: httpx.URL) -> bool:
    """Is the simulator this URL points at switched down? Re-read at most every KIT_CATALOGUE_TTL s."""
    if not settings.KIT_SIMULATORS:
        return False
    m = SIM_PATH.match(url.path)
    if not m:
        return False
    import time

    code, ttl, now = m.group("code"), settings.KIT_CATALOGUE_TTL, time.monotonic()
    seen = _down_seen.get(code)
    if seen is not None and ttl > 0 and now - seen[0] < ttl:
        return seen[1]
    from kit.db import db_release

    from .models import SimulatorState

    down = SimulatorState.objects.filter(code=code, down=True).exists()
    _down_seen[code] = (now, down)
    db_release()  # the caller holds no connection during its gateway call (payments/services/submit.py)
    return down


class SimulatorAwareTransport(httpx.BaseTransport):
    """Refuses connections to a simulator switched down; otherwise delegates."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _simulator_down(request.url):
            raise httpx.ConnectError("connection refused (simulator switched down)", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class InProcessTransport(httpx.BaseTransport):
    """Serves requests with this Django project's WSGI handler, in the calling thread."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.wsgi = httpx.WSGITransport(app=WSGIHandler())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _simulator_down(request.url):
            raise httpx.ConnectError("connection refused (simulator switched down)", request=request)
        # As django.test.Client does: a request must not close the test's DB connection
        # (on PostgreSQL that kills the test transaction the simulator shares).
        from django.core import signals
        from django.db import close_old_connections

        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            raw = self.wsgi.handle_request(request)
            content = raw.read()  # closing the WSGI result fires request_finished: do it in here
            raw.close()
            response = httpx.Response(raw.status_code, headers=raw.headers, content=content, request=request)
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        delay = float(response.headers.get(DELAY_HEADER, "0") or 0)
        timeout = (request.extensions.get("timeout") or {}).get("read")
        if delay and timeout is not None and delay >= timeout:
            response.close()
            raise httpx.ReadTimeout("simulated: no reply within the read timeout", request=request)
        return response


def set_transport(transport: httpx.BaseTransport | None) -> None:
    """Tests: route every adapter's HTTP through `transport` (None: back to the network)."""
    global _override
    _override = transport
    _local.__dict__.clear()


def client() -> httpx.Client:
    """A pooled client per thread (httpx clients are not shared across threads here)."""
    c = getattr(_local, "client", None)
    if c is None or getattr(_local, "transport_id", None) != id(_override):
        inner = _override or httpx.HTTPTransport(retries=0)
        transport = inner if _override else SimulatorAwareTransport(inner)
        c = httpx.Client(transport=transport, follow_redirects=False,
                         headers={"User-Agent": "KIT/0.1"})
        _local.client = c
        _local.transport_id = id(_override)
    return c


def sim_delay(response, seconds: float):
    """Simulators: wait `seconds` before this reply (live), or mark it (in-process tests)."""
    if seconds <= 0:
        return response
    if getattr(settings, "KIT_SIM_REAL_SLEEP", True):
        import time

        from django.db import connection

        # A real gateway holds no database of ours while it is slow: give the connection back
        # before sleeping, so simulated latency never exhausts PostgreSQL's connection slots.
        if not connection.in_atomic_block:
            connection.close()  # with a pool (DB_POOL_MAX_SIZE), back to the pool
        time.sleep(seconds)
    else:
        response[DELAY_HEADER] = f"{seconds:.3f}"
    return response

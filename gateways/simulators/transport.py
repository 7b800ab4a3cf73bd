"""How our adapters reach the simulators: in-process (tests) or over HTTP with the switch.

Neither is production code. The tests hand an adapter a client on `InProcessTransport`
(Django's WSGI handler, no sockets); the demo, with KIT_SIMULATORS on, gets clients on
`SwitchedTransport` (apps.py). Both honour a simulator's "down" switch by refusing the
connection before anything is sent, exactly as a dead host would, so the router's `retry`
path is what a demo shows. A simulator's added delay is not slept in-process: past the
read timeout it becomes `httpx.ReadTimeout` after the simulator has done its work, which
is the ambiguous "sent, no reply" case.
"""

from __future__ import annotations

import re
import threading
import time

import httpx
from django.conf import settings

from gateways import http

SIM_PATH = re.compile(r"^/sim/(?P<code>[a-z0-9_-]+)/")
DELAY_HEADER = "X-Sim-Delay"  # seconds the simulator would have slept before replying

_down_seen: dict[str, tuple[float, bool]] = {}  # simulator code -> (monotonic time read, down)


def simulator_down(url: httpx.URL) -> bool:
    """Is the simulator this URL points at switched down? Re-read at most every KIT_CATALOGUE_TTL s."""
    if not settings.KIT_SIMULATORS:
        return False
    m = SIM_PATH.match(url.path)
    if not m:
        return False
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


def _refuse_if_down(request: httpx.Request) -> None:
    if simulator_down(request.url):
        raise httpx.ConnectError("connection refused (simulator switched down)", request=request)


class SwitchedTransport(httpx.BaseTransport):
    """The network, except that a simulator switched down refuses the connection."""

    def __init__(self, inner: httpx.BaseTransport | None = None):
        self.inner = inner or http.Transport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _refuse_if_down(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class InProcessTransport(httpx.BaseTransport):
    """Serves requests with this Django project's WSGI handler, in the calling thread."""

    def __init__(self):
        from django.core.handlers.wsgi import WSGIHandler

        self.wsgi = httpx.WSGITransport(app=WSGIHandler())

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _refuse_if_down(request)
        # As django.test.Client does: a request must not close the test's DB connection
        # (on PostgreSQL that kills the test transaction the simulator shares).
        from django.core import signals
        from django.db import close_old_connections

        # Reconnected only if connected before: inside an outer in-process request (a kiosk's
        # /checks in a test) they are off, and turning them on would close the test's connection.
        started = signals.request_started.disconnect(close_old_connections)
        finished = signals.request_finished.disconnect(close_old_connections)
        try:
            raw = self.wsgi.handle_request(request)
            content = raw.read()  # closing the WSGI result fires request_finished: do it in here
            raw.close()
            response = httpx.Response(raw.status_code, headers=raw.headers, content=content, request=request)
        finally:
            if started:
                signals.request_started.connect(close_old_connections)
            if finished:
                signals.request_finished.connect(close_old_connections)
        delay = float(response.headers.get(DELAY_HEADER, "0") or 0)
        timeout = (request.extensions.get("timeout") or {}).get("read")
        if delay and timeout is not None and delay >= timeout:
            response.close()
            raise httpx.ReadTimeout("simulated: no reply within the read timeout", request=request)
        return response


def inprocess_client() -> httpx.Client:
    """A client whose requests this process's simulators answer (tests)."""
    return http.new_client(InProcessTransport())


_local = threading.local()


def switched_client() -> httpx.Client:
    """The demo's pooled client per thread: the network with the simulators' down switch."""
    c = getattr(_local, "client", None)
    if c is None:
        c = _local.client = http.new_client(SwitchedTransport())
    return c


def sim_delay(response, seconds: float):
    """Simulators: wait `seconds` before this reply (live), or mark it (in-process tests)."""
    if seconds <= 0:
        return response
    if getattr(settings, "KIT_SIM_REAL_SLEEP", True):
        from django.db import connection

        # A real gateway holds no database of ours while it is slow: give the connection back
        # before sleeping, so simulated latency never exhausts PostgreSQL's connection slots.
        if not connection.in_atomic_block:
            connection.close()  # with a pool (DB_POOL_MAX_SIZE), back to the pool
        time.sleep(seconds)
    else:
        response[DELAY_HEADER] = f"{seconds:.3f}"
    return response

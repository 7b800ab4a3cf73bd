"""The production HTTP client of every adapter: one pooled `httpx.Client` per thread.

It knows only the network. Whoever needs another transport (the tests, the simulators'
in-process or switched transports) hands an adapter its own client through the adapter's
constructor (gateways/services.py: `adapter_for`, `adapter_client_use`).
"""

from __future__ import annotations

import threading

import httpx

USER_AGENT = "KIT/0.1"

_local = threading.local()


def client() -> httpx.Client:
    """A pooled client per thread (httpx clients are not shared across threads here).

    No retries in the transport: an adapter makes exactly one exchange, and the engine
    decides what a failure means (a second send could pay twice).
    """
    c = getattr(_local, "client", None)
    if c is None:
        c = httpx.Client(transport=httpx.HTTPTransport(retries=0), follow_redirects=False,
                         headers={"User-Agent": USER_AGENT})
        _local.client = c
    return c
